"""The actor chain in-process on Dramatiq's StubBroker, against the memory system.

Each record keeps its own outcome inside a batch: retried alone, failed alone, never re-running
its batch mates.
"""

from __future__ import annotations

import time

import dramatiq
import pytest
from dramatiq import Worker
from dramatiq.encoder import JSONEncoder

from pipeline.app import App
from pipeline.errors import FatalError, RetryableError
from pipeline.settings import Settings
from pipeline.systems.memory import memory_store, reset_memory_stores
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def actors():
    app = App(Settings.from_env({
        "PIPELINE_BROKER_URL": "stub://",
        "PIPELINE_MAPPINGS_DIR": str(FIXTURES / "unit_mappings"),
        "PIPELINE_RETRY_MIN_BACKOFF_MS": "20",
        "PIPELINE_RETRY_MAX_BACKOFF_MS": "200",
    }))
    app.declare_actors()
    worker = Worker(app.broker, worker_threads=2, worker_timeout=20)
    worker.start()
    yield app
    worker.stop()


@pytest.fixture
def stores(actors):
    # Messages a finished run no longer counts (redundant copies after a crash) may still be in flight.
    for queue in actors.broker.get_declared_queues():
        actors.broker.join(queue, timeout=10_000, fail_fast=False)
    reset_memory_stores()
    # The embedded mode's books live in fakeredis, in this process only: safe to wipe between tests.
    actors.books.redis.flushdb()
    source, target = memory_store("erp"), memory_store("shop")
    source.source["customer"] = [
        {"email": f"c{n}@example.com", "first": f"C{n}", "last": "Test"} for n in range(25)]
    yield source, target
    reset_memory_stores()


def run(actors, mode="changed", refs=None, timeout_s=20):
    run_id = actors.start_run("memory_customer", mode, refs)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        summary = actors.runs.get(run_id)
        if summary.finished_at is not None:
            return summary
        time.sleep(0.01)
    raise AssertionError(f"run did not finish: {actors.runs.get(run_id)}")


def test_every_record_is_loaded_once_across_pages(actors, stores):
    _, target = stores

    summary = run(actors)

    assert summary.counts == {"extracted": 25, "loaded": 25, "skipped": 0, "failed": 0}
    assert set(target.writes["customer"].values()) == {1}
    assert target.loaded["customer"]["c7@example.com"] == {
        "email": "c7@example.com", "first_name": "C7", "last_name": "Test"}


def test_a_retryable_failure_is_retried_alone_without_reloading_its_batch_mates(actors, stores):
    _, target = stores
    target.faults[("customer", "c3@example.com")] = [RetryableError("HTTP 503"), RetryableError("HTTP 503")]

    summary = run(actors)

    assert summary.counts["loaded"] == 25 and summary.counts["failed"] == 0
    assert len(target.attempts[("customer", "c3@example.com")]) == 3
    assert target.writes["customer"]["c3@example.com"] == 1
    assert target.writes["customer"]["c4@example.com"] == 1  # its batch mate: loaded once, never re-run


def test_a_permanent_failure_fails_at_once_with_its_error_and_the_rest_goes_on(actors, stores):
    _, target = stores
    target.faults[("customer", "c5@example.com")] = [FatalError("HTTP 400: Email is already taken.")]

    summary = run(actors)

    assert summary.counts == {"extracted": 25, "loaded": 24, "skipped": 0, "failed": 1}
    assert len(target.attempts[("customer", "c5@example.com")]) == 1
    [failure] = actors.runs.failures(summary.run_id)
    assert (failure.key, failure.stage, failure.error_type, failure.error) == (
        "c5@example.com", "load", "FatalError", "HTTP 400: Email is already taken.")


def test_a_record_that_keeps_failing_fails_after_the_integrations_max_retries(actors, stores):
    _, target = stores
    target.faults[("customer", "c9@example.com")] = [RetryableError("HTTP 502")] * 10

    summary = run(actors)

    assert summary.counts == {"extracted": 25, "loaded": 24, "skipped": 0, "failed": 1}
    # max_retries: 3 in the mapping file -> one attempt in its batch, then 1 + 3 on its own
    assert len(target.attempts[("customer", "c9@example.com")]) == 5
    [failure] = actors.runs.failures(summary.run_id)
    assert (failure.key, failure.error) == ("c9@example.com", "RetryableError: HTTP 502")


def test_the_servers_retry_after_is_honoured(actors, stores):
    _, target = stores
    target.faults[("customer", "c1@example.com")] = [RetryableError("HTTP 429", retry_after=0.5)] * 2

    run(actors)

    first, second, third = target.attempts[("customer", "c1@example.com")]
    assert second - first >= 0.5 and third - second >= 0.5


