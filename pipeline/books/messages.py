"""The status of every message, in Redis: one hash per message, one state-count hash per run.

States: ``scheduled`` (delayed), ``enqueued``, ``running``, ``retrying`` (waiting for its next
attempt), ``done``, ``skipped``, ``failed`` (terminal). Each change is one round trip: a Lua
script sets the message's fields and moves its run's counts from the old state to the new one.

Every record expires: finished ones after the status TTL, and so do records of work that was
waiting or running when its worker died, so nothing is left behind forever (php-resque's
running keys never expire).
"""

from __future__ import annotations

import json
import time

import redis

from pipeline.books.inflight import InFlight
from pipeline.books.round_trip import execute_scripts, lua_script, pending, queue_script

#: Every state a message can be in.
STATES = ("scheduled", "enqueued", "running", "retrying", "done", "skipped", "failed")
# Both scripts make their state change through set_state.lua's function.
_SCRIPT = lua_script("set_state.lua", "transition.lua")
_IF_NEWER = lua_script("set_state.lua", "transition_if_newer.lua")


class MessageStatuses:
    """Reads and writes message statuses under ``<namespace>:msg:<message id>``."""

    def __init__(self, client: redis.Redis, *, namespace: str, ttl_s: int, clock=time.time,
                 inflight: InFlight | None = None) -> None:
        self.redis, self.ns, self.ttl_s, self.clock = client, namespace, ttl_s, clock
        #: The runs' in-flight books, changed with each status (None: runs finish by their counts alone).
        self.inflight = inflight
        self._transition = client.register_script(_SCRIPT)
        self._if_newer = client.register_script(_IF_NEWER)

    def key(self, message_id: str) -> str:
        return f"{self.ns}:msg:{message_id}"

    def transition(self, message_id: str, state: str, run_id: str | None, *,
                   in_flight: tuple[str, ...] | None = None, **fields: object) -> str | None:
        """Move a message to ``state``, stamping ``<state>_at`` and setting ``fields``; returns the old state.

        ``in_flight``: (queue, delivery token, process id, broker's copy id) of the change, for its
        run's in-flight books, changed in the same transaction (``pipeline.books.inflight``).
        """
        values: list[object] = [f"{state}_at", self.clock(), *_pairs(fields)]
        run_key = f"{self.ns}:run:{run_id}:states" if run_id else ""
        keys, args = [self.key(message_id), run_key], [state, self.ttl_s, *values]
        tracked = self.inflight is not None and run_id and in_flight is not None

        def queue(pipe) -> None:
            queue_script(pipe, self._transition, keys, args)
            if tracked:
                self.inflight.queue_change(pipe, run_id, message_id, state, *in_flight)

        pipe = pending(self.redis)
        if pipe is not None:
            # Sent with the message it describes (round_trip.py); the old state is not known yet, and
            # the only deferred change is a new message's first.
            queue(pipe)
            return None
        if tracked:
            old = execute_scripts(self.redis, queue)[0]
        else:
            old = self._transition(keys=keys, args=args)
        return old.decode() if isinstance(old, bytes) else old

    def transition_if_newer(self, message_id: str, state: str, run_id: str | None, at: float,
                            fields: dict[str, object], in_flight: tuple[str, ...] | None = None) -> bool:
        """A change that happened at ``at`` and is written late (``pipeline.books.backlog``): applied only if
        no change of the message is stamped at or after it. Returns whether it was applied.

        The in-flight books take it too: the change itself when applied, else only the end of its delivery
        (a newer delivery of the message has moved it on since).
        """
        run_key = f"{self.ns}:run:{run_id}:states" if run_id else ""
        applied, _ = self._if_newer(keys=[self.key(message_id), run_key],
                                    args=[state, self.ttl_s, at, *_pairs(fields)])
        if self.inflight is not None and run_id and in_flight is not None:
            inflight, change = self.inflight, state if applied else "ended"
            execute_scripts(self.redis, lambda pipe: inflight.queue_change(pipe, run_id, message_id, change,
                                                                           *in_flight))
        return bool(applied)

    def delivery_ended(self, message_id: str, run_id: str | None, in_flight: tuple[str, ...]) -> None:
        """A delivery's attempt failed and the message will be tried again: that delivery is over."""
        if self.inflight is not None and run_id:
            inflight = self.inflight
            execute_scripts(self.redis, lambda pipe: inflight.queue_change(pipe, run_id, message_id, "ended",
                                                                           *in_flight))

    def get(self, message_id: str) -> dict[str, str] | None:
        raw = self.redis.hgetall(self.key(message_id))
        return {k.decode(): v.decode() for k, v in raw.items()} if raw else None


def _pairs(fields: dict[str, object]) -> list[object]:
    """Field/value pairs as a script's arguments: set fields only, structures as JSON."""
    values: list[object] = []
    for name, value in fields.items():
        if value is not None:
            values += [name, value if isinstance(value, (str, int, float)) else json.dumps(value)]
    return values
