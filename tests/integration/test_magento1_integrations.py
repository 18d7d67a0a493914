"""The shipped Magento 1 integrations, end to end through real `dramatiq pipeline.actors` workers.

The Magento 1, NetSuite and Mailchimp emulators run in this process, on loopback; the workers reach
them over HTTP (XML-RPC for Magento 1) through the connections ``magento1_shop``, ``netsuite_erp``
and ``mailchimp``, as in production. Each integration runs incrementally, again after a change in
the source (only that record is read again), and in full (everything is read again, nothing is
written twice). Records are checked field by field in the target emulator's state.

The Magento 1 emulator keeps real time: the Magento 1 system pulls ``updated_at`` windows up to the
workers' clock, and Magento stamps changes to the second, so a change in the shop waits for the
next second (``next_second``) to be told apart from what the previous run read. NetSuite's change
feed has no such bound: its emulator's clock is moved by hand.

The last test loads records into and out of a Magento 1 that fails a fifth of all requests, drops
connections before and after doing the work, and lets sessions expire every half second.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from pipeline.systems.mailchimp import subscriber_hash
from pipeline.systems.netsuite.payloads import external_id
from pipeline.testing.magento1 import Magento1Emulator
from pipeline.testing.mailchimp import MailchimpEmulator
from pipeline.testing.netsuite import NetSuiteEmulator
from pipeline.testing.server import Faults
from pipeline.testing.clock import Clock
from tests.integration.conftest import start_run, wait_for_run

SHOP, ERP, MAILCHIMP = "magento1_shop", "netsuite_erp", "mailchimp"
CUSTOMER_PUSHES = ("magento1_to_netsuite_customer", "magento1_to_mailchimp_customer")


@pytest.fixture
def shop():
    with Magento1Emulator() as emulator:
        yield emulator
    # No call to a path the catalogue lacks, none with a wrong number of arguments.
    assert emulator.violations == []


@pytest.fixture
def erp():
    with NetSuiteEmulator() as emulator:
        emulator.store.clock = Clock()
        yield emulator


@pytest.fixture
def chimp():
    with MailchimpEmulator() as emulator:
        yield emulator
    assert emulator.violations == []


def connection_env(environ: dict[str, str], connection: str) -> dict[str, str]:
    # Only the connection's own variables: the emulators' stub broker is for unit tests.
    return {key: value for key, value in environ.items() if key.startswith(f"PIPELINE_{connection.upper()}_")}


def connect(pipeline_env: dict[str, str], shop: Magento1Emulator, erp: NetSuiteEmulator,
            chimp: MailchimpEmulator | None = None) -> dict[str, str]:
    """The workers' environment: every connection points at its emulator."""
    pipeline_env.update(shop.environ(SHOP))
    pipeline_env.update(erp.env(ERP))
    if chimp is not None:
        pipeline_env.update(connection_env(chimp.environ(MAILCHIMP), MAILCHIMP))
    start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    pipeline_env.update({f"PIPELINE_{SHOP.upper()}_START": start, f"PIPELINE_{SHOP.upper()}_READ_BACKOFF_MS": "10",
                         f"PIPELINE_{ERP.upper()}_READ_BACKOFF_MS": "10"})
    return pipeline_env


@pytest.fixture
def env(pipeline_env, shop, erp, chimp):
    return connect(pipeline_env, shop, erp, chimp)


def run(env, runs, integration: str, *args: str, timeout_s: float = 60):
    return wait_for_run(runs, start_run(env, integration, *args), timeout_s)


def run_all(env, runs, integrations: tuple[str, ...], *args: str) -> list:
    """Several integrations at once, as a deployment runs them; their summaries in the same order."""
    started = [start_run(env, integration, *args) for integration in integrations]
    return [wait_for_run(runs, run_id, 60) for run_id in started]


def counts(extracted: int, loaded: int = 0, skipped: int = 0, failed: int = 0) -> dict[str, int]:
    return {"extracted": extracted, "loaded": loaded, "skipped": skipped, "failed": failed}


