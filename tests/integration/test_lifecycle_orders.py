"""Orders cancelled, held or edited in Magento 2 after they reached NetSuite, as each sales order's state allows.

Through real `dramatiq pipeline.actors` workers, Magento 2 and NetSuite emulators on loopback; the
NetSuite emulator moves sales orders through their states as fulfilments and invoices are made
(``pipeline.testing.netsuite.orders``) and refuses what NetSuite refuses in each state.
"""

from __future__ import annotations

import json

import pytest

from pipeline.testing.magento1 import Magento1Emulator
from pipeline.testing.netsuite import NetSuiteEmulator
from tests.integration import test_magento1_integrations as m1
from tests.integration.conftest import run_cli
from tests.integration.test_magento1_integrations import CALDER, next_second, ns_records, seed_items
from tests.integration.test_magento1_integrations import MUG as M1_MUG
from tests.integration.test_magento1_integrations import TEE as M1_TEE
from tests.integration.test_netsuite_magento2_integrations import (  # noqa: F401 (fixtures)
    MUG, TEE, clock, counts, env, erp, m2_address, run, sales_orders, seed_magento_order, seed_netsuite_items, shop)

ORDERS = "magento2_to_netsuite_order"


@pytest.fixture
def m1_shop():
    with Magento1Emulator() as emulator:
        yield emulator
    assert emulator.violations == []


@pytest.fixture
def m1_erp():
    with NetSuiteEmulator() as emulator:
        yield emulator


@pytest.fixture
def m1_env(pipeline_env, m1_shop, m1_erp):
    return m1.connect(pipeline_env, m1_shop, m1_erp)


def change(shop, order: dict, **fields) -> None:
    with shop.lock:
        order.update(fields, updated_at=shop.now())


def test_orders_cancelled_held_or_edited_in_the_shop_change_their_sales_orders_as_netsuite_allows(
        env, workers, runs, erp, shop, clock):
    seed_netsuite_items(erp)
    address = m2_address("billing", "Ada", "Lovelace", ["12 St James's Square"], "London", "SW1Y 4JH", "GB",
                         "+44 20 7946 0000")
    orders = {name: seed_magento_order(shop, "ada@example.com", "Ada", "Lovelace", [TEE, MUG], address,
                                       status=status, state=status)
              for name, status in (("open", "processing"), ("shipped_in_part", "processing"),
                                   ("billed", "processing"), ("edited", "pending"), ("fulfilled_edit", "processing"),
                                   ("held", "processing"))}
    workers.start(threads=4)
    assert run(env, runs, ORDERS).counts == counts(6, loaded=6)
    so = {name: sales_orders(erp)[order["increment_id"]] for name, order in orders.items()}
    # NetSuite ships the first line of two orders, and ships and bills the whole of another.
    for name in ("shipped_in_part", "fulfilled_edit"):
        erp.store.transform("salesOrder", so[name]["id"], "itemFulfillment",
                            {"item": {"items": [{"orderLine": 1, "quantity": 2}]}})
    erp.store.transform("salesOrder", so["billed"]["id"], "itemFulfillment", {})
    erp.store.transform("salesOrder", so["billed"]["id"], "invoice", {})
    assert [so[name]["orderStatus"]["id"] for name in ("shipped_in_part", "billed")] == ["D", "G"]

    clock.advance()
    for name in ("open", "shipped_in_part", "billed"):
        change(shop, orders[name], status="canceled", state="canceled")
    change(shop, orders["edited"], items=[{**orders["edited"]["items"][0], "qty_ordered": 5},
                                          *orders["edited"]["items"][1:]])
    change(shop, orders["fulfilled_edit"], items=orders["fulfilled_edit"]["items"][:1])
    change(shop, orders["held"], status="holded", state="holded")
    second = run(env, runs, ORDERS)

    assert (second.counts, second.events) == (counts(6, loaded=1, failed=3), {"cancelled": 1, "closed": 1})
    assert so["open"]["orderStatus"]["id"] == "C"
    assert so["shipped_in_part"]["orderStatus"]["id"] == "H"
    assert all(line["isClosed"] for line in so["shipped_in_part"]["item"]["items"])
    assert so["edited"]["item"]["items"][0]["quantity"] == 5.0  # not fulfilled yet: updated
    assert len(so["fulfilled_edit"]["item"]["items"]) == 2  # fulfilled in part: left as it was
    failures = {failure.key: failure.error for failure in runs.failures(second.run_id)}
    tran = {name: f"sales order {so[name]['tranId']}" for name in so}
    assert failures == {
        orders["billed"]["increment_id"]: (
            f"Order {orders['billed']['increment_id']!r} was cancelled in the shop, but its {tran['billed']} (G "
            "Billed) is billed in full: NetSuite cannot cancel or close it. Refund it with a credit memo."),
        orders["fulfilled_edit"]["increment_id"]: (
            f"Order {orders['fulfilled_edit']['increment_id']!r} was changed in the shop (lines or shipping "
            f"address) after its {tran['fulfilled_edit']} (D Partially Fulfilled) was fulfilled, billed, cancelled "
            "or closed: NetSuite does not allow that edit, and nothing was changed. Change the sales order in "
            "NetSuite, or cancel and re-order."),
        orders["held"]["increment_id"]: (
            f"Order {orders['held']['increment_id']!r} was put on hold in the shop, but its {tran['held']} (B "
            "Pending Fulfillment) is approved already: NetSuite cannot return it to Pending Approval. Hold its "
            "fulfilment in NetSuite.")}
    entry = json.loads(run_cli(env, "entity", ORDERS, orders["shipped_in_part"]["increment_id"]).stdout)
    assert (entry["last"]["status"], entry["last"]["error"]) == ("closed", (
        f"Order {orders['shipped_in_part']['increment_id']!r} cancelled in the shop: {tran['shipped_in_part']} (D "
        "Partially Fulfilled) is partly fulfilled, which NetSuite cannot cancel, so its 2 open lines were closed."))

    # Read again: the cancellations are not applied twice; forced, a cancelled order says so and writes nothing.
    again = run(env, runs, ORDERS, "--mode", "full")
    assert (again.counts, again.events) == (counts(6, skipped=3, failed=3), {})
    before = json.dumps(so["open"], sort_keys=True)
    forced = run(env, runs, ORDERS, "--ref", orders["open"]["increment_id"], "--force")
    assert (forced.counts, forced.events) == (counts(1), {"cancelled": 1})
    assert json.dumps(so["open"], sort_keys=True) == before
    assert json.loads(run_cli(env, "entity", ORDERS, orders["open"]["increment_id"]).stdout)["last"]["error"] == (
        f"Order {orders['open']['increment_id']!r}: its {tran['open']} (C Cancelled) was cancelled already.")


