"""Documents that change in NetSuite after they reached the shop: tracking numbers added, documents voided.

Through real `dramatiq pipeline.actors` workers, NetSuite and Magento 2 (or Magento 1) emulators on loopback.
"""

from __future__ import annotations

from pipeline.testing.clock import Clock
from pipeline.testing.magento1 import Magento1Emulator
from pipeline.testing.netsuite import NetSuiteEmulator
from tests.integration import test_magento1_integrations as m1
from tests.integration.test_netsuite_magento2_integrations import (  # noqa: F401 (fixtures)
    MUG, TEE, clock, counts, env, erp, m2_address, run, sales_orders, seed_magento_order, seed_netsuite_items, shop)

SHIPMENTS, INVOICES = "netsuite_to_magento2_shipment", "netsuite_to_magento2_invoice"
MEMOS = "netsuite_to_magento2_credit_memo"
VOIDED = {"id": "Voided", "refName": "Voided"}


def tracks_of(shop, shipment: dict) -> list[tuple[str, str, str]]:
    return [(track["track_number"], track["carrier_code"], track["title"]) for track in shipment["tracks"]]


def package(*numbers: str) -> dict:
    return {"items": [{"packageTrackingNumber": number, "packageDescr": "DHL Paket"} for number in numbers]}


def ordered(env, runs, erp, shop) -> tuple[dict, str]:
    seed_netsuite_items(erp)
    address = m2_address("billing", "Ada", "Lovelace", ["12 St James's Square"], "London", "SW1Y 4JH", "GB",
                         "+44 20 7946 0000")
    order = seed_magento_order(shop, "ada@example.com", "Ada", "Lovelace", [TEE, MUG], address,
                               status="processing", state="processing")
    assert run(env, runs, "magento2_to_netsuite_order").counts == counts(1, loaded=1)
    return order, sales_orders(erp)[order["increment_id"]]["id"]


def test_tracking_numbers_added_to_a_fulfilment_later_reach_its_magento_shipment_once_each(
        env, workers, runs, erp, shop, clock):
    workers.start(threads=4)
    order, so_id = ordered(env, runs, erp, shop)
    store = erp.store
    # The tees leave before the carrier's label exists; the mug ships separately, later.
    tees = store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": 1, "itemReceive": True, "quantity": 2}]}})
    assert run(env, runs, SHIPMENTS).counts == counts(1, loaded=1)
    [shipment] = shop.tables.shipments.values()
    assert shipment["tracks"] == []

    clock.advance()
    store.update("itemFulfillment", tees, {"package": package("JJD0001", "JJD0002")})
    assert run(env, runs, SHIPMENTS).counts == counts(1, loaded=1)
    assert tracks_of(shop, shipment) == [("JJD0001", "custom", "DHL Paket"), ("JJD0002", "custom", "DHL Paket")]

    # A third parcel: one more track, the first two not added again; loaded again by force, nothing added.
    clock.advance()
    store.update("itemFulfillment", tees, {"package": package("JJD0001", "JJD0002", "JJD0003")}, replace=["package"])
    assert run(env, runs, SHIPMENTS).counts == counts(1, loaded=1)
    assert [number for number, _, _ in tracks_of(shop, shipment)] == ["JJD0001", "JJD0002", "JJD0003"]
    assert run(env, runs, SHIPMENTS, "--mode", "full", "--force").counts == counts(1, loaded=1)
    assert len(shipment["tracks"]) == 3 and len(shop.tables.shipments) == 1

    # The mug ships: a second partial shipment of the order, created once however often it is read.
    clock.advance()
    store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": 2, "itemReceive": True, "quantity": 1}]},
        "package": package("JJD0004")})
    assert run(env, runs, SHIPMENTS).counts == counts(1, loaded=1)
    assert run(env, runs, SHIPMENTS, "--mode", "full", "--force").counts == counts(2, loaded=2)
    assert len(shop.tables.shipments) == 2
    assert [len(document["tracks"]) for document in shop.tables.shipments.values()] == [3, 1]


def test_an_invoice_voided_in_netsuite_is_reported_when_the_shop_has_it_and_not_created_when_not(
        env, workers, runs, erp, shop, clock):
    workers.start()
    order, so_id = ordered(env, runs, erp, shop)
    store = erp.store
    first = store.transform("salesOrder", so_id, "invoice", {
        "item": {"items": [{"orderLine": 1, "quantity": 2}]}, "status": {"id": "Open", "refName": "Open"}})
    assert run(env, runs, INVOICES).counts == counts(1, loaded=1)
    [magento_invoice] = shop.tables.invoices.values()

    clock.advance()
    store.update("invoice", first, {"status": {"id": "Voided", "refName": "Voided"}})
    second = store.transform("salesOrder", so_id, "invoice", {
        "item": {"items": [{"orderLine": 2, "quantity": 1}]}, "status": {"id": "Voided", "refName": "Voided"}})
    summary = run(env, runs, INVOICES)

    assert (summary.counts, summary.events) == (counts(2, failed=1), {"cancelled": 1})
    [failure] = runs.failures(summary.run_id)
    assert (failure.key, failure.error) == (f"INV{first}", (
        f"The invoice 'INV{first}' was voided in the source after it reached Magento 2 as invoice "
        f"{magento_invoice['increment_id']!r} of order {order['increment_id']!r}. Magento 2's API cannot void an "
        "offline invoice: refund it with a credit memo, or cancel the order, in Magento 2."))
    assert len(shop.tables.invoices) == 1
    assert f"INV{second}" not in str(shop.tables.comments)


