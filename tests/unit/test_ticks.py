"""Scheduler ticks on a real Redis, with an injected clock: when they fire, and what each one does."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from pipeline.books.runs import RunStore
from pipeline.schedule.ticks import Ticks, next_ticks

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(("spec", "after", "expected"), [
    ("*/15 * * * *", utc(2026, 11, 30, 10, 7), [utc(2026, 11, 30, 10, 15), utc(2026, 11, 30, 10, 30),
                                                 utc(2026, 11, 30, 10, 45)]),
    ("*/15 * * * *", utc(2026, 11, 30, 10, 15), [utc(2026, 11, 30, 10, 30), utc(2026, 11, 30, 10, 45),
                                                  utc(2026, 11, 30, 11, 0)]),
    ("@hourly", utc(2026, 11, 30, 23, 30), [utc(2026, 12, 1, 0, 0), utc(2026, 12, 1, 1, 0), utc(2026, 12, 1, 2, 0)]),
    ("@daily", utc(2026, 12, 31, 12, 0), [utc(2027, 1, 1), utc(2027, 1, 2), utc(2027, 1, 3)]),
    ("0 9 * * mon-fri", utc(2026, 12, 4, 9, 0), [utc(2026, 12, 7, 9, 0), utc(2026, 12, 8, 9, 0),
                                                  utc(2026, 12, 9, 9, 0)]),
    ("30 2 1 * *", utc(2026, 11, 30, 0, 0), [utc(2026, 12, 1, 2, 30), utc(2027, 1, 1, 2, 30),
                                              utc(2027, 2, 1, 2, 30)]),
    ("5,35 */6 * * *", utc(2026, 11, 30, 6, 10), [utc(2026, 11, 30, 6, 35), utc(2026, 11, 30, 12, 5),
                                                   utc(2026, 11, 30, 12, 35)]),
])
def test_ticks_fire_at_the_right_minutes(spec, after, expected):
    assert next_ticks(spec, after, 3) == expected


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def runs(redis_client, namespace, clock):
    return RunStore(redis_client, namespace=namespace, ttl_s=3600, clock=clock)


def scheduler(redis_client, runs, namespace, clock) -> Ticks:
    return Ticks(redis_client, runs, namespace=namespace, stale_after_s=300, clock=clock)


class Starter:
    """Stands in for start_run: opens a real run record, as the actors do."""

    def __init__(self, runs: RunStore) -> None:
        self.runs, self.started = runs, []

    def __call__(self, integration: str) -> str:
        run_id = f"run-{len(self.started) + 1}"
        self.runs.start(run_id, integration, "changed")
        self.started.append(run_id)
        return run_id


def test_two_schedulers_start_one_run_per_tick(redis_client, runs, namespace, clock):
    first, second = (scheduler(redis_client, runs, namespace, clock) for _ in range(2))
    start = Starter(runs)
    tick = T0.isoformat()
    decisions = []

    # both schedulers send the same tick at the same moment
    threads = [threading.Thread(target=lambda s=s: decisions.append(s.on_tick("erp", tick, start)))
               for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(d.action for d in decisions) == ["duplicate", "started"]
    assert start.started == ["run-1"]
    assert sorted(d.action for d in first.decisions("erp")) == ["duplicate", "started"]


def test_a_tick_is_skipped_while_the_previous_run_is_in_progress_unless_forced(redis_client, runs, namespace,
                                                                               clock):
    ticks, start = scheduler(redis_client, runs, namespace, clock), Starter(runs)
    assert ticks.on_tick("erp", T0.isoformat(), start).action == "started"

    clock.now += 900
    skipped = ticks.on_tick("erp", utc(2026, 11, 30, 10, 15).isoformat(), start)
    clock.now += 900
    forced = ticks.on_tick("erp", utc(2026, 11, 30, 10, 30).isoformat(), start, force=True)

    assert (skipped.action, skipped.run_id, skipped.reason) == ("overlap", "run-1", "run run-1 is still in progress")
    assert forced.action == "started" and start.started == ["run-1", "run-2"]
    assert [d.action for d in ticks.decisions("erp")] == ["started", "overlap", "started"]


def test_a_tick_after_its_run_finished_starts_the_next_pull(redis_client, runs, namespace, clock):
    ticks, start = scheduler(redis_client, runs, namespace, clock), Starter(runs)
    ticks.on_tick("erp", T0.isoformat(), start)
    with redis_client.pipeline() as pipe:
        runs.finish_extraction(pipe, "run-1", "erp", "cursor-1")
        runs.settle("run-1", pipe.execute()[-1])

    clock.now += 900
    decision = ticks.on_tick("erp", utc(2026, 11, 30, 10, 15).isoformat(), start)

    assert (decision.action, decision.run_id) == ("started", "run-2")


def test_after_downtime_late_ticks_are_skipped_and_one_pull_covers_the_gap(redis_client, runs, namespace, clock):
    ticks, start = scheduler(redis_client, runs, namespace, clock), Starter(runs)
    # the scheduler was down from 10:00 to 11:02; periodiq then delivers what it had queued
    clock.now = utc(2026, 11, 30, 11, 2).timestamp()
    late = [ticks.on_tick("erp", utc(2026, 11, 30, 10, m).isoformat(), start) for m in (15, 30, 45)]
    current = ticks.on_tick("erp", utc(2026, 11, 30, 11, 0).isoformat(), start)

    assert [d.action for d in late] == ["stale", "stale", "stale"]
    assert late[0].reason == "2820s late: the next tick's pull covers the gap"
    assert current.action == "started" and start.started == ["run-1"]