def test_an_order_cancelled_before_it_reached_netsuite_creates_no_sales_order(env, workers, runs, erp, shop):
    seed_netsuite_items(erp)
    address = m2_address("billing", "Ada", "Lovelace", ["12 St James's Square"], "London", "SW1Y 4JH", "GB",
                         "+44 20 7946 0000")
    seed_magento_order(shop, "ada@example.com", "Ada", "Lovelace", [MUG], address, status="canceled", state="canceled")
    workers.start()

    summary = run(env, runs, ORDERS)

    assert (summary.counts, summary.events) == (counts(1), {"cancelled": 1})
    assert erp.store.records["salesOrder"] == {}


def test_a_magento1_order_cancelled_in_the_shop_cancels_its_sales_order_once(m1_env, workers, runs, m1_shop, m1_erp):
    seed_items(m1_erp, "WS12-M-Orange", "MUG-LOGO")
    order = m1_shop.add_order(customer_email="veronica.costello@example.com", items=[M1_TEE, M1_MUG],
                              billing_address=CALDER, shipping_address=CALDER)
    workers.start()
    assert run(m1_env, runs, "magento1_to_netsuite_order").counts == counts(1, loaded=1)

    next_second()
    with m1_shop.lock:
        order.update(status="canceled", state="canceled", updated_at=m1_shop.now())
    cancelled = run(m1_env, runs, "magento1_to_netsuite_order")

    assert (cancelled.counts, cancelled.events) == (counts(1), {"cancelled": 1})
    assert ns_records(m1_erp, "salesOrder")[order["increment_id"]]["orderStatus"]["id"] == "C"
    again = run(m1_env, runs, "magento1_to_netsuite_order", "--mode", "full")
    assert (again.counts, again.events) == (counts(1, skipped=1), {})
