"""Requests per time window, shared by every worker process: the second limit a system file declares.

The concurrency budget (``pipeline.systems.concurrency``) bounds requests in flight; many APIs
also count requests per second or minute (Shopify: a leaky bucket of 2 per second). Built on
Dramatiq's ``WindowRateLimiter`` over the same backend as the budgets. A request that finds the
window full waits for the next one instead of raising, so waiting never burns a retry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager

from dramatiq.rate_limits import WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend, StubBackend

from pipeline.errors import RetryableError
from pipeline.settings import DEFAULT_REDIS_URL

_backends: dict[str, object] = {}


def rate_limit_backend(environ: Mapping[str, str]):
    """Redis (shared by every worker) or, in the embedded mode, an in-process stand-in; one per URL."""
    if (environ.get("PIPELINE_BROKER_URL") or "").startswith("stub:"):
        return _backends.setdefault("stub", StubBackend())
    url = environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if url not in _backends:
        _backends[url] = RedisBackend(url=url)
    return _backends[url]


def window_budget(name: str, requests: int, window_s: int, environ: Mapping[str, str], *,
                  max_wait_s: float = 300.0, poll_s: float = 0.01) -> Callable[[], AbstractContextManager]:
    """A factory of context managers that each take one of ``requests`` per ``window_s`` seconds.

    >>> budget = window_budget("shop:example", 2, 1, {"PIPELINE_BROKER_URL": "stub://"})
    >>> with budget():
    ...     pass  # one request
    """
    namespace = environ.get("PIPELINE_NAMESPACE") or "pipeline"
    limiter = WindowRateLimiter(rate_limit_backend(environ), f"{namespace}:window:{name}", limit=requests,
                                window=window_s)

    @contextmanager
    def slot() -> Iterator[None]:
        deadline = time.monotonic() + max_wait_s
        while True:
            with limiter.acquire(raise_on_failure=False) as acquired:
                if acquired:
                    break
            if time.monotonic() > deadline:
                raise RetryableError(f"No free request of {name!r} ({requests} per {window_s}s) for "
                                     f"{max_wait_s:.0f}s.")
            time.sleep(poll_s)
        yield

    return slot


def both(*factories: Callable[[], AbstractContextManager] | None) -> Callable[[], AbstractContextManager]:
    """One limiter holding each of ``factories`` (None ones skipped), in order."""
    present = [factory for factory in factories if factory is not None]

    @contextmanager
    def held() -> Iterator[None]:
        with ExitStack() as stack:
            for factory in present:
                stack.enter_context(factory())
            yield

    return held
