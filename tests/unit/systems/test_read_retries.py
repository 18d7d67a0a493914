"""Reads retried in place: how many times, how long between, and when the error goes up instead."""

from __future__ import annotations

import doctest

import pytest

import pipeline.systems.read_retries
from pipeline.errors import FatalError, RetryableError
from pipeline.systems.read_retries import MAX_WAIT_S, ReadRetries


class Script:
    """A read that fails with the given errors, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.calls = list(errors), 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "page"


def policy(retries: int = 3, backoff_s: float = 0.1) -> tuple[ReadRetries, list[float]]:
    waits: list[float] = []
    return ReadRetries(retries=retries, backoff_s=backoff_s, sleep=waits.append), waits


def test_a_read_is_retried_with_doubling_jittered_waits_until_it_answers():
    retries, waits = policy(retries=3, backoff_s=0.1)
    read = Script(RetryableError("503"), RetryableError("503"), RetryableError("timeout"))

    assert retries.call(read, "GET /x") == "page"

    assert read.calls == 4
    for attempt, wait in enumerate(waits):
        assert 0.1 * 2 ** attempt / 2 <= wait <= 0.1 * 2 ** attempt


def test_the_servers_retry_after_is_waited_when_it_is_short_and_raised_when_it_is_long():
    retries, waits = policy()
    assert retries.call(Script(RetryableError("429", status=429, retry_after=1.0)), "GET /x") == "page"
    assert waits == [1.0]

    too_long = Script(RetryableError("429", status=429, retry_after=MAX_WAIT_S + 1))
    with pytest.raises(RetryableError, match="429"):
        retries.call(too_long, "GET /x")
    assert too_long.calls == 1  # the broker delays the message instead of holding a worker thread


def test_the_last_error_goes_up_when_the_retries_run_out_and_other_errors_at_once():
    retries, waits = policy(retries=2)
    exhausted = Script(*[RetryableError(f"503 #{n}") for n in range(5)])
    with pytest.raises(RetryableError, match="503 #2"):
        retries.call(exhausted, "GET /x")
    assert exhausted.calls == 3 and len(waits) == 2

    fatal = Script(FatalError("400"))
    with pytest.raises(FatalError):
        retries.call(fatal, "GET /x")
    assert fatal.calls == 1


def test_the_docstring_example_holds():
    result = doctest.testmod(pipeline.systems.read_retries)

    assert (result.failed, result.attempted > 0) == (0, True)
