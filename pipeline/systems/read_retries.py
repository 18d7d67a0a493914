"""Retrying idempotent reads in place, before the pipeline's own retries see them.

The pipeline retries a failed *record* (its load, split out of its batch, with backoff), but an
extraction is one message: a retryable error anywhere in it restarts the whole pull from the
cursor. A pull of N records from NetSuite is N + N/limit reads, so at a transient fault rate p
it completes with probability (1 - p) ** reads: about 2e-196 for 2,000 records at p = 0.2, and
still only 13 % at p = 0.001. Reads are safe to repeat, so each one is retried here, a few
times with jittered backoff (or the server's ``Retry-After``, when it is short enough to wait
for). Writes are never retried here: the pipeline retries them per record, after the system
checked whether the first attempt took effect (upserts by external id, document markers).

Each system keeps its own settings (``READ_RETRIES``, ``READ_BACKOFF_MS`` per connection).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pipeline.errors import RetryableError

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Retries of one read after its first attempt (so 4 attempts in all).
DEFAULT_READ_RETRIES = 3
#: First wait before a retry; each next one doubles (with jitter).
DEFAULT_READ_BACKOFF_MS = 500
#: A longer Retry-After is not waited for in place: the error goes up, and the message is
#: retried by the broker without holding a worker thread.
MAX_WAIT_S = 5.0


@dataclass(frozen=True)
class ReadRetries:
    """How a system retries its reads: ``retries`` more attempts, waits from ``backoff_s`` up.

    >>> calls = []
    >>> def flaky():
    ...     calls.append(1)
    ...     if len(calls) < 3:
    ...         raise RetryableError("HTTP 503", status=503)
    ...     return "page"
    >>> ReadRetries(retries=3, backoff_s=0, sleep=lambda s: None).call(flaky, "GET /customers")
    'page'
    >>> len(calls)
    3
    """

    retries: int = DEFAULT_READ_RETRIES
    backoff_s: float = DEFAULT_READ_BACKOFF_MS / 1000
    max_wait_s: float = MAX_WAIT_S
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def call(self, read: Callable[[], T], what: str) -> T:
        """``read()``, again after each retryable error, until it succeeds or the retries run out.

        Raises:
            RetryableError: the last attempt's error, or one whose Retry-After is too long to wait.
        """
        for attempt in range(self.retries + 1):
            try:
                return read()
            except RetryableError as error:
                wait = self.wait(attempt, error)
                if attempt == self.retries or wait is None:
                    raise
                logger.info("Retrying %s in %.2fs (attempt %d of %d): %s", what, wait, attempt + 2,
                            self.retries + 1, error)
                self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def wait(self, attempt: int, error: RetryableError) -> float | None:
        """Seconds to wait before the next attempt, or None when the server asks for too long a wait."""
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_wait_s else None
        # Jittered between half and all of the backoff: workers that met the same fault do not retry in step.
        return min(self.max_wait_s, self.backoff_s * 2 ** attempt * random.uniform(0.5, 1.0))