def next_second() -> None:
    """Wait until the clock shows a later second than any stamp written so far."""
    time.sleep(1.05 - time.time() % 1)


def ns_records(erp: NetSuiteEmulator, record_type: str, key: str = "externalId") -> dict[str, dict]:
    found = {record.get(key): record for record in erp.store.records[record_type].values()}
    assert len(found) == len(erp.store.records[record_type]), f"two NetSuite {record_type} records share a {key}"
    return found


# Magento 1 -> NetSuite and Mailchimp: customers ------------------------------------------------------

VERONICA_ADDRESS = {"firstname": "Veronica", "lastname": "Costello", "street": ["6146 Honey Bluff Parkway", "Suite 2"],
                    "city": "Calder", "region": "Michigan", "region_id": 33, "postcode": "49628-7978",
                    "country_id": "US", "telephone": "(555) 229-3326", "default_billing": True,
                    "default_shipping": True}


def seed_magento1_customers(shop: Magento1Emulator) -> dict[str, dict]:
    return {
        "veronica": shop.add_customer("Veronica.Costello@Example.com", firstname="Veronica", lastname="Costello",
                                      group_id=1, dob="1985-07-14 00:00:00", gender=2,
                                      addresses=[dict(VERONICA_ADDRESS)]),
        "jan": shop.add_customer("jan.de.vries@example.nl", firstname="Jan", lastname="de Vries", group_id=2,
                                 addresses=[{"firstname": "Jan", "lastname": "de Vries", "company": "De Vries B.V.",
                                             "street": ["Keizersgracht 123"], "city": "Amsterdam",
                                             "postcode": "1015 CJ", "country_id": "NL", "telephone": "+31 20 555 0123",
                                             "default_billing": True}]),
        "bad": shop.add_customer("not-an-address", firstname="Bad", lastname="Email"),
    }


