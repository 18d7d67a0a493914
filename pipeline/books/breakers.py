"""A circuit breaker per target connection: an outage is waited out by whole pages, not record by record.

When whole pages keep failing with retryable errors (``THRESHOLD`` in a row, from any worker),
the target is taken to be down: the breaker opens, and every load message for that connection
waits for it to pass instead of sending its requests to a target that answers none of them. It
stays open for the retry backoff, doubling each time it opens again (the server's ``Retry-After``
when longer), up to the maximum backoff; the pages that come after that are the probes, and one
more failed page opens it again. Any record loaded closes it.

State, one hash per connection (expiring on its own)::

    ns:breaker:<system>:<connection>   failures (pages failed in a row), openings, open_until (epoch s)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

#: Whole pages failed in a row, from any worker, before the breaker opens.
THRESHOLD = 3


@dataclass(frozen=True)
class BreakerState:
    #: Whole pages failed in a row.
    failures: int = 0
    #: Seconds it stays open from now (0: closed).
    open_s: float = 0.0
    #: The error of the last page that failed, for the messages that wait.
    last_error: str = ""


class Breakers:
    """The circuit breakers of every target connection, kept in Redis so all workers share them."""

    def __init__(self, client: redis.Redis, *, namespace: str, base_s: float, max_s: float, clock=time.time) -> None:
        self.redis, self.ns, self.base_s, self.max_s, self.clock = client, namespace, base_s, max_s, clock

    def key(self, connection: str) -> str:
        return f"{self.ns}:breaker:{connection}"

    def state(self, connection: str) -> BreakerState:
        return self.state_of(self.redis.hgetall(self.key(connection)))

    def state_of(self, raw: dict) -> BreakerState:
        """The state a breaker's hash (an HGETALL's reply) says."""
        if not raw:
            return BreakerState()
        return BreakerState(int(raw.get(b"failures", 0)), max(0.0, float(raw.get(b"open_until", 0)) - self.clock()),
                            raw.get(b"last_error", b"").decode())

    def page_failed(self, connection: str, error: str, retry_after: float | None = None) -> float:
        """A whole page failed retryably with ``error``; returns for how long the breaker is now open (0: closed)."""
        key = self.key(connection)
        with self.redis.pipeline() as pipe:
            pipe.hincrby(key, "failures", 1)
            pipe.hset(key, "last_error", error)
            pipe.hget(key, "open_until")
            pipe.hget(key, "openings")
            failures, _, until, openings = pipe.execute()
        now = self.clock()
        if until and float(until) > now:
            return float(until) - now  # another page of the same outage opened it already
        open_s = 0.0
        if failures >= THRESHOLD:
            # Pages that were in flight when it opened fail too; only a new opening doubles the wait.
            openings = int(openings or 0) + 1
            open_s = max(min(self.max_s, self.base_s * 2 ** (openings - 1)), retry_after or 0.0)
            self.redis.hset(key, mapping={"open_until": now + open_s, "openings": openings})
        # Forgotten on its own once nobody has failed for a while: a breaker is about now.
        self.redis.expire(self.key(connection), int(self.max_s * 2) + 60)
        return open_s

    def succeeded(self, connection: str) -> None:
        """A record loaded: the target answers again."""
        self.redis.delete(self.key(connection))