def test_an_exception_named_in_retry_on_is_retried_and_others_are_not(actors, stores):
    _, target = stores
    target.faults[("customer", "c2@example.com")] = [KeyError("stale lookup")]  # a LookupError
    target.faults[("customer", "c6@example.com")] = [ValueError("bad value")] * 3

    summary = run(actors)

    assert target.writes["customer"]["c2@example.com"] == 1
    assert len(target.attempts[("customer", "c6@example.com")]) == 1
    assert [(f.key, f.error_type) for f in actors.runs.failures(summary.run_id)] == [("c6@example.com", "ValueError")]


def test_a_run_by_reference_then_a_full_run_that_skips_unchanged_records(actors, stores):
    _, target = stores

    by_ref = run(actors, "refs", ["c11@example.com", "c12@example.com"])
    full = run(actors, "full")

    assert by_ref.counts["loaded"] == 2
    # the two loaded by reference are unchanged since: skipped, not written again
    assert (full.counts["loaded"], full.counts["skipped"]) == (23, 2)
    assert target.writes["customer"]["c11@example.com"] == 1


def test_an_incremental_run_starts_at_the_cursor(actors, stores):
    source, target = stores
    run(actors, "full")
    source.source["customer"].append({"email": "new@example.com", "first": "New", "last": "One"})

    summary = run(actors)

    assert summary.counts["loaded"] == 1
    assert actors.runs.get_cursor("memory_customer") == "26"


def test_a_forced_run_loads_unchanged_records_again(actors, stores):
    _, target = stores
    run(actors, "full")

    forced_id = actors.start_run("memory_customer", "full", force=True)
    deadline = time.monotonic() + 20
    while actors.runs.get(forced_id).finished_at is None and time.monotonic() < deadline:
        time.sleep(0.01)

    assert actors.runs.get(forced_id).counts["loaded"] == 25
    assert set(target.writes["customer"].values()) == {2}


def test_a_crash_between_extraction_and_cursor_advance_rereads_without_losing_or_double_loading(actors, stores):
    source, target = stores
    # The extraction hands on every page, then dies before the cursor moves; Dramatiq runs it again.
    source.extract_faults.append(ConnectionError("worker lost its connection"))

    summary = run(actors)

    assert set(target.writes["customer"].values()) == {1} and len(target.writes["customer"]) == 25
    assert actors.runs.get_cursor("memory_customer") == "25"
    # the second reading found each record either still waiting or already loaded: skipped, not reloaded
    assert summary.counts["loaded"] == 25 and summary.counts["failed"] == 0


def test_records_changed_during_a_pull_are_picked_up_by_the_next_one(actors, stores):
    source, target = stores
    late = {"email": "late@example.com", "first": "Late", "last": "Comer"}
    source.after_page = lambda number: number == 0 and source.source["customer"].append(late)

    first = run(actors)
    loaded_by_first = set(target.loaded["customer"])
    source.after_page = None
    second = run(actors)

    assert first.counts["loaded"] == 25 and "late@example.com" not in loaded_by_first
    assert second.counts == {"extracted": 1, "loaded": 1, "skipped": 0, "failed": 0}
    assert target.loaded["customer"]["late@example.com"]["first_name"] == "Late"


def test_dead_letters_keep_their_true_attempts_and_error_with_status_tracking_off(stores):
    _, target = stores
    target.faults[("customer", "c9@example.com")] = [RetryableError("HTTP 502")] * 10
    untracked = App(Settings.from_env({
        "PIPELINE_BROKER_URL": "stub://",
        "PIPELINE_MAPPINGS_DIR": str(FIXTURES / "unit_mappings"),
        "PIPELINE_RETRY_MIN_BACKOFF_MS": "20",
        "PIPELINE_RETRY_MAX_BACKOFF_MS": "200",
        "PIPELINE_STATUS_TRACKING": "off",
    }))
    untracked.declare_actors()
    worker = Worker(untracked.broker, worker_threads=2, worker_timeout=20)
    worker.start()
    try:
        summary = run(untracked)
    finally:
        worker.stop()

    assert summary.counts == {"extracted": 25, "loaded": 24, "skipped": 0, "failed": 1}
    letter = untracked.books.dead_letters.get("memory_customer", "c9@example.com")
    # Split out of its batch, then 1 + max_retries (3) attempts of its own message.
    assert (letter.attempts, letter.failure.error_type, letter.failure.error) == (
        4, "RetryableError", "RetryableError: HTTP 502")
    assert untracked.books.messages.get(letter.message_id) is None  # no statuses were kept


def test_building_an_app_leaves_dramatiqs_process_wide_encoder_alone(actors, stores):
    run(actors)  # the chain's messages are encoded with the app's own encoder

    assert type(dramatiq.get_encoder()) is JSONEncoder