def test_magento1_customers_become_netsuite_customers_and_mailchimp_members_then_only_changes_follow(
        env, workers, runs, shop, erp, chimp):
    keyed_in = erp.store.add("customer", {"email": "veronica.costello@example.com", "entityId": "VCOSTELLO",
                                          "isPerson": True, "firstName": "Vero", "lastName": "Costello"})
    seeded = seed_magento1_customers(shop)
    chimp.add_member("jan.de.vries@example.nl", status="unsubscribed")
    workers.start(threads=4)

    to_netsuite, to_mailchimp = run_all(env, runs, CUSTOMER_PUSHES)

    for first in (to_netsuite, to_mailchimp):
        assert first.counts == counts(3, loaded=2, failed=1)
        assert [failure.error for failure in runs.failures(first.run_id)] == [
            "Invalid customer record 'not-an-address': email: Not a valid email address."]
    customers = ns_records(erp, "customer", "email")
    assert len(customers) == 2
    veronica = customers["veronica.costello@example.com"]
    assert {key: veronica.get(key) for key in ("id", "entityId", "externalId", "firstName", "lastName", "isPerson",
                                               "subsidiary", "custentity_magento_customer_id")} == {
        "id": keyed_in, "entityId": "VCOSTELLO", "externalId": external_id("veronica.costello@example.com"),
        "firstName": "Veronica", "lastName": "Costello", "isPerson": True, "subsidiary": {"id": "1"},
        "custentity_magento_customer_id": seeded["veronica"]["entity_id"]}
    assert veronica["addressBook"]["items"] == [{
        "defaultBilling": True, "defaultShipping": True, "line": 1, "addressBookAddress": {
            "addressee": "Veronica Costello", "addr1": "6146 Honey Bluff Parkway", "addr2": "Suite 2",
            "city": "Calder", "state": "Michigan", "zip": "49628-7978", "country": {"id": "US"},
            "addrPhone": "(555) 229-3326"}}]
    jan = customers["jan.de.vries@example.nl"]
    assert (jan["externalId"], jan["firstName"], jan["lastName"]) == (
        external_id("jan.de.vries@example.nl"), "Jan", "de Vries")
    assert jan["addressBook"]["items"] == [{
        "defaultBilling": True, "defaultShipping": False, "line": 1, "addressBookAddress": {
            "addressee": "De Vries B.V.", "attention": "Jan de Vries", "addr1": "Keizersgracht 123", "city": "Amsterdam", "zip": "1015 CJ",
            "country": {"id": "NL"}, "addrPhone": "+31 20 555 0123"}}]
    member = chimp.audience().members[subscriber_hash("veronica.costello@example.com")]
    assert (member["email_address"], member["status"]) == ("veronica.costello@example.com", "pending")
    assert member["merge_fields"] == {
        "FNAME": "Veronica", "LNAME": "Costello", "PHONE": "(555) 229-3326", "BIRTHDAY": "07/14",
        "ADDRESS": {"addr1": "6146 Honey Bluff Parkway", "addr2": "Suite 2", "city": "Calder", "state": "Michigan",
                    "zip": "49628-7978", "country": "US"}}
    assert [tag["name"] for tag in member["tags"]] == ["Magento General"]
    jan_member = chimp.audience().members[subscriber_hash("jan.de.vries@example.nl")]
    assert (jan_member["status"], jan_member["merge_fields"]["LNAME"]) == ("unsubscribed", "de Vries")
    assert [tag["name"] for tag in jan_member["tags"]] == ["Magento Wholesale"]

    # Jan changes his name: only he is read again, and updated in place at both targets.
    next_second()
    with shop.lock:
        seeded["jan"].update(lastname="de Vries-Bakker", updated_at=shop.now())

    for second in run_all(env, runs, CUSTOMER_PUSHES):
        assert second.counts == counts(1, loaded=1)
    again = ns_records(erp, "customer", "email")["jan.de.vries@example.nl"]
    assert (again["id"], again["lastName"], len(again["addressBook"]["items"])) == (jan["id"], "de Vries-Bakker", 1)
    jan_member = chimp.audience().members[subscriber_hash("jan.de.vries@example.nl")]
    assert (jan_member["merge_fields"]["LNAME"], jan_member["status"]) == ("de Vries-Bakker", "unsubscribed")

    for full in run_all(env, runs, CUSTOMER_PUSHES, "--mode", "full"):
        assert full.counts == counts(3, skipped=2, failed=1)
    assert len(erp.store.records["customer"]) == 2
    assert len(chimp.audience().members) == 2 and set(chimp.audience().creations.values()) == {1}


# Magento 1 -> NetSuite: orders ------------------------------------------------------------------------

TEE = {"sku": "WS12-M-Orange", "name": "Radiant Tee", "qty_ordered": 2, "price": 22.5,
       "child": {"name": "Radiant Tee-M-Orange"}}
MUG = {"sku": "MUG-LOGO", "name": "Logo Mug", "qty_ordered": 1, "price": 9.9}
CALDER = {"firstname": "Veronica", "lastname": "Costello", "street": ["6146 Honey Bluff Parkway"], "city": "Calder",
          "region": "Michigan", "region_id": 33, "postcode": "49628-7978", "country_id": "US",
          "telephone": "(555) 229-3326"}
AMSTERDAM = {"firstname": "Sam", "lastname": "Guest", "street": ["Keizersgracht 123"], "city": "Amsterdam",
             "postcode": "1015 CJ", "country_id": "NL", "telephone": "+31 20 555 0123"}


def seed_items(erp: NetSuiteEmulator, *skus: str) -> dict[str, str]:
    return {sku: erp.store.add("inventoryItem", {"itemId": sku}) for sku in skus}


