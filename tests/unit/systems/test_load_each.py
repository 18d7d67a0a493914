"""``load_each``: a batch stops sending when its first records find the target down, and only then;
with a ``pool``, the rest of a batch loads on its threads at once."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipeline.errors import FatalError, NotSentError, RetryableError
from pipeline.systems.base import DOWN_AFTER, LoadItem, load_each

ITEMS = [LoadItem(f"k{n}", {}, {}) for n in range(10)]


def loader(answers: dict[str, Exception]):
    sent = []

    def load_one(item: LoadItem) -> None:
        sent.append(item.key)
        if item.key in answers:
            raise answers[item.key]

    return load_one, sent


def test_a_batch_whose_first_records_find_the_target_down_sends_no_more():
    load_one, sent = loader({item.key: RetryableError("503", status=503, retry_after=4) for item in ITEMS})
    outcomes = load_each(load_one, ITEMS)
    assert sent == ["k0", "k1", "k2"] and DOWN_AFTER == 3
    assert all(isinstance(outcome, NotSentError) and outcome.retry_after == 4 for outcome in outcomes[3:])
    assert len(outcomes) == len(ITEMS)


def test_no_answer_at_all_counts_as_down_too():
    load_one, sent = loader({item.key: RetryableError("refused", status=None) for item in ITEMS})
    load_each(load_one, ITEMS)
    assert len(sent) == DOWN_AFTER


def test_failures_after_a_record_went_through_or_that_are_not_outages_are_sent_one_by_one():
    down = {key: RetryableError("503", status=503) for key in ("k1", "k2", "k3", "k4")}
    load_one, sent = loader(down)  # k0 went through: the target is up, these fail on their own
    outcomes = load_each(load_one, ITEMS)
    assert sent == [item.key for item in ITEMS] and outcomes[0] is None
    throttled = {item.key: RetryableError("429", status=429) for item in ITEMS}
    load_one, sent = loader(throttled)  # a 429 is the target answering: every record is tried
    load_each(load_one, ITEMS)
    assert len(sent) == len(ITEMS)
    refused = {item.key: FatalError("422", status=422) for item in ITEMS}
    load_one, sent = loader(refused)
    load_each(load_one, ITEMS)
    assert len(sent) == len(ITEMS)


def test_a_parallel_batch_loads_that_many_records_at_once_and_keeps_each_outcome_in_its_place():
    first_through = threading.Event()
    all_in = threading.Barrier(4)  # passes only once four loads are in at the same time
    in_now, most = [0], [0]
    lock = threading.Lock()

    def load_one(item: LoadItem) -> str:
        if item.key == "k0":
            first_through.set()
            return "first"
        with lock:
            in_now[0] += 1
            most[0] = max(most[0], in_now[0])
        if item.key in ("k1", "k2", "k3", "k4"):
            all_in.wait(timeout=60)
        with lock:
            in_now[0] -= 1
        if item.key == "k5":
            raise FatalError("refused")
        return item.key

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = load_each(load_one, ITEMS, pool=pool)
    assert first_through.is_set() and most[0] == 4
    assert outcomes[0] == "first" and isinstance(outcomes[5], FatalError)
    assert [outcome for index, outcome in enumerate(outcomes) if index not in (0, 5)] == [
        item.key for item in ITEMS if item.key not in ("k0", "k5")]


def test_a_parallel_batch_still_opens_one_record_at_a_time_and_stops_when_the_target_is_down():
    load_one, sent = loader({item.key: RetryableError("503", status=503) for item in ITEMS})
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = load_each(load_one, ITEMS, pool=pool)
    assert sent == ["k0", "k1", "k2"]
    assert all(isinstance(outcome, NotSentError) for outcome in outcomes[3:])


def test_a_batch_naming_a_key_twice_loads_in_order():
    items = [LoadItem("k0", {}, {}), LoadItem("k1", {"v": 1}, {}), LoadItem("k1", {"v": 2}, {})]
    load_one, sent = loader({})
    with ThreadPoolExecutor(max_workers=8) as pool:
        load_each(load_one, items, pool=pool)
    assert sent == ["k0", "k1", "k1"]


def test_parallel_loads_run_in_the_callers_context_and_a_bug_still_propagates():
    where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="unset")
    where.set("run-7")
    seen = []

    def load_one(item: LoadItem) -> None:
        seen.append(where.get())
        if item.key == "k9":
            raise KeyError("a bug, not a record's error")

    with ThreadPoolExecutor(max_workers=4) as pool, pytest.raises(KeyError):
        load_each(load_one, ITEMS, pool=pool)
    assert set(seen) == {"run-7"}
