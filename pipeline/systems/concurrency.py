"""Concurrency budgets: at most N requests in flight to one vendor account, across all processes.

Built on Dramatiq's ``ConcurrentRateLimiter`` over Redis. A request that finds the budget full
waits for a slot (polling) instead of raising, so waiting never burns one of the message's
retry attempts, and no request of ours is the cause of the vendor's 429s.

A held slot also counts what its request got in ``<namespace>:vendor:<budget>`` (a hash: outcome
-> requests, the outcomes being ``2xx``, ``3xx``, ``4xx``, ``429``, ``5xx`` and ``unanswered``);
the budgets are listed in the set ``<namespace>:budgets``; the console's ``/metrics`` reports both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

from dramatiq.rate_limits import ConcurrentRateLimiter
from dramatiq.rate_limits.backends import RedisBackend, StubBackend

from pipeline.errors import RetryableError
from pipeline.settings import DEFAULT_REDIS_URL

#: How long a slot may be held before it is considered leaked (a worker killed mid-request).
SLOT_TTL_MS = 120_000

_backends: dict[str, object] = {}


def rate_limit_backend(environ: Mapping[str, str]):
    """Redis (shared by every worker) or, in the embedded mode, an in-process stand-in."""
    if (environ.get("PIPELINE_BROKER_URL") or "").startswith("stub:"):
        return _backends.setdefault("stub", StubBackend())
    url = environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if url not in _backends:
        _backends[url] = RedisBackend(url=url)
    return _backends[url]


def outcome_of(status: int | None) -> str:
    """The counted outcome of a response status (None: no answer, a timeout or a dropped connection)."""
    if status is None:
        return "unanswered"
    return "429" if status == 429 else f"{min(max(status // 100, 2), 5)}xx"


class Slot:
    """One held request slot; ``answered``/``unanswered`` count its request's outcome for the budget."""

    def __init__(self, client, key: str) -> None:
        self.client, self.key = client, key

    def answered(self, status: int | None) -> None:
        if self.client is not None:
            self.client.hincrby(self.key, outcome_of(status), 1)

    def unanswered(self) -> None:
        self.answered(None)


def concurrency_budget(name: str, limit: int, environ: Mapping[str, str], *, max_wait_s: float = 300.0,
                       poll_s: float = 0.001) -> Callable[[], AbstractContextManager]:
    """A factory of context managers that each hold one of ``limit`` slots named ``name``.

    >>> budget = concurrency_budget("netsuite:1234567", 10, {"PIPELINE_BROKER_URL": "stub://"})
    >>> with budget():
    ...     pass  # one request
    """
    namespace = environ.get("PIPELINE_NAMESPACE") or "pipeline"
    backend = rate_limit_backend(environ)
    limiter = ConcurrentRateLimiter(backend, f"{namespace}:budget:{name}", limit=limit, ttl=SLOT_TTL_MS)
    # The embedded mode's stand-in backend has no Redis: nothing is counted there.
    client = getattr(backend, "client", None)
    held = Slot(client, f"{namespace}:vendor:{name}")
    if client is not None:
        # The index of budgets, so that the console reads them without scanning the keyspace.
        client.sadd(f"{namespace}:budgets", name)

    @contextmanager
    def slot() -> Iterator[Slot]:
        deadline = time.monotonic() + max_wait_s
        while True:
            with limiter.acquire(raise_on_failure=False) as acquired:
                if acquired:
                    yield held
                    return
            if time.monotonic() > deadline:
                raise RetryableError(f"No free request slot of {name!r} (limit {limit}) for {max_wait_s:.0f}s.")
            # Short: a freed slot left idle for a poll is throughput lost (1 ms of a 100 ms request is 1 %).
            time.sleep(poll_s)

    return slot