def test_magento1_orders_become_netsuite_sales_orders_with_their_customers_resolved_once(env, workers, runs, shop,
                                                                                        erp):
    items = seed_items(erp, "WS12-M-Orange", "MUG-LOGO")
    veronica = shop.add_order(customer_email="veronica.costello@example.com", customer_firstname="Veronica",
                              customer_lastname="Costello", items=[TEE, MUG], billing_address=CALDER,
                              shipping_address={**CALDER, "street": ["350 Fifth Avenue", "Floor 21"],
                                                "city": "New York", "region": "New York", "region_id": 43,
                                                "postcode": "10118"})
    guest = shop.add_order(customer_email="Sam.Guest@Example.org", customer_firstname="Sam",
                           customer_lastname="Guest", items=[{**MUG, "qty_ordered": 3}], shipping_amount=0,
                           billing_address=AMSTERDAM, shipping_address=AMSTERDAM, payment="banktransfer")
    again = shop.add_order(customer_email="sam.guest@example.org", items=[MUG], billing_address=AMSTERDAM,
                           shipping_address=AMSTERDAM)
    workers.start(threads=4)

    first = run(env, runs, "magento1_to_netsuite_order")

    assert first.counts == counts(3, loaded=3)
    orders = ns_records(erp, "salesOrder")
    assert sorted(orders) == sorted(order["increment_id"] for order in (veronica, guest, again))
    customers = erp.store.records["customer"]
    assert sorted(customer["email"] for customer in customers.values()) == [
        "sam.guest@example.org", "veronica.costello@example.com"]  # Sam's two orders: one customer
    order = orders[veronica["increment_id"]]
    assert {key: order[key] for key in ("externalId", "otherRefNum", "email", "shippingCost", "memo", "subsidiary",
                                        "custbody_magento_order_id", "custbody_magento_payment_method")} == {
        "externalId": veronica["increment_id"], "otherRefNum": veronica["increment_id"],
        "email": "veronica.costello@example.com", "shippingCost": 5.0,
        "memo": f"Magento order {veronica['increment_id']}", "subsidiary": {"id": "1"},
        "custbody_magento_order_id": veronica["entity_id"], "custbody_magento_payment_method": "checkmo"}
    assert customers[order["entity"]["id"]]["email"] == "veronica.costello@example.com"
    assert order["billingAddress"] == {"addressee": "Veronica Costello", "addr1": "6146 Honey Bluff Parkway",
                                       "city": "Calder", "state": "Michigan", "zip": "49628-7978",
                                       "country": {"id": "US"}, "addrPhone": "(555) 229-3326"}
    assert order["shippingAddress"]["addr1"] == "350 Fifth Avenue" and order["shippingAddress"]["addr2"] == "Floor 21"
    # The configurable tee is one line (its child line carries no price), items found by SKU.
    assert [{key: line[key] for key in ("item", "quantity", "rate", "amount", "description")}
            for line in order["item"]["items"]] == [
        {"item": {"id": items["WS12-M-Orange"]}, "quantity": 2.0, "rate": 22.5, "amount": 45.0,
         "description": "Radiant Tee"},
        {"item": {"id": items["MUG-LOGO"]}, "quantity": 1.0, "rate": 9.9, "amount": 9.9, "description": "Logo Mug"}]
    sam = orders[guest["increment_id"]]
    assert (sam["shippingCost"], sam["custbody_magento_payment_method"], sam["item"]["items"][0]["quantity"]) == (
        0.0, "banktransfer", 3.0)

    next_second()
    with shop.lock:
        veronica["billing_address"]["telephone"] = "(555) 229-0000"
        veronica["updated_at"] = shop.now()
    second = run(env, runs, "magento1_to_netsuite_order")

    assert second.counts == counts(1, loaded=1)
    updated = ns_records(erp, "salesOrder")[veronica["increment_id"]]
    assert (updated["id"], updated["billingAddress"]["addrPhone"]) == (order["id"], "(555) 229-0000")
    assert len(updated["item"]["items"]) == 2  # lines replaced, not added again

    full = run(env, runs, "magento1_to_netsuite_order", "--mode", "full")

    assert full.counts == counts(3, skipped=3)
    assert (len(erp.store.records["salesOrder"]), len(customers)) == (3, 2)


# NetSuite -> Magento 1: stock ---------------------------------------------------------------------------

