"""A worker killed in the middle of a lifecycle event: the event is applied once, and counted once.

A real ``dramatiq pipeline.actors`` worker is armed to exit at ``load.after_write``
(``PIPELINE_TEST_CRASH_AT``, see ``pipeline.crash_points``): the target has applied the event (an
order cancelled, a member archived or erased), the books do not know it. A second worker, started
after it died, gets the message back (``pipeline.flow.recovery``, after the documented
``PIPELINE_HEARTBEAT_TIMEOUT_MS``) and loads it again: the event must reach the target once, and
the run count it once.
"""

from __future__ import annotations

import time

import pytest

from pipeline.crash_points import CRASH_EXIT_CODE
from pipeline.systems.mailchimp import subscriber_hash
from tests.integration import test_mailchimp_integrations as chimp_tests
from tests.integration import test_netsuite_magento2_integrations as erp_tests
from tests.integration.conftest import run_cli, start_run, wait_for_run
from tests.integration.test_lifecycle_missing import opt_in
from tests.integration.test_mailchimp_integrations import chimp, chimp_faults, member  # noqa: F401 (fixtures)
from tests.integration.test_netsuite_magento2_integrations import (  # noqa: F401 (fixtures)
    MUG, TEE, clock, counts, erp, m2_address, sales_orders, seed_magento_order, seed_netsuite_items, shop)

POINT = "load.after_write"


@pytest.fixture
def env(pipeline_env, shop, erp, chimp):
    pipeline_env.update(chimp_tests.connection_env(shop.environ("magento2_shop", "oauth"), "magento2_shop"))
    pipeline_env.update(chimp_tests.connection_env(chimp.environ("mailchimp"), "mailchimp"))
    pipeline_env.update(erp.env("netsuite_erp"))
    # A documented setting: a dead worker's messages are requeued within 1.5 times this.
    pipeline_env["PIPELINE_HEARTBEAT_TIMEOUT_MS"] = "3000"
    return pipeline_env


def through_a_crash(env, workers, runs, start):
    """Stop the workers, start one armed to die at ``POINT``, run ``start()``; after it died, finish with a new one."""
    workers.stop()
    workers.env = {**env, "PIPELINE_TEST_CRASH_AT": POINT}
    doomed = workers.start(threads=1)
    workers.env = env  # the next worker is not armed
    run_id = start()
    assert doomed.wait(timeout=120) == CRASH_EXIT_CODE  # it died at the point, not otherwise
    assert f"Crashing at {POINT}" in workers.logs()
    workers.start(threads=2)
    wait_for_run(runs, run_id, timeout_s=180)
    # The counts can be complete before the redelivered message's own books are (the crash-point tests'
    # caveat): wait for the run to be marked finished too.
    deadline = time.monotonic() + 120
    while runs.get(run_id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    return runs.get(run_id)


def requests_of(emulator, method: str, suffix: str) -> int:
    return sum(1 for request in emulator.requests if request.method == method and request.path.endswith(suffix))


def test_an_order_cancelled_in_the_shop_cancels_its_sales_order_once_through_a_worker_killed_mid_event(
        env, workers, runs, erp, shop, clock):
    seed_netsuite_items(erp)
    address = m2_address("billing", "Ada", "Lovelace", ["12 St James's Square"], "London", "SW1Y 4JH", "GB",
                         "+44 20 7946 0000")
    order = seed_magento_order(shop, "ada@example.com", "Ada", "Lovelace", [TEE, MUG], address,
                               status="processing", state="processing")
    workers.start(threads=4)
    assert erp_tests.run(env, runs, "magento2_to_netsuite_order").counts == counts(1, loaded=1)
    so_id = sales_orders(erp)[order["increment_id"]]["id"]

    clock.advance()
    with shop.lock:
        order.update(status="canceled", state="canceled", updated_at=shop.now())
    summary = through_a_crash(env, workers, runs, lambda: start_run(env, "magento2_to_netsuite_order"))

    assert (summary.counts, summary.events, summary.status) == (counts(1), {"cancelled": 1}, "complete")
    assert sales_orders(erp)[order["increment_id"]]["orderStatus"]["id"] == "C"
    # Cancelled by the dead worker; the second delivery found it cancelled and wrote nothing.
    assert requests_of(erp, "PATCH", f"/salesOrder/{so_id}") == 1


def test_a_member_archived_and_one_erased_through_a_worker_killed_mid_event_are_removed_once(
        env, workers, runs, shop, chimp):
    customers = chimp_tests.CUSTOMERS
    # Every customer may go (100 %): the full run then has the archive as its only load.
    opt_in(env, customers, "{on_missing: delete, missing_limit_pct: 100}")
    grace = shop.add_customer(email="grace@example.com", firstname="Grace", lastname="Hopper", group_id=1)
    workers.start(threads=4)
    assert chimp_tests.run(env, runs, customers).counts == counts(1, loaded=1)

    del shop.tables.customers[grace["id"]]
    archived = through_a_crash(env, workers, runs, lambda: start_run(env, customers, "--mode", "full"))

    assert (archived.counts, archived.missing, archived.events, archived.status) == (
        counts(0), 1, {"archived": 1}, "complete")
    assert member(chimp, "grace@example.com")["status"] == "archived"
    assert requests_of(chimp, "DELETE", f"/members/{subscriber_hash('grace@example.com')}") == 1

    # Ada asks to be forgotten; the worker dies right after Mailchimp erased her.
    chimp.add_member("ada@example.com")

    def erase() -> str:
        return run_cli(env, "erase", customers, "ada@example.com", "--no-wait").stdout.split()[1]

    erased = through_a_crash(env, workers, runs, erase)

    assert (erased.counts, erased.events, erased.status) == (counts(1), {"deleted": 1}, "complete")
    assert subscriber_hash("ada@example.com") in chimp.forgotten[chimp.list_id]
    assert requests_of(chimp, "POST", "/actions/delete-permanent") == 1
