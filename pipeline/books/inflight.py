"""Which messages of a run are still in flight, and finishing a run only once none is.

A run's counts can be complete while one of its messages is not final: a redelivered copy of a
page whose books are written, pages still queued when the extraction failed for good. So the
status changes keep, per run, the messages not final yet and the deliveries running now
(``inflight.lua``), and a run is stamped finished (``finish.lua``) when its records are all counted,
or the run itself stopped, and nothing is in flight. Keys (``ns``: the settings' namespace)::

    ns:run:<run_id>:inflight    hash: message id -> queue|changed ms|broker's id of its copy;
                                message id@delivery -> process|started ms
    ns:runs:settling            set: runs counted but waiting on their messages (swept at each beat)
    ns:consumers                sorted set: worker process id -> last beat, epoch ms (flow.consumers)
    ns:consumers:deliveries     hash: worker process id -> the delivery tokens it ran at that beat

An entry that can no longer end by itself (its worker died, or its end was not written) is dropped
when a run is checked; ``finish_settling``, run from every worker's beat, checks the runs that wait.
"""

from __future__ import annotations

import time
from pathlib import Path

import redis
from dramatiq.common import current_millis

from pipeline.books.round_trip import execute_scripts, queue_script
from pipeline.systems.lifecycle import EVENTS

_INFLIGHT = (Path(__file__).with_name("inflight.lua")).read_text()
_FINISH = (Path(__file__).with_name("finish.lua")).read_text()
#: A run's keys that expire with it once it is finished.
RUN_KEY_SUFFIXES = ("", ":failures", ":states", ":booked", ":decided", ":seen", ":inflight")
#: Message states after which the message is done with.
FINAL = ("done", "skipped", "failed")


def beats_key(namespace: str) -> str:
    return f"{namespace}:consumers"


def deliveries_key(namespace: str) -> str:
    return f"{namespace}:consumers:deliveries"


class InFlight:
    """A run's in-flight messages and deliveries, and the check that finishes it.

    Args:
        heartbeat_timeout_ms: a worker silent this long is dead (Dramatiq's measure too).
        broker_namespace: where the Redis broker keeps its messages, if in this database: a message
            the broker no longer holds is not in flight, whatever its last written state said.
    """

    def __init__(self, client: redis.Redis, *, namespace: str, ttl_s: int, heartbeat_timeout_ms: int,
                 broker_namespace: str = "", clock=time.time) -> None:
        self.redis, self.ns, self.ttl_s, self.clock = client, namespace, ttl_s, clock
        self.heartbeat_timeout_ms, self.broker_namespace = heartbeat_timeout_ms, broker_namespace
        self._change = client.register_script(_INFLIGHT)
        self._finish = client.register_script(_FINISH)

    def key(self, run_id: str) -> str:
        return f"{self.ns}:run:{run_id}:inflight"

    def queue_change(self, pipe, run_id: str, message_id: str, change: str, queue: str = "",
                     delivery: str = "", owner: str = "", copy: str = "") -> None:
        """Queue on ``pipe`` a message's change (a state or ``ended``); the finish check after a final one.

        ``copy``: the broker's id of the message's copy (Dramatiq's Redis broker keeps each enqueued
        copy under an id of its own), to tell whether the broker still holds it.
        """
        now = current_millis()
        queue_script(pipe, self._change, [self.key(run_id)],
                     [change, message_id, f"{queue}|{now}|{copy}", delivery, f"{owner}|{now}", self.ttl_s])
        if change in FINAL:
            self.queue_finish(pipe, run_id)

    def queue_finish(self, pipe, run_id: str) -> None:
        """Queue on ``pipe`` the check that stamps ``run_id`` finished if it is (returns 1 then)."""
        run = f"{self.ns}:run:{run_id}"
        expiring = [run + suffix for suffix in RUN_KEY_SUFFIXES if suffix not in ("", ":inflight")]
        keys = [run, self.key(run_id), f"{self.ns}:runs:settling", beats_key(self.ns),
                deliveries_key(self.ns), *expiring]
        oldest_live_beat = current_millis() - self.heartbeat_timeout_ms
        queue_script(pipe, self._finish, keys,
                     [self.clock(), self.ttl_s, oldest_live_beat, self.broker_namespace, run_id, *EVENTS])

    def finish(self, run_id: str) -> bool:
        """Stamp ``run_id`` finished if it is: all counted (or stopped) and nothing in flight."""
        replies = execute_scripts(self.redis, lambda pipe: self.queue_finish(pipe, run_id))
        return bool(replies[0])

    def finish_settling(self) -> list[str]:
        """Check every run that waits on its messages; returns those it finished."""
        waiting = [run.decode() if isinstance(run, bytes) else run
                   for run in self.redis.smembers(f"{self.ns}:runs:settling")]
        if not waiting:
            return []

        def queue(pipe) -> None:
            for run_id in waiting:
                self.queue_finish(pipe, run_id)

        replies = execute_scripts(self.redis, queue)
        return [run_id for run_id, done in zip(waiting, replies, strict=True) if done]

    def entries(self, run_id: str) -> dict[str, str]:
        """The run's in-flight entries (for tests and the curious)."""
        return {k.decode(): v.decode() for k, v in self.redis.hgetall(self.key(run_id)).items()}