def location(location_id: str, available: float | None) -> dict:
    line = {"location": {"id": location_id, "refName": {"1": "Main Warehouse", "2": "EU Warehouse"}[location_id]}}
    return {**line, "quantityAvailable": available} if available is not None else line


def stock(shop: Magento1Emulator) -> dict[str, tuple[str, str]]:
    return {sku: (product["stock"]["qty"], product["stock"]["is_in_stock"]) for sku, product in
            sorted(shop.tables.products.items())}


def test_netsuite_stock_of_all_locations_becomes_magento1_stock(env, workers, runs, shop, erp):
    for sku in ("WS12-M-Orange", "MUG-LOGO", "ROPE-METRE"):
        shop.add_product(sku, qty=99)
    store = erp.store
    store.add("inventoryItem", {"itemId": "WS12-M-Orange", "locations": {"items": [location("1", 38),
                                                                                         location("2", 2.5)]}})
    mug = store.add("inventoryItem", {"itemId": "MUG-LOGO", "locations": {"items": [location("1", 5)]}})
    store.add("inventoryItem", {"itemId": "ROPE-METRE", "locations": {"items": [location("1", None)]}})
    store.add("inventoryItem", {"itemId": "NOT-IN-SHOP", "locations": {"items": [location("1", 1)]}})
    workers.start(threads=4)

    first = run(env, runs, "netsuite_to_magento1_inventory")

    assert first.counts == counts(4, loaded=3, failed=1)
    [failure] = runs.failures(first.run_id)
    assert failure.error == ("Magento 1 answered cataloginventory_stock_item.update with fault 101 (not_exists): "
                             "Product not exists.")
    assert stock(shop) == {"MUG-LOGO": ("5.0000", "1"), "ROPE-METRE": ("0.0000", "0"),
                           "WS12-M-Orange": ("40.5000", "1")}

    # Mugs sell out: only the mug is read again.
    erp.store.clock.advance()
    store.update("inventoryItem", mug, {"locations": {"items": [location("1", 0)]}}, replace=["locations"])
    assert run(env, runs, "netsuite_to_magento1_inventory").counts == counts(1, loaded=1)
    assert stock(shop)["MUG-LOGO"] == ("0.0000", "0")
    assert stock(shop)["WS12-M-Orange"] == ("40.5000", "1")

    full = run(env, runs, "netsuite_to_magento1_inventory", "--mode", "full")

    assert full.counts == counts(4, skipped=3, failed=1)


# NetSuite -> Magento 1: shipments ------------------------------------------------------------------------

