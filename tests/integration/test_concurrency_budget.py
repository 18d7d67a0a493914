"""Concurrency budgets on real Redis: hand-off on release, dead waiters skipped, limits that adapt to 429s.

The last test runs real workers against a NetSuite emulator whose account allows half the
configured ``CONCURRENCY``: the budget must learn the real limit from the 429s and lose nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from pipeline.systems.concurrency import LocalBudget, RedisBudget
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.netsuite import NetSuiteEmulator
from pipeline.testing.server import Faults
from tests.integration.conftest import start_run, wait_for_run
from tests.integration.test_netsuite_magento2_integrations import connect, ns_address


def wait_until(condition, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def budget_of(redis_client, namespace):
    def make(limit: int, **options) -> RedisBudget:
        return RedisBudget(redis_client, f"{namespace}:budget:test", limit, **options)
    return make


class Holder:
    """A thread that takes a slot and holds it until told to let go."""

    def __init__(self, budget) -> None:
        self.holding, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.budget = budget
        self.thread.start()

    def _run(self) -> None:
        with self.budget.slot():
            self.holding.set()
            self.release.wait(60)

    def stop(self) -> None:
        self.release.set()
        self.thread.join(30)


def test_a_release_hands_its_slot_to_the_waiter_at_once_without_polling(budget_of, redis_client, namespace):
    # The waiter renews its place only every 60 s: only the release's hand-off can wake it in time.
    budget = budget_of(1, wake_s=60)
    first = Holder(budget)
    assert first.holding.wait(10)
    second = Holder(budget)
    assert wait_until(lambda: redis_client.llen(f"{namespace}:budget:test:queue") == 1)
    assert not second.holding.is_set()

    first.release.set()

    assert second.holding.wait(10), "the waiter was not handed the released slot"
    second.stop()


def test_waiters_get_slots_in_the_order_they_asked_and_never_more_than_the_limit(budget_of):
    budget, order, in_flight, peak, lock = budget_of(2), [], [0], [0], threading.Lock()

    def request(number: int) -> None:
        with budget.slot():
            with lock:
                order.append(number)
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            time.sleep(0.02)
            with lock:
                in_flight[0] -= 1

    threads = [threading.Thread(target=request, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(order) == list(range(12)) and peak[0] <= 2


def test_a_waiter_that_stopped_renewing_is_skipped(budget_of, namespace, redis_client):
    budget = budget_of(1, wake_s=0.05)  # a waiter is dead after 0.25 s of silence
    holder = Holder(budget)
    assert holder.holding.wait(10)
    assert budget._call("acquire", "dead-waiter") == 0  # queued, then never renews (its process died)
    assert wait_until(lambda: redis_client.zscore(f"{namespace}:budget:test:alive", "dead-waiter") is not None)
    time.sleep(0.3)
    living = Holder(budget)
    assert wait_until(lambda: redis_client.llen(f"{namespace}:budget:test:queue") == 2)

    holder.release.set()

    assert living.holding.wait(10), "the slot went to the dead waiter"
    living.stop()


@pytest.mark.parametrize("kind", ["redis", "local"])
def test_a_throttle_lowers_the_limit_below_the_refused_requests_position_and_it_recovers(kind, budget_of):
    budget = budget_of(10, recover_s=0.3) if kind == "redis" else LocalBudget("test", 10, recover_s=0.3)
    holders = [Holder(budget) for _ in range(4)]
    assert all(holder.holding.wait(10) for holder in holders)

    with budget.slot() as slot:  # the fifth in flight is refused by the vendor
        assert slot.position == 5
        lowered = slot.throttled()
        # The other refusals of the same burst agree with it rather than lowering the limit further.
        again = slot.throttled()

    assert (lowered, again) == (4, 4)
    for holder in holders:
        holder.stop()
    assert wait_until(lambda: budget.current_limit() == 10), budget.current_limit()


def test_a_lowered_local_limit_holds_back_requests_until_it_recovers():
    budget = LocalBudget("test", 3, recover_s=60)
    with budget.slot() as slot:
        slot.throttled()  # refused as the first in flight: the limit is now 1
    first = Holder(budget)
    assert first.holding.wait(10)
    second = Holder(budget)
    time.sleep(0.1)
    assert not second.holding.is_set()
    first.release.set()
    assert second.holding.wait(10)
    second.stop()


# Real workers, a NetSuite account allowing half the configured concurrency ------------------------

CUSTOMERS, REAL_LIMIT, CONFIGURED = 240, 4, 8


def test_workers_configured_at_twice_the_accounts_limit_learn_it_and_lose_nothing(pipeline_env, workers, runs,
                                                                                  redis_client):
    with NetSuiteEmulator(faults=Faults(max_concurrent=REAL_LIMIT, latency_s=0.05)) as erp, \
            Magento2Emulator() as shop:
        t0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
        for n in range(CUSTOMERS):
            erp.store.add("customer", {
                "isPerson": True, "firstName": f"First{n}", "lastName": f"Last{n}",
                "email": f"customer{n:04d}@example.com", "addressBook": {"items": [
                    ns_address(f"First{n}", f"{n} Main Street", "London", f"{10000 + n}", "GB")]}},
                modified=t0 + dt.timedelta(seconds=n))
        # Reads retried in place with the default backoff: a throttled read must not restart the pull.
        connect(pipeline_env, erp, shop, CONCURRENCY=str(CONFIGURED), READ_BACKOFF_MS="200")
        pipeline_env["PIPELINE_BUDGET_RECOVER_S"] = "30"
        workers.start(processes=2, threads=8)

        summary = wait_for_run(runs, start_run(pipeline_env, "netsuite_to_magento2_customer"), timeout_s=240)

        throttled = erp.counts["over_concurrency"]
        requests = len(erp.requests)
        print(f"\n{requests} NetSuite requests, {throttled} answered 429; peak in flight {erp.peak_in_flight}")
        assert summary.counts == {"extracted": CUSTOMERS, "loaded": CUSTOMERS, "skipped": 0, "failed": 0}
        assert len(shop.tables.customers) == CUSTOMERS
        # The budget was lowered by what the vendor said, and the pull was not restarted.
        assert 0 < throttled < requests * 0.1
        [state] = [key for key in redis_client.scan_iter(match=f"{pipeline_env['PIPELINE_NAMESPACE']}:budget:*:state")]
        assert int(redis_client.hget(state, "limit")) <= REAL_LIMIT
        assert "Retrying message" not in workers.logs()
