"""The shipped NetSuite <-> Magento 2 integrations, end to end through real `dramatiq pipeline.actors` workers.

Both emulators run in this process, on loopback; the workers reach them over HTTP through the
connections ``netsuite_erp`` and ``magento2_shop``, as in production. Each integration runs three
times: a first incremental run, a second one after records changed in the source (only those are
read again), and a full run (everything is read again, nothing is written twice). Records are
checked field by field in the target emulator's state.

The last test loads thousands of records while both emulators fail a fifth of all requests. Two
tests in between check compound keys (stock is ``sku@source``): runs by reference, and failures.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time

import pytest

from pipeline.systems.netsuite.payloads import external_id
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.netsuite import NetSuiteEmulator
from pipeline.testing.clock import Clock
from pipeline.testing.server import Faults
from tests.integration.conftest import start_run, wait_for_run

ERP, SHOP = "netsuite_erp", "magento2_shop"
T0 = dt.datetime(2026, 11, 2, 9, 0, 0, tzinfo=dt.timezone.utc)



@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def erp(clock):
    with NetSuiteEmulator() as emulator:
        emulator.store.clock = clock
        yield emulator


@pytest.fixture
def shop(clock):
    with Magento2Emulator(clock=clock) as emulator:
        yield emulator
    # Every request the workers sent was one the real API accepts (the vendored official schema).
    assert emulator.violations == []


def connect(env: dict[str, str], erp: NetSuiteEmulator, shop: Magento2Emulator, **per_connection: str) -> dict:
    """Point both connections of the workers' environment at the emulators (Magento with OAuth 1.0a).

    ``per_connection`` sets a variable of both connections (``READ_RETRIES="10"``).
    """
    prefixes = (f"PIPELINE_{ERP.upper()}_", f"PIPELINE_{SHOP.upper()}_")
    env.update({key: value for key, value in shop.environ(SHOP, "oauth").items() if key.startswith(prefixes[1])})
    env.update(erp.env(ERP))
    env.update({prefix + name: value for prefix in prefixes
                for name, value in {"READ_BACKOFF_MS": "10", **per_connection}.items()})
    return env


@pytest.fixture
def env(pipeline_env, erp, shop):
    return connect(pipeline_env, erp, shop)


def run(env, runs, integration: str, *args: str, timeout_s: float = 60):
    return wait_for_run(runs, start_run(env, integration, *args), timeout_s)


def counts(extracted: int, loaded: int = 0, skipped: int = 0, failed: int = 0) -> dict[str, int]:
    return {"extracted": extracted, "loaded": loaded, "skipped": skipped, "failed": failed}


# NetSuite -> Magento 2: customers --------------------------------------------------------------------


def ns_address(addressee: str, addr1: str, city: str, zip_code: str, country: str, *, state: str | None = None,
               phone: str | None = None, billing: bool = True, shipping: bool = True) -> dict:
    address = {"addressee": addressee, "addr1": addr1, "city": city, "zip": zip_code,
               "country": {"id": country, "refName": country}}
    address.update({key: value for key, value in (("state", state), ("addrPhone", phone)) if value})
    return {"defaultBilling": billing, "defaultShipping": shipping, "label": addr1, "addressBookAddress": address}


def seed_netsuite_customers(erp: NetSuiteEmulator) -> dict[str, str]:
    store = erp.store
    return {
        "ada": store.add("customer", {
            "isPerson": True, "firstName": "Ada", "lastName": "Lovelace", "email": " Ada.Lovelace@Example.com",
            "subsidiary": {"id": "1"}, "category": {"id": "2", "refName": "Wholesale"},
            "globalSubscriptionStatus": {"id": "3", "refName": "Confirmed Opt-In"},
            "addressBook": {"items": [
                ns_address("Ada Lovelace", "12 Analytical Street", "London", "W1T 2AB", "GB", phone="+44 20 7946 0101",
                           shipping=False),
                ns_address("Ada Lovelace", "350 Fifth Avenue", "New York", "10118", "US", state="NY",
                           phone="212-555-0147", billing=False)]}}),
        "acme": store.add("customer", {
            "isPerson": False, "companyName": "Acme Tools", "email": "purchasing@acme-tools.example",
            "category": {"id": "7", "refName": "Distributor"},
            "addressBook": {"items": [ns_address("Acme", "Industriestraße 5", "München", "80331", "DE",
                                                 state="Bayern")]}}),
        "grace": store.add("customer", {"isPerson": True, "firstName": "Grace", "lastName": "Hopper",
                                        "email": "grace.hopper@example.com",
                                        "globalSubscriptionStatus": {"id": "2", "refName": "Soft Opt-Out"}}),
        # No email: Magento cannot have it; it fails, named, every time it is read.
        "walk_in": store.add("customer", {"isPerson": True, "firstName": "Walk-in", "lastName": "Customer"}),
    }


def magento_customers(shop: Magento2Emulator) -> dict[str, dict]:
    found = {customer["email"]: customer for customer in shop.tables.customers.values()}
    assert len(found) == len(shop.tables.customers), "two Magento customers share an email"
    return found


def test_netsuite_customers_become_magento_customers_then_only_changes_follow(env, workers, runs, erp, shop,
                                                                              clock):
    ids = seed_netsuite_customers(erp)
    workers.start(threads=4)

    first = run(env, runs, "netsuite_to_magento2_customer")

    assert first.counts == counts(4, loaded=3, failed=1)
    [failure] = runs.failures(first.run_id)
    assert failure.error == "Invalid customer record: email: Missing data for required field."
    assert failure.record["id"] == ids["walk_in"]
    assert failure.key == f"netsuite:{ids['walk_in']}"  # no email: named by its NetSuite id
    customers = magento_customers(shop)
    assert sorted(customers) == ["ada.lovelace@example.com", "grace.hopper@example.com",
                                 "purchasing@acme-tools.example"]
    ada = customers["ada.lovelace@example.com"]
    assert {key: ada[key] for key in ("firstname", "lastname", "website_id", "group_id")} == {
        "firstname": "Ada", "lastname": "Lovelace", "website_id": 1, "group_id": 2}
    assert ada["extension_attributes"] == {"is_subscribed": True}
    london, new_york = ada["addresses"]
    assert {key: value for key, value in london.items() if key not in ("id", "customer_id")} == {
        "firstname": "Ada", "lastname": "Lovelace", "street": ["12 Analytical Street"], "city": "London",
        "postcode": "W1T 2AB", "country_id": "GB", "telephone": "+44 20 7946 0101", "default_billing": True,
        "default_shipping": False}
    assert {key: value for key, value in new_york.items() if key not in ("id", "customer_id")} == {
        "firstname": "Ada", "lastname": "Lovelace", "street": ["350 Fifth Avenue"], "city": "New York",
        "postcode": "10118", "country_id": "US", "telephone": "212-555-0147", "default_billing": False,
        "default_shipping": True, "region": {"region_code": "NY", "region": "New York", "region_id": 43},
        "region_id": 43}
    assert (ada["default_billing"], ada["default_shipping"]) == (str(london["id"]), str(new_york["id"]))
    acme = customers["purchasing@acme-tools.example"]
    assert (acme["firstname"], acme["lastname"], acme["group_id"]) == ("Acme Tools", "Acme Tools", 1)
    [munich] = acme["addresses"]
    assert (munich["firstname"], munich["lastname"], munich["street"], munich["city"], munich["region"]) == (
        "Acme", "Acme", ["Industriestraße 5"], "München",
        {"region_code": "BAY", "region": "Bayern", "region_id": 82})
    grace = customers["grace.hopper@example.com"]
    assert (grace["firstname"], grace["lastname"], grace["addresses"], grace["extension_attributes"]) == (
        "Grace", "Hopper", [], {"is_subscribed": False})

    # Ada marries: only she is read again, and her Magento account is updated in place.
    clock.advance()
    erp.store.update("customer", ids["ada"], {"lastName": "King"})
    second = run(env, runs, "netsuite_to_magento2_customer")

    assert second.counts == counts(1, loaded=1)
    customers = magento_customers(shop)
    assert len(customers) == 3
    again = customers["ada.lovelace@example.com"]
    assert (again["id"], again["lastname"]) == (ada["id"], "King")
    # Her addresses kept their ids: the update did not delete and re-create them.
    assert [address["id"] for address in again["addresses"]] == [london["id"], new_york["id"]]

    full = run(env, runs, "netsuite_to_magento2_customer", "--mode", "full")

    assert full.counts == counts(4, skipped=3, failed=1)
    assert magento_customers(shop) == customers


# NetSuite -> Magento 2: products and stock --------------------------------------------------------


def location(location_id: str, available: float | None, on_hand: float | None = None) -> dict:
    line = {"location": {"id": location_id, "refName": {"1": "Main Warehouse", "2": "EU Warehouse"}[location_id]}}
    if available is not None:
        line.update(quantityAvailable=available, quantityOnHand=on_hand if on_hand is not None else available)
    return line


def seed_netsuite_items(erp: NetSuiteEmulator) -> dict[str, str]:
    store = erp.store
    return {
        "tee": store.add("inventoryItem", {
            "itemId": "WS12-M-Orange", "displayName": "Radiant Tee M Orange", "storeDisplayName": "Radiant Tee (M)",
            "salesDescription": "Radiant Tee, medium, orange", "basePrice": 22.5, "weight": 0.25, "isInactive": False,
            "locations": {"items": [location("1", 38, 40), location("2", 0, 3)]}}),
        "mug": store.add("inventoryItem", {
            "itemId": "MUG-LOGO", "displayName": "Logo Mug", "storeDescription": "<p>Stoneware, 330 ml</p>",
            "basePrice": 9.9, "isInactive": False, "locations": {"items": [location("1", 5)]}}),
        "rope": store.add("inventoryItem", {
            "itemId": "ROPE-METRE", "displayName": "Climbing rope (per metre)", "basePrice": 10.5, "isInactive": True,
            "locations": {"items": [location("1", 12.5)]}}),
    }


def source_items(shop: Magento2Emulator) -> dict[str, tuple]:
    return {f"{sku}@{source}": (item["quantity"], item["status"])
            for (sku, source), item in sorted(shop.tables.source_items.items())}


def test_netsuite_items_become_magento_products_and_their_stock_follows_per_location(env, workers, runs, erp,
                                                                                    shop, clock):
    ids = seed_netsuite_items(erp)
    shop.tables.sources.add("eu_warehouse")
    workers.start(threads=4)

    products = run(env, runs, "netsuite_to_magento2_product")
    stock = run(env, runs, "netsuite_to_magento2_inventory")

    assert products.counts == counts(3, loaded=3)
    tee = shop.tables.products["WS12-M-Orange"]
    assert {key: tee[key] for key in ("sku", "name", "price", "status", "visibility", "type_id", "weight",
                                      "attribute_set_id")} == {
        "sku": "WS12-M-Orange", "name": "Radiant Tee (M)", "price": 22.5, "status": 1, "visibility": 4,
        "type_id": "simple", "weight": 0.25, "attribute_set_id": 4}
    assert tee["extension_attributes"]["website_ids"] == [1]
    assert tee["custom_attributes"] == [{"attribute_code": "description", "value": "Radiant Tee, medium, orange"}]
    mug, rope = shop.tables.products["MUG-LOGO"], shop.tables.products["ROPE-METRE"]
    assert (mug["name"], mug["price"], mug["custom_attributes"]) == (
        "Logo Mug", 9.9, [{"attribute_code": "description", "value": "<p>Stoneware, 330 ml</p>"}])
    assert (rope["status"], rope["price"]) == (2, 10.5)  # inactive in NetSuite: disabled in the shop
    assert stock.counts == counts(4, loaded=4)
    assert source_items(shop) == {"MUG-LOGO@default": (5, 1), "ROPE-METRE@default": (12.5, 1),
                                  "WS12-M-Orange@default": (38, 1), "WS12-M-Orange@eu_warehouse": (0, 0)}
    assert shop.tables.stock_items["WS12-M-Orange"]["qty"] == 38  # MSI keeps the legacy stock in step

    # Mugs sell out and get dearer: only the mug is read again, by both integrations.
    clock.advance()
    erp.store.update("inventoryItem", ids["mug"], {"basePrice": 11.5, "locations": {"items": [location("1", 0)]}},
                     replace=["locations"])
    assert run(env, runs, "netsuite_to_magento2_product").counts == counts(1, loaded=1)
    assert run(env, runs, "netsuite_to_magento2_inventory").counts == counts(1, loaded=1)
    assert shop.tables.products["MUG-LOGO"]["price"] == 11.5
    assert source_items(shop)["MUG-LOGO@default"] == (0, 0)
    assert len(shop.tables.products) == 3

    assert run(env, runs, "netsuite_to_magento2_product", "--mode", "full").counts == counts(3, skipped=3)
    assert run(env, runs, "netsuite_to_magento2_inventory", "--mode", "full").counts == counts(4, skipped=4)
    assert len(source_items(shop)) == 4



# Core bug, reported, not fixed here (pipeline/steps.py and pipeline/mapping/apply.py are not ours): the
# extract step filters ``--ref`` by Mapper.source_key, and the map step names a record that fails to map by
# it, but source_key is the value of the entity's natural-key field ("SKU"), while the inventory entity's
# key is "sku@source_code" (InventoryItem.key_of). So ``--ref SKU@source`` selects nothing, and two rows of
# one SKU that fail to map overwrite each other's failure. The tests pass once both use the entity's key.
def test_two_rows_of_one_item_that_fail_to_map_are_both_kept_for_the_operator(env, workers, runs, erp, shop):
    # Two NetSuite locations that sell nothing online: no Magento source for either.
    erp.store.add("inventoryItem", {"itemId": "LAMP", "locations": {"items": [
        {"location": {"id": "5", "refName": "Showroom"}, "quantityAvailable": 1},
        {"location": {"id": "6", "refName": "Repairs"}, "quantityAvailable": 2}]}})
    workers.start()

    summary = run(env, runs, "netsuite_to_magento2_inventory")

    assert summary.counts == counts(2, failed=2)
    assert len(runs.failures(summary.run_id)) == 2  # one dead letter each, not one overwriting the other


def test_a_stock_record_can_be_run_again_by_its_key(env, workers, runs, erp, shop):
    seed_netsuite_items(erp)
    shop.tables.sources.add("eu_warehouse")
    workers.start()
    run(env, runs, "netsuite_to_magento2_inventory")

    again = run(env, runs, "netsuite_to_magento2_inventory", "--ref", "WS12-M-Orange@default", "--force")

    assert again.counts == counts(1, loaded=1)  # the compound key sku@source selects the record


# Magento 2 -> NetSuite: orders; then NetSuite -> Magento 2: their shipments, invoices, credit memos ----


def m2_address(kind: str, first: str, last: str, street: list[str], city: str, postcode: str, country: str,
               telephone: str, region: tuple[str, str, int] | None = None) -> dict:
    address = {"address_type": kind, "firstname": first, "lastname": last, "street": street, "city": city,
               "postcode": postcode, "country_id": country, "telephone": telephone}
    if region:
        address.update(region=region[1], region_code=region[0], region_id=region[2])
    return address


def seed_magento_order(shop: Magento2Emulator, email: str, first: str, last: str, items: list[dict],
                       billing: dict, shipping: dict | None = None, **fields) -> dict:
    with shop.lock:
        order = shop.add_order(customer_email=email, customer_firstname=first, customer_lastname=last,
                               items=items, billing_address=billing, **fields)
        order["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"] = shipping or {
            **billing, "address_type": "shipping"}
        return order


TEE = {"sku": "WS12-M-Orange", "name": "Radiant Tee", "qty_ordered": 2, "price": 22.5, "product_type": "configurable",
       "child": {"name": "Radiant Tee-M-Orange", "product_type": "simple"}}
MUG = {"sku": "MUG-LOGO", "name": "Logo Mug", "qty_ordered": 1, "price": 9.9}


def sales_orders(erp: NetSuiteEmulator) -> dict[str, dict]:
    found = {order.get("externalId"): order for order in erp.store.records["salesOrder"].values()}
    assert len(found) == len(erp.store.records["salesOrder"]), "two NetSuite sales orders share an external id"
    return found


def test_magento_orders_become_netsuite_sales_orders_with_their_customers_resolved_once(env, workers, runs, erp,
                                                                                        shop, clock):
    items = seed_netsuite_items(erp)
    # Veronica was a NetSuite customer before the shop was connected: keyed in, no external id.
    veronica = erp.store.add("customer", {"email": "Veronica.Costello@Example.com", "entityId": "VCOSTELLO",
                                          "isPerson": True, "firstName": "Veronica", "lastName": "Costello"})
    calder = m2_address("billing", "Veronica", "Costello", ["6146 Honey Bluff Parkway"], "Calder", "49628-7978",
                        "US", "(555) 229-3326", ("MI", "Michigan", 33))
    fifth_avenue = m2_address("shipping", "Veronica", "Costello", ["350 Fifth Avenue", "Floor 21"], "New York",
                              "10118", "US", "212-555-0147", ("NY", "New York", 43))
    amsterdam = m2_address("billing", "Sam", "Guest", ["Keizersgracht 123"], "Amsterdam", "1015 CJ", "NL",
                           "+31 20 555 0123")
    first = seed_magento_order(shop, "veronica.costello@example.com", "Veronica", "Costello", [TEE, MUG], calder,
                               fifth_avenue, status="processing", state="processing", customer_is_guest=0)
    guest = seed_magento_order(shop, "sam.guest@example.org", "Sam", "Guest", [MUG], amsterdam,
                               order_currency_code="EUR")
    again = seed_magento_order(shop, "Sam.Guest@Example.org", "Sam", "Guest", [{**MUG, "qty_ordered": 3}], amsterdam)
    workers.start(threads=4)

    summary = run(env, runs, "magento2_to_netsuite_order")

    assert summary.counts == counts(3, loaded=3)
    orders = sales_orders(erp)
    assert sorted(orders) == [first["increment_id"], guest["increment_id"], again["increment_id"]]
    # Veronica's order went to her existing customer; Sam's two orders to one customer made for him.
    customers = erp.store.records["customer"]
    assert len(customers) == 2
    [sam_id] = [key for key in customers if key != veronica]
    assert {key: customers[sam_id].get(key) for key in ("email", "firstName", "lastName", "isPerson", "externalId",
                                                         "subsidiary")} == {
        "email": "sam.guest@example.org", "firstName": "Sam", "lastName": "Guest", "isPerson": True,
        "externalId": external_id("sam.guest@example.org"), "subsidiary": {"id": "1"}}
    assert [orders[order["increment_id"]]["entity"] for order in (first, guest, again)] == [
        {"id": veronica}, {"id": sam_id}, {"id": sam_id}]
    order = orders[first["increment_id"]]
    assert {key: order[key] for key in ("externalId", "otherRefNum", "tranDate", "email", "shippingCost", "memo",
                                        "subsidiary", "custbody_magento_order_id",
                                        "custbody_magento_payment_method")} == {
        "externalId": first["increment_id"], "otherRefNum": first["increment_id"], "tranDate": "2026-11-02",
        "email": "veronica.costello@example.com", "shippingCost": 5.0, "memo": f"Magento order {first['increment_id']}",
        "subsidiary": {"id": "1"}, "custbody_magento_order_id": str(first["entity_id"]),
        "custbody_magento_payment_method": "checkmo"}
    assert order["billingAddress"] == {"addressee": "Veronica Costello", "addr1": "6146 Honey Bluff Parkway",
                                       "city": "Calder", "state": "MI", "zip": "49628-7978", "country": {"id": "US"},
                                       "addrPhone": "(555) 229-3326"}
    assert order["shippingAddress"] == {"addressee": "Veronica Costello", "addr1": "350 Fifth Avenue",
                                        "addr2": "Floor 21", "city": "New York", "state": "NY", "zip": "10118",
                                        "country": {"id": "US"}, "addrPhone": "212-555-0147"}
    # The configurable tee is one line (its child line carries no price), items found by SKU.
    assert order["item"]["items"] == [
        {"item": {"id": items["tee"]}, "quantity": 2.0, "rate": 22.5, "amount": 45.0, "description": "Radiant Tee",
         "line": 1},
        {"item": {"id": items["mug"]}, "quantity": 1.0, "rate": 9.9, "amount": 9.9, "description": "Logo Mug",
         "line": 2}]
    assert orders[again["increment_id"]]["item"]["items"][0]["quantity"] == 3.0

    # The shop corrects Veronica's phone number: that order alone is sent again and updated in place.
    clock.advance()
    with shop.lock:
        first["billing_address"]["telephone"] = "(555) 229-0000"
        first["updated_at"] = shop.now()
    second = run(env, runs, "magento2_to_netsuite_order")

    assert second.counts == counts(1, loaded=1)
    updated = sales_orders(erp)[first["increment_id"]]
    assert (updated["id"], updated["billingAddress"]["addrPhone"]) == (order["id"], "(555) 229-0000")
    assert len(updated["item"]["items"]) == 2  # lines replaced, not added again
    assert len(erp.store.records["salesOrder"]) == 3 and len(customers) == 2

    full = run(env, runs, "magento2_to_netsuite_order", "--mode", "full")

    assert full.counts == counts(3, skipped=3)
    assert len(erp.store.records["salesOrder"]) == 3


def document_lines(document: dict, order: dict) -> list[tuple[str, float]]:
    skus = {item["item_id"]: item["sku"] for item in order["items"]}
    return [(skus[line["order_item_id"]], line["qty"]) for line in document["items"]]


def comments_of(shop: Magento2Emulator, table: str, document: dict) -> list[str]:
    return [comment["comment"] for comment in shop.tables.comments[(table, document["entity_id"])]]


def test_netsuite_fulfillments_invoices_and_credit_memos_reach_the_magento_order_once(env, workers, runs, erp,
                                                                                    shop, clock):
    store = erp.store
    items = seed_netsuite_items(erp)
    calder = m2_address("billing", "Veronica", "Costello", ["6146 Honey Bluff Parkway"], "Calder", "49628-7978",
                        "US", "(555) 229-3326", ("MI", "Michigan", 33))
    order = seed_magento_order(shop, "veronica.costello@example.com", "Veronica", "Costello", [TEE, MUG], calder,
                               status="processing", state="processing")
    tee, mug = (next(item for item in order["items"] if item["sku"] == sku and not item.get("parent_item_id"))
                for sku in ("WS12-M-Orange", "MUG-LOGO"))
    workers.start(threads=4)
    # The order reaches NetSuite through the shop's own integration: its external id is the increment id.
    assert run(env, runs, "magento2_to_netsuite_order").counts == counts(1, loaded=1)
    so_id = sales_orders(erp)[order["increment_id"]]["id"]
    # An order keyed in NetSuite by hand has no shop order number: its fulfillment cannot reach the shop.
    keyed_in = store.add("salesOrder", {"entity": store.records["salesOrder"][so_id]["entity"],
                                        "item": {"items": [{"item": {"id": items["tee"]}, "quantity": 1}]}})
    orphan = store.transform("salesOrder", keyed_in, "itemFulfillment", {"shipStatus": {"id": "C"}})

    # The warehouse ships the tees with UPS; accounting invoices everything, then credits the mug.
    clock.advance()
    shipped = store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C", "refName": "Shipped"},
        "item": {"items": [{"orderLine": 1, "itemReceive": True, "quantity": 2}]},
        "packageUps": {"items": [{"packageTrackingNumberUps": "1Z999AA10123456784", "packageWeightUps": 1.2}]}})
    invoice = store.transform("salesOrder", so_id, "invoice", {"status": {"id": "Open", "refName": "Open"},
                                                              "shippingCost": 5.0, "total": 59.9})
    memo = store.transform("invoice", invoice, "creditMemo", {"item": {"items": [{"orderLine": 2, "quantity": 1}]},
                                                             "total": 9.9})

    shipments = run(env, runs, "netsuite_to_magento2_shipment")
    invoices = run(env, runs, "netsuite_to_magento2_invoice")
    memos = run(env, runs, "netsuite_to_magento2_credit_memo")

    assert shipments.counts == counts(2, loaded=1, failed=1)
    [failure] = runs.failures(shipments.run_id)
    assert (failure.key, failure.error) == (f"IF{orphan}", f"Invalid shipment record 'IF{orphan}': order_number: "
                                                          "Missing data for required field.")
    [shipment] = shop.tables.shipments.values()
    assert (shipment["order_id"], document_lines(shipment, order)) == (order["entity_id"], [("WS12-M-Orange", 2)])
    assert [{key: track[key] for key in ("track_number", "carrier_code", "title")} for track in shipment["tracks"]] == [
        {"track_number": "1Z999AA10123456784", "carrier_code": "ups", "title": "United Parcel Service"}]
    assert comments_of(shop, "shipments", shipment) == [f"pipeline: shipment IF{shipped}"]
    assert invoices.counts == counts(1, loaded=1)
    [magento_invoice] = shop.tables.invoices.values()
    assert document_lines(magento_invoice, order) == [("WS12-M-Orange", 2), ("MUG-LOGO", 1)]
    # 54.90 of items and the order's 5.00 of shipping, which the first invoice takes (as NetSuite's did).
    assert magento_invoice["grand_total"] == 59.9 and comments_of(shop, "invoices", magento_invoice) == [
        f"pipeline: invoice INV{invoice}"]
    assert memos.counts == counts(1, loaded=1)
    [credit_memo] = shop.tables.creditmemos.values()
    assert (document_lines(credit_memo, order), credit_memo["grand_total"], credit_memo["invoice_id"]) == (
        [("MUG-LOGO", 1)], 9.9, None)  # refunded offline against the order
    assert comments_of(shop, "creditmemos", credit_memo) == [f"pipeline: credit_memo CM{memo}"]
    assert (tee["qty_shipped"], tee["qty_invoiced"], mug["qty_invoiced"], mug["qty_refunded"]) == (2, 2, 1, 1)

    # Then the mug ships (DHL, no carrier integration), the first fulfillment gets a note, the invoice is
    # paid and the tees are credited too: only those records are read again, each document made once.
    clock.advance()
    shipped_later = store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": 2, "itemReceive": True, "quantity": 1}]},
        "package": {"items": [{"packageTrackingNumber": "JJD000390007891234", "packageDescr": "DHL Paket"}]}})
    store.update("itemFulfillment", shipped, {"memo": "Left dock 3 at 16:05"})
    store.update("invoice", invoice, {"status": {"id": "Paid In Full", "refName": "Paid In Full"}})
    memo_later = store.transform("invoice", invoice, "creditMemo", {
        "item": {"items": [{"orderLine": 1, "quantity": 1}]}, "total": 22.5})

    assert run(env, runs, "netsuite_to_magento2_shipment").counts == counts(2, loaded=1, skipped=1)
    assert run(env, runs, "netsuite_to_magento2_invoice").counts == counts(1, loaded=1)
    assert run(env, runs, "netsuite_to_magento2_credit_memo").counts == counts(1, loaded=1)
    later = max(shop.tables.shipments.values(), key=lambda document: document["entity_id"])
    assert len(shop.tables.shipments) == 2 and document_lines(later, order) == [("MUG-LOGO", 1)]
    assert [(track["track_number"], track["carrier_code"], track["title"]) for track in later["tracks"]] == [
        ("JJD000390007891234", "custom", "DHL Paket")]
    assert comments_of(shop, "shipments", later) == [f"pipeline: shipment IF{shipped_later}"]
    assert len(shop.tables.invoices) == 1  # the paid invoice was loaded again, and found by its marker
    assert [document_lines(document, order) for document in shop.tables.creditmemos.values()] == [
        [("MUG-LOGO", 1)], [("WS12-M-Orange", 1)]]
    assert comments_of(shop, "creditmemos", shop.tables.creditmemos[max(shop.tables.creditmemos)]) == [
        f"pipeline: credit_memo CM{memo_later}"]

    assert run(env, runs, "netsuite_to_magento2_shipment", "--mode", "full").counts == counts(3, skipped=2,
                                                                                              failed=1)
    assert run(env, runs, "netsuite_to_magento2_invoice", "--mode", "full").counts == counts(1, skipped=1)
    assert run(env, runs, "netsuite_to_magento2_credit_memo", "--mode", "full").counts == counts(2, skipped=2)
    assert (len(shop.tables.shipments), len(shop.tables.invoices), len(shop.tables.creditmemos)) == (2, 1, 2)


# Magento 2 -> NetSuite: customers --------------------------------------------------------------------


def test_magento_customers_become_netsuite_customers_claiming_those_netsuite_already_had(env, workers, runs, erp,
                                                                                       shop, clock):
    store = erp.store
    keyed_in = store.add("customer", {"email": "veronica.costello@example.com", "entityId": "VCOSTELLO",
                                      "isPerson": True, "firstName": "Vero", "lastName": "Costello"})
    veronica = shop.add_customer(
        email="veronica.costello@example.com", firstname="Veronica", lastname="Costello", group_id=1,
        dob="1985-07-14", gender=2, extension_attributes={"is_subscribed": True},
        addresses=[{"firstname": "Veronica", "lastname": "Costello", "street": ["6146 Honey Bluff Parkway", "Suite 2"],
                    "city": "Calder", "region": {"region_code": "MI", "region": "Michigan", "region_id": 33},
                    "region_id": 33, "postcode": "49628-7978", "country_id": "US", "telephone": "(555) 229-3326",
                    "default_billing": True, "default_shipping": True}])
    jan = shop.add_customer(
        email="jan.de.vries@example.nl", firstname="Jan", lastname="de Vries", group_id=2,
        addresses=[{"firstname": "Jan", "lastname": "de Vries", "company": "De Vries B.V.",
                    "street": ["Keizersgracht 123"], "city": "Amsterdam", "postcode": "1015 CJ", "country_id": "NL",
                    "telephone": "+31 20 555 0123"}])
    workers.start(threads=4)

    first = run(env, runs, "magento2_to_netsuite_customer")

    assert first.counts == counts(2, loaded=2)
    customers = {customer["email"]: customer for customer in store.records["customer"].values()}
    assert len(customers) == len(store.records["customer"]) == 2
    claimed = customers["veronica.costello@example.com"]
    assert {key: claimed.get(key) for key in ("id", "entityId", "externalId", "firstName", "lastName", "isPerson",
                                              "subsidiary", "custentity_magento_customer_id")} == {
        "id": keyed_in, "entityId": "VCOSTELLO", "externalId": external_id("veronica.costello@example.com"),
        "firstName": "Veronica", "lastName": "Costello", "isPerson": True, "subsidiary": {"id": "1"},
        "custentity_magento_customer_id": str(veronica["id"])}
    assert claimed["addressBook"]["items"] == [{
        "defaultBilling": True, "defaultShipping": True, "line": 1, "addressBookAddress": {
            "addressee": "Veronica Costello", "addr1": "6146 Honey Bluff Parkway", "addr2": "Suite 2", "city": "Calder",
            "state": "MI", "zip": "49628-7978", "country": {"id": "US"}, "addrPhone": "(555) 229-3326"}}]
    created = customers["jan.de.vries@example.nl"]
    assert (created["externalId"], created["firstName"], created["lastName"]) == (
        external_id("jan.de.vries@example.nl"), "Jan", "de Vries")
    # His address has a company: it is the addressee, he its attention (and the record's company).
    assert created["companyName"] == "De Vries B.V."
    assert created["addressBook"]["items"][0]["addressBookAddress"] == {
        "addressee": "De Vries B.V.", "attention": "Jan de Vries", "addr1": "Keizersgracht 123", "city": "Amsterdam", "zip": "1015 CJ",
        "country": {"id": "NL"}, "addrPhone": "+31 20 555 0123"}

    clock.advance()
    with shop.lock:
        jan.update(lastname="de Vries-Bakker", updated_at=shop.now())
    second = run(env, runs, "magento2_to_netsuite_customer")

    assert second.counts == counts(1, loaded=1)
    again = store.records["customer"][created["id"]]
    assert (again["lastName"], len(again["addressBook"]["items"])) == ("de Vries-Bakker", 1)
    assert len(store.records["customer"]) == 2

    full = run(env, runs, "magento2_to_netsuite_customer", "--mode", "full")

    assert full.counts == counts(2, skipped=2)
    assert len(store.records["customer"]) == 2


# Robustness: thousands of records against emulators that fail a fifth of all requests --------------

#: What each emulator does wrong, per request. A request succeeds with probability
#: (1 - drop) * (1 - throttle) * (1 - error) * (1 - drop_after) = 0.95 * 0.95 * 0.8 * 0.95 = 0.686,
#: so it fails with q = 0.314 (a 429 carries Retry-After: 1; drop_after loses the answer of a
#: change that happened, the case that makes a non-idempotent client write twice).
FAULTS = dict(error_rate=0.2, error_status=503, throttle_rate=0.05, retry_after_s=1, drop_rate=0.05,
              drop_after_rate=0.05)
Q = 1 - (1 - 0.05) * (1 - 0.05) * (1 - 0.2) * (1 - 0.05)
#: Reads (GET, SuiteQL) are retried in place (a 429's Retry-After waited for): one exhausts its
#: 1 + READ_RETRIES attempts with probability Q ** 11 = 3e-6, so the 2,000-customer NetSuite extraction
#: (2,041 reads in pages of 50) completes at its first attempt 99.4 % of the time, and its message has
#: MAX_RETRIES more attempts. Without retries in place it would never complete: 0.686 ** 2041 = 6e-335.
READ_RETRIES = 10
#: A record's load is one or two writes (an order whose customer NetSuite lacks: two) plus reads:
#: an attempt fails with probability at most 1 - (1 - Q) ** 2 + 4 * Q ** 11 = 0.53. A record has
#: 1 attempt in its batch and 1 + MAX_RETRIES alone, so it ends failed with probability at most
#: 0.53 ** 32 = 1.5e-9, and one of the 3,000 records with at most 5e-6.
MAX_RETRIES = 30
CUSTOMERS, ORDERS, BUYERS = 2000, 1000, 400
SKUS = ("WS12-M-Orange", "MUG-LOGO", "ROPE-METRE", "CAP-RED", "BAG-TOTE")


def test_thousands_of_records_load_exactly_once_through_faults_in_both_emulators(pipeline_env, workers, runs):
    assert 1 - (1 - Q) ** 2 + 4 * Q ** (READ_RETRIES + 1) < 0.53 and 0.53 ** (MAX_RETRIES + 2) * 3000 < 1e-5
    # Seeded faults; records are seeded before the emulators start, so the seeding sees none.
    with NetSuiteEmulator(faults=Faults(**FAULTS, seed=20261130)) as erp, \
            Magento2Emulator(faults=Faults(**FAULTS, seed=1130)) as shop:
        expected_customers = seed_many_netsuite_customers(erp)
        item_ids = {sku: erp.store.add("inventoryItem", {"itemId": sku}) for sku in SKUS}
        expected_orders = seed_many_magento_orders(shop)
        # The emulators serve one request at a time anyway: a larger budget only lets the workers overlap.
        connect(pipeline_env, erp, shop, READ_RETRIES=str(READ_RETRIES), CONCURRENCY="16")
        pipeline_env.update({
            "PIPELINE_MAX_RETRIES": str(MAX_RETRIES), "PIPELINE_RETRY_MIN_BACKOFF_MS": "20",
            "PIPELINE_RETRY_MAX_BACKOFF_MS": "500", "PIPELINE_BATCH_SIZE": "50",
            # Idle consumers (and those of the delay queues, where retries wait) poll every 100 ms, not every second.
            "dramatiq_worker_timeout": "100"})
        workers.start(processes=2, threads=8)

        # Both directions at once, as a deployment runs them; the orders start once the customers are
        # extracted, or the customers the orders create in NetSuite would be pulled into the shop too.
        customer_run = start_run(pipeline_env, "netsuite_to_magento2_customer")
        while not runs.get(customer_run).extract_done:
            time.sleep(0.05)
        order_run = start_run(pipeline_env, "magento2_to_netsuite_order")
        # The limits only stop a hung run: on a loaded 2-core machine the 3,000 records took up to 180 s.
        customers = wait_for_run(runs, customer_run, timeout_s=600)
        orders = wait_for_run(runs, order_run, timeout_s=600)

        faults = {"netsuite": dict(erp.counts), "magento2": dict(shop.counts)}
        print(f"\n{CUSTOMERS} customers in {customers.finished_at - customers.started_at:.1f}s {customers.counts}; "
              f"{ORDERS} orders in {orders.finished_at - orders.started_at:.1f}s {orders.counts}; requests: "
              f"netsuite {len(erp.requests)}, magento2 {len(shop.requests)}; faults injected: {faults}; "
              f"retried: {retries_in(workers.logs())}")
        for summary, total in ((customers, CUSTOMERS), (orders, ORDERS)):
            assert summary.counts["failed"] == 0 and summary.counts["extracted"] == total, summary.counts
            # A record whose load was retried after its answer was lost may count as skipped (unchanged).
            assert summary.counts["loaded"] + summary.counts["skipped"] == total
        assert sum(faults["netsuite"].values()) > 1000 and sum(faults["magento2"].values()) > 1000
        check_magento_customers(shop, expected_customers)
        check_netsuite_orders(erp, expected_orders, item_ids)
        assert shop.violations == []


def retries_in(logs: str) -> dict[str, int]:
    """What the workers retried: reads in place, messages by the broker, records split out of their batch."""
    created = {step: len(re.findall(rf"\({step}, \w+\) new -> ", logs)) for step in ("map", "load")}
    return {"reads_in_place": logs.count("pipeline.systems.read_retries: Retrying"),
            "messages_by_the_broker": logs.count("Retrying message"),
            "records_split_out_of_their_batch": created["load"] - created["map"]}


def seed_many_netsuite_customers(erp: NetSuiteEmulator) -> dict[str, dict]:
    countries = [("GB", None, "London"), ("DE", "Bayern", "München"), ("US", "NY", "New York")]
    expected = {}
    for n in range(CUSTOMERS):
        country, state, city = countries[n % 3]
        email = f"customer{n:04d}@example.com"
        erp.store.add("customer", {
            "isPerson": True, "firstName": f"First{n}", "lastName": f"Last{n}", "email": email,
            "category": {"id": str(n % 3 + 1)}, "addressBook": {"items": [
                ns_address(f"First{n} Last{n}", f"{n} Main Street", city, f"{10000 + n}", country, state=state)]}},
            modified=T0 + dt.timedelta(seconds=n // 10))
        expected[email] = {"firstname": f"First{n}", "lastname": f"Last{n}", "group_id": n % 3 + 1,
                           "street": [f"{n} Main Street"], "city": city, "country_id": country}
    return expected


def check_magento_customers(shop: Magento2Emulator, expected: dict[str, dict]) -> None:
    found = magento_customers(shop)  # one per email, or it fails
    assert sorted(found) == sorted(expected)
    for email, want in expected.items():
        customer = found[email]
        [address] = customer["addresses"]
        assert {"firstname": customer["firstname"], "lastname": customer["lastname"],
                "group_id": customer["group_id"], "street": address["street"], "city": address["city"],
                "country_id": address["country_id"]} == want, email


def seed_many_magento_orders(shop: Magento2Emulator) -> dict[str, dict]:
    expected = {}
    for n in range(ORDERS):
        buyer = n % BUYERS
        lines = [{"sku": SKUS[(n + k) % len(SKUS)], "name": f"Item {k}", "qty_ordered": k + 1, "price": 10 + k}
                 for k in range(n % 3 + 1)]
        billing = m2_address("billing", f"Buyer{buyer}", "Test", [f"{buyer} Shop Lane"], "Amsterdam", "1015 CJ",
                             "NL", "+31 20 555 0123")
        order = seed_magento_order(shop, f"buyer{buyer:03d}@example.org", f"Buyer{buyer}", "Test", lines, billing,
                                   updated_at=(T0 + dt.timedelta(seconds=n // 10)).strftime("%Y-%m-%d %H:%M:%S"))
        expected[order["increment_id"]] = {"email": order["customer_email"],
                                           "lines": [(line["sku"], float(line["qty_ordered"]), float(line["price"]))
                                                     for line in lines]}
    return expected


def check_netsuite_orders(erp: NetSuiteEmulator, expected: dict[str, dict], item_ids: dict[str, str]) -> None:
    orders = sales_orders(erp)  # one per external id, or it fails
    assert sorted(orders) == sorted(expected)
    customers = erp.store.records["customer"]
    buyers = [customer for customer in customers.values() if customer["email"].startswith("buyer")]
    by_email = {customer["email"]: customer for customer in buyers}
    assert len(by_email) == len(buyers) == BUYERS  # each buyer created once, however many orders
    skus = {item_id: sku for sku, item_id in item_ids.items()}
    for number, want in expected.items():
        order = orders[number]
        assert customers[order["entity"]["id"]]["email"] == want["email"], number
        assert by_email[want["email"]]["externalId"] == external_id(want["email"])
        assert order["otherRefNum"] == number
        assert [(skus[line["item"]["id"]], line["quantity"], line["rate"]) for line in order["item"]["items"]] == \
            want["lines"], number
    assert math.isclose(sum(len(order["item"]["items"]) for order in orders.values()),
                        sum(len(want["lines"]) for want in expected.values()))