def test_netsuite_fulfillments_become_magento1_shipments_with_tracks_once(env, workers, runs, shop, erp):
    store = erp.store
    items = seed_items(erp, "WS12-M-Orange", "MUG-LOGO")
    order = shop.add_order(customer_email="veronica.costello@example.com", items=[TEE, MUG],
                           billing_address=CALDER, shipping_address=CALDER)
    workers.start(threads=4)
    # The order reaches NetSuite through the shop's own integration: its external id is the increment id.
    assert run(env, runs, "magento1_to_netsuite_order").counts == counts(1, loaded=1)
    so_id = ns_records(erp, "salesOrder")[order["increment_id"]]["id"]
    # An order keyed in NetSuite by hand has no shop order number: its fulfillment cannot reach the shop.
    keyed_in = store.add("salesOrder", {"entity": store.records["salesOrder"][so_id]["entity"],
                                        "item": {"items": [{"item": {"id": items["MUG-LOGO"]}, "quantity": 1}]}})
    store.transform("salesOrder", keyed_in, "itemFulfillment", {"shipStatus": {"id": "C"}})
    tees = store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": 1, "itemReceive": True, "quantity": 2}]},
        "packageUps": {"items": [{"packageTrackingNumberUps": "1Z999AA10123456784"},
                                 {"packageTrackingNumberUps": "1Z999AA10123456795"}]}})

    first = run(env, runs, "netsuite_to_magento1_shipment")

    assert first.counts == counts(2, loaded=1, failed=1)
    [failure] = runs.failures(first.run_id)
    assert failure.error.endswith("order_number: Missing data for required field.")
    [shipment] = shop.tables.shipments.values()
    assert [(item["sku"], item["qty"]) for item in shipment["items"]] == [("WS12-M-Orange", "2.0000")]
    assert [(t["carrier_code"], t["title"], t["track_number"]) for t in shipment["tracks"]] == [
        ("ups", "United Parcel Service", "1Z999AA10123456784"), ("ups", "United Parcel Service", "1Z999AA10123456795")]
    assert [comment["comment"] for comment in shipment["comments"]] == [f"pipeline: shipment IF{tees}"]
    tee_line = next(item for item in order["items"] if item["sku"] == "WS12-M-Orange" and not item["parent_item_id"])
    assert tee_line["qty_shipped"] == "2.0000"

    # The mug ships with DHL (no carrier integration) and the first fulfillment gets a memo: both are read
    # again, only the new one makes a shipment.
    erp.store.clock.advance()
    mugs = store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": 2, "itemReceive": True, "quantity": 1}]},
        "package": {"items": [{"packageTrackingNumber": "JJD000390007891234", "packageDescr": "DHL Paket"}]}})
    store.update("itemFulfillment", tees, {"memo": "Left dock 3 at 16:05"})

    assert run(env, runs, "netsuite_to_magento1_shipment").counts == counts(2, loaded=1, skipped=1)
    later = shop.tables.shipments[max(shop.tables.shipments)]
    assert [(item["sku"], item["qty"]) for item in later["items"]] == [("MUG-LOGO", "1.0000")]
    assert [(t["carrier_code"], t["title"], t["track_number"]) for t in later["tracks"]] == [
        ("custom", "DHL Paket", "JJD000390007891234")]
    assert [comment["comment"] for comment in later["comments"]] == [f"pipeline: shipment IF{mugs}"]

    full = run(env, runs, "netsuite_to_magento1_shipment", "--mode", "full")

    assert full.counts == counts(3, skipped=2, failed=1)
    assert len(shop.tables.shipments) == 2


# Robustness: a Magento 1 that fails, drops connections and forgets sessions -------------------------

#: A request to the shop succeeds with probability (1 - drop) * (1 - error) * (1 - drop_after)
#: = 0.95 * 0.8 * 0.95 = 0.722, so it fails with Q = 0.278; drop_after loses the answer of a change
#: that happened (the case that makes a non-idempotent client create a second shipment). Sessions
#: expire after half a second, so every worker thread also meets fault 5 again and again.
FAULTS = dict(error_rate=0.2, error_status=503, drop_rate=0.05, drop_after_rate=0.05)
Q = 1 - (1 - 0.05) * (1 - 0.2) * (1 - 0.05)
#: A read exhausts its 1 + READ_RETRIES attempts with probability Q ** 11 = 8e-7; an extraction of
#: 100 customers is about 200 reads, so it completes at the first attempt 99.97 % of the time.
READ_RETRIES = 10
#: A shipment's load attempt is 2 reads and 3 writes (create, two tracks): it fails with probability
#: at most 1 - (1 - Q) ** 3 + 2 * Q ** 11 = 0.63. With 1 attempt in its batch and 1 + MAX_RETRIES
#: alone, a record ends failed with probability 0.63 ** 32 = 4e-7.
MAX_RETRIES = 30
CUSTOMERS, SHIPMENTS = 100, 30