def test_a_credit_memo_and_a_shipment_voided_in_netsuite_are_reported_when_the_shop_has_them_and_never_created(
        env, workers, runs, erp, shop, clock):
    workers.start(threads=4)
    order, so_id = ordered(env, runs, erp, shop)
    store = erp.store
    shipped = store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": 1, "itemReceive": True, "quantity": 2}]}})
    invoice = store.transform("salesOrder", so_id, "invoice", {"status": {"id": "Open", "refName": "Open"}})
    memo = store.transform("invoice", invoice, "creditMemo", {"item": {"items": [{"orderLine": 2, "quantity": 1}]},
                                                             "status": {"id": "Open", "refName": "Open"}})
    assert run(env, runs, SHIPMENTS).counts == counts(1, loaded=1)
    assert run(env, runs, INVOICES).counts == counts(1, loaded=1)
    assert run(env, runs, MEMOS).counts == counts(1, loaded=1)
    [magento_shipment], [magento_memo] = shop.tables.shipments.values(), shop.tables.creditmemos.values()

    # Both voided after they reached the shop; a second fulfilment and credit memo voided before.
    clock.advance()
    store.update("itemFulfillment", shipped, {"status": VOIDED})
    store.update("creditMemo", memo, {"status": VOIDED})
    never_shipped = store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "status": VOIDED,
        "item": {"items": [{"orderLine": 2, "itemReceive": True, "quantity": 1}]}})
    never_credited = store.transform("invoice", invoice, "creditMemo", {
        "item": {"items": [{"orderLine": 1, "quantity": 1}]}, "status": VOIDED})
    shipments, memos = run(env, runs, SHIPMENTS), run(env, runs, MEMOS)

    assert (shipments.counts, shipments.events) == (counts(2, failed=1), {"cancelled": 1})
    assert (memos.counts, memos.events) == (counts(2, failed=1), {"cancelled": 1})
    [shipment_failure], [memo_failure] = runs.failures(shipments.run_id), runs.failures(memos.run_id)
    assert (shipment_failure.key, shipment_failure.error) == (f"IF{shipped}", (
        f"The shipment 'IF{shipped}' was voided in the source after it reached Magento 2 as shipment "
        f"{magento_shipment['increment_id']!r} of order {order['increment_id']!r}. Magento 2's API cannot delete a "
        "shipment: correct its tracks, or record a return, in Magento 2."))
    assert (memo_failure.key, memo_failure.error) == (f"CM{memo}", (
        f"The credit memo 'CM{memo}' was voided in the source after it reached Magento 2 as credit memo "
        f"{magento_memo['increment_id']!r} of order {order['increment_id']!r}. Magento 2's API cannot cancel a "
        "credit memo once refunded: charge the amount again (a new invoice or order), or correct it in Magento 2."))
    assert (len(shop.tables.shipments), len(shop.tables.creditmemos)) == (1, 1)
    assert f"IF{never_shipped}" not in str(shop.tables.comments)
    assert f"CM{never_credited}" not in str(shop.tables.comments)
    # Read again by force: the one never created stays cancelled and is still not created.
    again = run(env, runs, MEMOS, "--mode", "full", "--force")
    assert (again.counts, again.events, len(shop.tables.creditmemos)) == (counts(2, failed=1), {"cancelled": 1}, 1)


def test_an_item_fulfilment_voided_in_netsuite_is_reported_by_magento1_too(pipeline_env, workers, runs):
    with Magento1Emulator() as m1_shop, NetSuiteEmulator() as m1_erp:
        m1_erp.store.clock = Clock()
        env = m1.connect(pipeline_env, m1_shop, m1_erp)
        store = m1_erp.store
        m1.seed_items(m1_erp, "WS12-M-Orange", "MUG-LOGO")
        order = m1_shop.add_order(customer_email="veronica.costello@example.com", items=[m1.TEE, m1.MUG],
                                  billing_address=m1.CALDER, shipping_address=m1.CALDER)
        workers.start(threads=4)
        assert m1.run(env, runs, "magento1_to_netsuite_order").counts == counts(1, loaded=1)
        so_id = m1.ns_records(m1_erp, "salesOrder")[order["increment_id"]]["id"]
        tees = store.transform("salesOrder", so_id, "itemFulfillment", {
            "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": 1, "itemReceive": True, "quantity": 2}]}})
        assert m1.run(env, runs, "netsuite_to_magento1_shipment").counts == counts(1, loaded=1)
        [shipment] = m1_shop.tables.shipments.values()

        store.clock.advance()
        store.update("itemFulfillment", tees, {"status": VOIDED})
        mugs = store.transform("salesOrder", so_id, "itemFulfillment", {
            "shipStatus": {"id": "C"}, "status": VOIDED,
            "item": {"items": [{"orderLine": 2, "itemReceive": True, "quantity": 1}]}})
        summary = m1.run(env, runs, "netsuite_to_magento1_shipment")

        assert (summary.counts, summary.events) == (counts(2, failed=1), {"cancelled": 1})
        [failure] = runs.failures(summary.run_id)
        assert (failure.key, failure.error) == (f"IF{tees}", (
            f"The shipment 'IF{tees}' was voided in the source after it reached Magento 1 as shipment "
            f"{shipment['increment_id']!r} of order {order['increment_id']!r}. Magento 1's API cannot delete a "
            "shipment: correct its tracks, or record a return, in Magento 1."))
        assert len(m1_shop.tables.shipments) == 1 and f"IF{mugs}" not in str(m1_shop.tables.shipments)
        assert m1_shop.violations == []