def test_every_record_crosses_a_failing_magento1_exactly_once(pipeline_env, workers, runs):
    assert 1 - (1 - Q) ** 3 + 2 * Q ** (READ_RETRIES + 1) < 0.63 and 0.63 ** (MAX_RETRIES + 2) < 1e-6
    with Magento1Emulator(faults=Faults(**FAULTS, seed=1130), session_ttl_s=0.5) as shop, NetSuiteEmulator() as erp:
        for n in range(CUSTOMERS):
            shop.add_customer(f"customer{n:03d}@example.com", firstname=f"First{n}", lastname=f"Last{n}",
                              addresses=[{**VERONICA_ADDRESS, "firstname": f"First{n}", "lastname": f"Last{n}",
                                          "street": [f"{n} Main Street"]}])
        expected_tracks = seed_fulfillments(shop, erp)
        env = connect(pipeline_env, shop, erp)
        env.update({f"PIPELINE_{SHOP.upper()}_READ_RETRIES": str(READ_RETRIES),
                    "PIPELINE_MAX_RETRIES": str(MAX_RETRIES), "PIPELINE_RETRY_MIN_BACKOFF_MS": "20",
                    "PIPELINE_RETRY_MAX_BACKOFF_MS": "300"})
        workers.start(processes=2, threads=6)
        started = time.monotonic()

        # Out of the shop and into it at once, as a deployment runs them.
        customer_run = start_run(env, "magento1_to_netsuite_customer")
        shipment_run = start_run(env, "netsuite_to_magento1_shipment")
        customers = wait_for_run(runs, customer_run, timeout_s=90)
        shipments = wait_for_run(runs, shipment_run, timeout_s=90)

        print(f"\n{CUSTOMERS} customers and {SHIPMENTS} shipments in {time.monotonic() - started:.1f}s: "
              f"{customers.counts}, {shipments.counts}; {len(shop.requests)} requests to Magento 1, "
              f"faults injected {shop.counts}, {shop.logins} logins")
        for summary, total in ((customers, CUSTOMERS), (shipments, SHIPMENTS)):
            assert summary.counts["failed"] == 0 and summary.counts["extracted"] == total, summary.counts
            # A record whose load was retried after its answer was lost may count as skipped (unchanged).
            assert summary.counts["loaded"] + summary.counts["skipped"] == total
        assert shop.counts["errors"] > 50 and shop.counts["dropped"] > 10 and shop.counts["sessions_expired"] >= 1
        netsuite_customers = ns_records(erp, "customer", "email")  # one per email, or it fails
        netsuite_customers.pop("buyer@example.com")  # the fulfillments' buyer, seeded in NetSuite
        assert sorted(netsuite_customers) == [f"customer{n:03d}@example.com" for n in range(CUSTOMERS)]
        for n in range(CUSTOMERS):
            customer = netsuite_customers[f"customer{n:03d}@example.com"]
            assert (customer["firstName"], customer["lastName"]) == (f"First{n}", f"Last{n}")
            [line] = customer["addressBook"]["items"]
            assert line["addressBookAddress"]["addr1"] == f"{n} Main Street"
        # Exactly one shipment per fulfillment, each with its tracks once, however often its answer was lost.
        by_order = {}
        for shipment in shop.tables.shipments.values():
            assert shipment["order_id"] not in by_order, "two shipments of one order"
            by_order[shipment["order_id"]] = sorted(track["track_number"] for track in shipment["tracks"])
        assert by_order == expected_tracks
        assert shop.violations == []


def seed_fulfillments(shop: Magento1Emulator, erp: NetSuiteEmulator) -> dict[str, list[str]]:
    """One Magento 1 order and its NetSuite sales order and fulfillment (two tracks) per shipment."""
    store = erp.store
    items = seed_items(erp, "MUG-LOGO")
    customer = store.add("customer", {"email": "buyer@example.com"})
    expected = {}
    for n in range(SHIPMENTS):
        order = shop.add_order(increment_id=f"2000{n:05d}", items=[{**MUG, "qty_ordered": 2}])
        so_id = store.add("salesOrder", {"externalId": order["increment_id"], "entity": {"id": customer},
                                         "item": {"items": [{"item": {"id": items["MUG-LOGO"]}, "quantity": 2}]}})
        tracks = [f"1Z{n:05d}A", f"1Z{n:05d}B"]
        store.transform("salesOrder", so_id, "itemFulfillment", {
            "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": 1, "itemReceive": True, "quantity": 2}]},
            "packageUps": {"items": [{"packageTrackingNumberUps": number} for number in tracks]}})
        expected[order["entity_id"]] = tracks
    return expected
