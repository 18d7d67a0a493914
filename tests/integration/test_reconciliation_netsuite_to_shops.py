"""Reconciliation of the NetSuite -> shop integrations: every mapped field, found again in the shop.

Each test runs a shipped integration through real ``dramatiq pipeline.actors`` workers against the
emulators, reads the source records back as the NetSuite system extracts them (over HTTP), maps
each again with the integration's own mapping file (the canonical entity the load was given),
reads the shop emulator's stored records *in entity terms*, and compares them field by field;
money to the cent. A field a test cannot check is listed in it (``UNCHECKED``) with the reason;
every mapped field is checked or listed (``reconciliation.account``), and ``pytest -s`` prints
fields checked / fields mapped per integration:

* netsuite_to_magento2_customer: 16 / 19 (a company address with its person, three street lines, no category);
* netsuite_to_magento2_product: 6 / 8 (and the mapping's constants);
* netsuite_to_magento2_inventory: 4 / 5 (two sources, a fractional quantity);
* netsuite_to_magento2_shipment: 5 / 8 (two fulfillments, the four carriers' sublists);
* netsuite_to_magento2_invoice: 7 / 10 (line prices and the grand total compared, though Magento computes them);
* netsuite_to_magento2_credit_memo: 7 / 10 (part of a line, with and without shipping; grand totals to the cent);
* netsuite_to_magento1_customer: 15 / 18 (the same customers as Magento 2's: regions by code, name and free text);
* netsuite_to_magento1_inventory: 3 / 4 (locations added up, a null quantity);
* netsuite_to_magento1_shipment: 5 / 8.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.mapping import Mapper, load_mapping
from pipeline.systems import build_system
from pipeline.testing.magento1 import Magento1Emulator
from pipeline.testing.magento1.directory import region_by_id
from tests.conftest import MAPPINGS
from tests.integration.reconciliation import (  # noqa: F401 (erp and shop are fixtures)
    account,
    checked_paths,
    compare,
    erp,
    money,
    run,
    shop,
)
from tests.integration.test_netsuite_magento2_integrations import (
    MUG,
    TEE,
    connect,
    m2_address,
    ns_address,
    seed_magento_order,
    seed_netsuite_items,
)
from tests.integration.test_magento1_integrations import CALDER
from tests.integration.test_magento1_integrations import MUG as M1_MUG
from tests.integration.test_magento1_integrations import TEE as M1_TEE
from tests.integration.test_magento1_integrations import connect as connect_magento1
from tests.integration.test_magento1_integrations import location as m1_location


def extracted(env: dict, spec) -> list[dict]:
    """The source records as the integration's source system extracts them (all of them)."""
    system = build_system(spec.source.system, spec.source.connection, {**env, "PIPELINE_BROKER_URL": "stub://"})
    return [record for page in system.extract(spec.source.entity, since=None, refs=None, page_size=50)
            for record in page.records]


def mapped(env: dict, name: str):
    """The integration's mapping and each source record mapped by it (the entities the load was given)."""
    spec = load_mapping(MAPPINGS / f"{name}.yaml")
    mapper = Mapper(spec)
    return spec, [mapper.map(record).data for record in extracted(env, spec)]


# NetSuite -> Magento 2: customers --------------------------------------------------------------------

CUSTOMER_UNCHECKED = {
    "external_id": "not carried (ignored): Magento keys the customer by email within the website",
    "created_at": "not carried (ignored): Magento stamps created_at itself",
    "updated_at": "not carried (ignored): Magento stamps updated_at itself",
}


def magento_region(stored: dict | None, given: str | None) -> str | None:
    """The stored region in the source's terms: Magento resolves a region code or name to both."""
    if not stored:
        return None
    return stored.get("region_code") if given == stored.get("region_code") else stored.get("region")


def magento_customer(customer: dict, entity: dict) -> dict:
    """A stored Magento customer read back as a canonical customer (its addresses in stored order)."""
    found = {"email": customer["email"], "first_name": customer.get("firstname"),
             "last_name": customer.get("lastname"), "group": str(customer.get("group_id")),
             "is_subscribed": (customer.get("extension_attributes") or {}).get("is_subscribed")}
    given = entity.get("addresses") or []
    for number, address in enumerate(customer.get("addresses") or []):
        want = given[number] if number < len(given) else {}
        found.update({f"addresses.{number}.{name}": value for name, value in {
            "first_name": address.get("firstname"), "last_name": address.get("lastname"),
            "company": address.get("company"), "street": address.get("street"),
            "city": address.get("city"), "region": magento_region(address.get("region"), want.get("region")),
            "postcode": address.get("postcode"), "country_code": address.get("country_id"),
            "telephone": address.get("telephone"),
            # The customer's default_billing/default_shipping name the address: Magento's own record of it.
            "default_billing": customer.get("default_billing") == str(address["id"]),
            "default_shipping": customer.get("default_shipping") == str(address["id"])}.items()})
    return found


def compare_customers(stored: dict, entities: list[dict], view, expected_of) -> set[str]:
    """Compare each mapped customer with the one the shop stored (``view`` reads it as entity paths);
    asserts none differs and every address arrived, and returns the entity paths compared."""
    assert len(stored) == len(entities) == 3
    failures: list[str] = []
    compared: set[str] = set()
    for entity in entities:
        customer = stored[entity["email"]]
        assert len(customer["addresses"]) == len(entity.get("addresses") or []), entity["email"]
        compared |= compare(view(customer, entity), expected_of(entity), entity["email"], failures)
    assert failures == []
    return compared


def customer_expected(entity: dict) -> dict:
    expected = {name: entity.get(name) for name in ("email", "first_name", "last_name", "group", "is_subscribed")}
    for number, address in enumerate(entity.get("addresses") or []):
        expected.update({f"addresses.{number}.{name}": address.get(name) for name in (
            "first_name", "last_name", "company", "street", "city", "region", "postcode", "country_code",
            "telephone")})
        expected.update({f"addresses.{number}.{flag}": bool(address.get(flag))
                         for flag in ("default_billing", "default_shipping")})
    return expected


def seed_customers(erp) -> None:
    store = erp.store
    office = ns_address("Analytical Engines Ltd", "12 Analytical Street", "London", "W1T 2AB", "GB",
                        phone="+44 20 7946 0101", shipping=False)
    office["addressBookAddress"].update(attention="Ada Lovelace", addr2="Babbage Building", addr3="Floor 3")
    home = ns_address("Ada Lovelace", "350 Fifth Avenue", "New York", "10118", "US", state="NY",
                      phone="212-555-0147", billing=False)
    home["addressBookAddress"]["addr2"] = "Apartment 21"
    store.add("customer", {
        "isPerson": True, "firstName": "Ada", "lastName": "Lovelace", "email": " Ada.Lovelace@Example.com",
        "category": {"id": "2", "refName": "Wholesale"},
        "globalSubscriptionStatus": {"id": "3", "refName": "Confirmed Opt-In"},
        "addressBook": {"items": [office, home]}})
    store.add("customer", {
        "isPerson": False, "companyName": "Acme Tools", "email": "purchasing@acme-tools.example",
        "category": {"id": "7", "refName": "Distributor"}, "globalSubscriptionStatus": {"id": "4"},
        "addressBook": {"items": [ns_address("Acme Tools", "Industriestraße 5", "München", "80331", "DE",
                                             state="Bayern")]}})
    # No category, no subscription status, no addresses.
    store.add("customer", {"isPerson": True, "firstName": "Grace", "lastName": "Hopper",
                           "email": "grace.hopper@example.com"})


def test_every_mapped_field_of_netsuite_customers_reaches_magento(pipeline_env, workers, runs, erp, shop):
    env = connect(pipeline_env, erp, shop)
    seed_customers(erp)
    workers.start(threads=4)

    assert run(env, runs, "netsuite_to_magento2_customer").counts == {"extracted": 3, "loaded": 3, "skipped": 0,
                                                                      "failed": 0}
    spec, entities = mapped(env, "netsuite_to_magento2_customer")
    stored = {customer["email"]: customer for customer in shop.tables.customers.values()}
    compared = compare_customers(stored, entities, magento_customer, customer_expected)
    # NetSuite's third street line is kept, on Magento's second line; the company is the addressee.
    office = stored["ada.lovelace@example.com"]["addresses"][0]
    assert (office["street"], office["company"], office["firstname"]) == (
        ["12 Analytical Street", "Babbage Building, Floor 3"], "Analytical Engines Ltd", "Ada")
    # No category in NetSuite: the map's default group, not whatever the shop had.
    assert stored["grace.hopper@example.com"]["group_id"] == 1
    account(checked_paths(compared), CUSTOMER_UNCHECKED, spec)


# NetSuite -> Magento 2: products ---------------------------------------------------------------------

PRODUCT_UNCHECKED = {
    "external_id": "not carried (ignored): Magento keys the product by SKU",
    "updated_at": "not carried (ignored): Magento stamps updated_at itself",
}
STATUSES = {1: "enabled", 2: "disabled"}


def magento_product(product: dict) -> dict:
    attributes = {attribute["attribute_code"]: attribute["value"]
                  for attribute in product.get("custom_attributes") or []}
    return {"sku": product["sku"], "name": product.get("name"), "price": money(product.get("price")),
            "status": STATUSES.get(product.get("status")),
            "weight": Decimal(str(product["weight"])) if product.get("weight") is not None else None,
            "description": attributes.get("description")}


def product_expected(entity: dict) -> dict:
    expected = {name: entity.get(name) for name in ("sku", "name", "status", "description")}
    expected["price"] = money(entity.get("price"))
    expected["weight"] = Decimal(str(entity["weight"])) if entity.get("weight") is not None else None
    return expected


def test_every_mapped_field_of_netsuite_items_reaches_magento_products(pipeline_env, workers, runs, erp, shop):
    env = connect(pipeline_env, erp, shop)
    seed_netsuite_items(erp)
    workers.start(threads=4)

    assert run(env, runs, "netsuite_to_magento2_product").counts == {"extracted": 3, "loaded": 3, "skipped": 0,
                                                                     "failed": 0}
    spec, entities = mapped(env, "netsuite_to_magento2_product")
    failures: list[str] = []
    compared: set[str] = set()
    for entity in entities:
        product = shop.tables.products[entity["sku"]]
        compared |= compare(magento_product(product), product_expected(entity), entity["sku"], failures)
        # The mapping's constants: a simple product in the default set, on website 1, searchable.
        assert (product["type_id"], product["attribute_set_id"], product["visibility"],
                product["extension_attributes"]["website_ids"]) == ("simple", 4, 4, [1]), entity["sku"]
    assert failures == []
    account(checked_paths(compared), PRODUCT_UNCHECKED, spec)


# NetSuite -> Magento 2: stock per source (MSI) -------------------------------------------------------

INVENTORY_UNCHECKED = {"updated_at": "not carried (ignored): Magento keeps no change time on a source item"}


def test_every_mapped_field_of_netsuite_stock_reaches_magento_source_items(pipeline_env, workers, runs, erp, shop):
    env = connect(pipeline_env, erp, shop)
    seed_netsuite_items(erp)
    shop.tables.sources.add("eu_warehouse")
    workers.start(threads=4)

    assert run(env, runs, "netsuite_to_magento2_inventory").counts == {"extracted": 4, "loaded": 4, "skipped": 0,
                                                                       "failed": 0}
    spec, entities = mapped(env, "netsuite_to_magento2_inventory")
    assert len(entities) == len(shop.tables.source_items) == 4
    failures: list[str] = []
    compared: set[str] = set()
    for entity in entities:
        item = shop.tables.source_items[(entity["sku"], entity["source_code"])]
        found = {"sku": item["sku"], "source_code": item["source_code"], "quantity": Decimal(str(item["quantity"])),
                 "is_in_stock": item["status"] == 1}
        expected = {"sku": entity["sku"], "source_code": entity["source_code"],
                    "quantity": Decimal(str(entity["quantity"])), "is_in_stock": entity["is_in_stock"]}
        compared |= compare(found, expected, f"{entity['sku']}@{entity['source_code']}", failures)
    assert failures == []
    account(checked_paths(compared), INVENTORY_UNCHECKED, spec)


# NetSuite -> Magento 2: shipments, invoices, credit memos of an order the shop sent to NetSuite --------

DOCUMENT_UNCHECKED = {
    "external_id": "not carried (ignored): Magento numbers its documents; ours is named by a marker comment",
    "created_at": "not carried (ignored): Magento stamps created_at itself",
    "status": "not carried (ignored): read only to report a document voided in NetSuite (test_lifecycle_documents.py)",
}


def order_in_netsuite(env: dict, runs, erp, shop) -> tuple[dict, str, dict[str, int]]:
    """A Magento order with a line discount, tax and shipping, sent to NetSuite by the shop's own
    integration (so its sales order's external id is the increment id): the Magento order, the
    sales order's id, and its line numbers by SKU."""
    items = seed_netsuite_items(erp)
    tee = {**TEE, "row_total": 45.0, "discount_amount": 4.5, "tax_amount": 3.24}
    mug = {**MUG, "row_total": 9.9, "tax_amount": 0.79}
    calder = m2_address("billing", "Veronica", "Costello", ["6146 Honey Bluff Parkway"], "Calder", "49628-7978",
                        "US", "(555) 229-3326", ("MI", "Michigan", 33))
    # 45.00 + 9.90 - 4.50 + 4.03 + 5.00 = 59.43
    order = seed_magento_order(shop, "veronica.costello@example.com", "Veronica", "Costello", [tee, mug], calder,
                               status="processing", state="processing", subtotal=54.9, discount_amount=-4.5,
                               tax_amount=4.03, shipping_amount=5, grand_total=59.43)
    assert run(env, runs, "magento2_to_netsuite_order").counts["loaded"] == 1
    [(so_id, sales_order)] = erp.store.records["salesOrder"].items()
    assert money(sales_order["total"]) == money(order["grand_total"])
    skus = {item_id: sku for sku, item_id in (("WS12-M-Orange", items["tee"]), ("MUG-LOGO", items["mug"]))}
    lines = {skus[line["item"]["id"]]: line["line"] for line in sales_order["item"]["items"]
             if line["item"]["id"] in skus}
    return order, so_id, lines


def marked(shop, table: str, document: dict, entity: str) -> str | None:
    """Our document number, from the marker comment the load left on Magento's document."""
    prefix = f"pipeline: {entity} "
    for comment in shop.tables.comments[(table, document["entity_id"])]:
        for line in comment["comment"].splitlines():
            if line.startswith(prefix):
                return line[len(prefix):]
    return None


def magento_documents(shop, table: str, entity: str) -> dict[str, dict]:
    """Magento's documents of ``table`` by our document number (each exactly once)."""
    found = {marked(shop, table, document, entity): document for document in getattr(shop.tables, table).values()}
    assert None not in found and len(found) == len(getattr(shop.tables, table)), "a document without its marker"
    return found


def document_found(shop, table: str, entity: str, document: dict, line_fields: tuple[str, ...]) -> dict:
    """A Magento document in canonical terms: its number, order number and lines."""
    order = shop.tables.orders[document["order_id"]]
    found = {f"{entity}_number": marked(shop, table, document, entity), "order_number": order["increment_id"]}
    for number, line in enumerate(document["items"]):
        values = {"sku": line["sku"], "qty": Decimal(str(line["qty"])), "price": money(line["price"]),
                  "row_total": money(line["row_total"])}
        found.update({f"lines.{number}.{name}": values[name] for name in line_fields})
    return found


def document_expected(entity: dict, kind: str, line_fields: tuple[str, ...]) -> dict:
    expected = {f"{kind}_number": entity[f"{kind}_number"], "order_number": entity["order_number"]}
    for number, line in enumerate(entity.get("lines") or []):
        values = {"sku": line["sku"], "qty": Decimal(str(line["qty"])), "price": money(line.get("price")),
                  "row_total": money(line.get("row_total"))}
        expected.update({f"lines.{number}.{name}": values[name] for name in line_fields})
    return expected


def test_every_mapped_field_of_netsuite_fulfillments_reaches_magento_shipments(pipeline_env, workers, runs, erp,
                                                                              shop):
    env = connect(pipeline_env, erp, shop)
    workers.start(threads=4)
    order, so_id, lines = order_in_netsuite(env, runs, erp, shop)
    # The tees leave with UPS and a generic parcel service; the mug with FedEx and USPS.
    erp.store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": lines["WS12-M-Orange"], "quantity": 2}]},
        "packageUps": {"items": [{"packageTrackingNumberUps": "1Z999AA10123456784"}]},
        "package": {"items": [{"packageTrackingNumber": "JJD000390007891234", "packageDescr": "DHL Paket"},
                              {"packageDescr": "no number yet"}]}})
    erp.store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": lines["MUG-LOGO"], "quantity": 1}]},
        "packageFedEx": {"items": [{"packageTrackingNumberFedEx": "794698660000"}]},
        "packageUsps": {"items": [{"packageTrackingNumberUsps": "9400100000000000000000"}]}})

    assert run(env, runs, "netsuite_to_magento2_shipment").counts == {"extracted": 2, "loaded": 2, "skipped": 0,
                                                                      "failed": 0}
    spec, entities = mapped(env, "netsuite_to_magento2_shipment")
    stored = magento_documents(shop, "shipments", "shipment")
    assert len(stored) == len(entities) == 2
    failures: list[str] = []
    compared: set[str] = set()
    for entity in entities:
        shipment = stored[entity["shipment_number"]]
        found = document_found(shop, "shipments", "shipment", shipment, ("sku", "qty"))
        found["tracks"] = [{name: track.get(name) for name in ("carrier_code", "title", "track_number")}
                           for track in shipment["tracks"]]
        expected = {**document_expected(entity, "shipment", ("sku", "qty")), "tracks": entity["tracks"]}
        compared |= compare(found, expected, entity["shipment_number"], failures)
    assert failures == []
    assert sorted(track["carrier_code"] for entity in entities for track in entity["tracks"]) == [
        "custom", "fedex", "ups", "usps"]
    account(checked_paths(compared), DOCUMENT_UNCHECKED, spec)


INVOICE_UNCHECKED = {
    **DOCUMENT_UNCHECKED,
    "status": "not carried (ignored): Magento sets its invoice's state itself",
}


def test_every_mapped_field_of_netsuite_invoices_reaches_magento_and_the_totals_agree(pipeline_env, workers, runs,
                                                                                     erp, shop):
    env = connect(pipeline_env, erp, shop)
    workers.start(threads=4)
    order, so_id, _ = order_in_netsuite(env, runs, erp, shop)
    # Everything, with the order's shipping: NetSuite's total is the order's grand total.
    erp.store.transform("salesOrder", so_id, "invoice", {"status": {"id": "Open", "refName": "Open"},
                                                          "shippingCost": 5.0})

    assert run(env, runs, "netsuite_to_magento2_invoice").counts == {"extracted": 1, "loaded": 1, "skipped": 0,
                                                                     "failed": 0}
    spec, entities = mapped(env, "netsuite_to_magento2_invoice")
    stored = magento_documents(shop, "invoices", "invoice")
    assert len(stored) == len(entities) == 1
    failures: list[str] = []
    compared: set[str] = set()
    line_fields = ("sku", "qty", "price", "row_total")
    for entity in entities:
        invoice = stored[entity["invoice_number"]]
        # Prices and totals are not sent: Magento invoices at the order's prices and computes its own
        # totals. They are compared all the same: both sides must come to the same money.
        found = {**document_found(shop, "invoices", "invoice", invoice, line_fields),
                 "grand_total": money(invoice["grand_total"])}
        expected = {**document_expected(entity, "invoice", line_fields), "grand_total": money(entity["grand_total"])}
        compared |= compare(found, expected, entity["invoice_number"], failures)
    assert failures == []
    assert money(next(iter(stored.values()))["grand_total"]) == money(order["grand_total"])
    account(checked_paths(compared), INVOICE_UNCHECKED, spec)


def test_every_mapped_field_of_netsuite_credit_memos_reaches_magento_to_the_cent(pipeline_env, workers, runs, erp,
                                                                                shop):
    env = connect(pipeline_env, erp, shop)
    workers.start(threads=4)
    order, so_id, lines = order_in_netsuite(env, runs, erp, shop)
    invoice_id = erp.store.transform("salesOrder", so_id, "invoice", {"shippingCost": 5.0})
    assert run(env, runs, "netsuite_to_magento2_invoice").counts["loaded"] == 1
    # The invoice's line numbers, by the sales order line each was made from.
    invoice_lines = {line["orderLine"]: line["line"]
                     for line in erp.store.records["invoice"][invoice_id]["item"]["items"]}
    tee_line, mug_line = invoice_lines[lines["WS12-M-Orange"]], invoice_lines[lines["MUG-LOGO"]]
    # One tee of two, no shipping: Magento would refund 22.50 + 1.62 tax - 2.25 discount and, unless
    # told otherwise, the order's 5.00 of shipping. NetSuite credits 22.50.
    erp.store.transform("invoice", invoice_id, "creditMemo", {"item": {"items": [{"orderLine": tee_line,
                                                                                  "quantity": 1}]}})
    # The mug and the shipping: NetSuite credits 9.90 + 5.00, without the mug's tax.
    erp.store.transform("invoice", invoice_id, "creditMemo", {"item": {"items": [{"orderLine": mug_line,
                                                                                  "quantity": 1}]},
                                                              "shippingCost": 5.0})

    assert run(env, runs, "netsuite_to_magento2_credit_memo").counts == {"extracted": 2, "loaded": 2,
                                                                         "skipped": 0, "failed": 0}
    spec, entities = mapped(env, "netsuite_to_magento2_credit_memo")
    stored = magento_documents(shop, "creditmemos", "credit_memo")
    assert len(stored) == len(entities) == 2
    failures: list[str] = []
    compared: set[str] = set()
    line_fields = ("sku", "qty", "price")
    for entity in entities:
        memo = stored[entity["credit_memo_number"]]
        found = {**document_found(shop, "creditmemos", "credit_memo", memo, line_fields),
                 "shipping_amount": money(memo["shipping_amount"]), "grand_total": money(memo["grand_total"])}
        expected = {**document_expected(entity, "credit_memo", line_fields),
                    "shipping_amount": money(entity.get("shipping_amount")),
                    "grand_total": money(entity["grand_total"])}
        compared |= compare(found, expected, entity["credit_memo_number"], failures)
    assert failures == []
    assert sorted(money(memo["grand_total"]) for memo in stored.values()) == [money("14.90"), money("22.50")]
    account(checked_paths(compared), DOCUMENT_UNCHECKED, spec)


# NetSuite -> Magento 1: customers, stock and shipments --------------------------------------------------

@pytest.fixture
def magento1_shop():
    with Magento1Emulator() as emulator:
        yield emulator
    assert emulator.violations == []


def m1_marked(shipment: dict) -> str | None:
    """Our shipment number, from the marker comment the load left on Magento 1's shipment."""
    prefix = "pipeline: shipment "
    return next((line[len(prefix):] for comment in shipment["comments"] for line in comment["comment"].splitlines()
                 if line.startswith(prefix)), None)


def magento1_region(address: dict, given: str | None) -> str | None:
    """The stored region in the source's terms: a resolved region_id is the directory's region, whose
    code or name the source gave; otherwise Magento 1 keeps the free text."""
    found = region_by_id(address["region_id"]) if address.get("region_id") else None
    if found is not None and given == found[1]["code"]:
        return found[1]["code"]
    return address.get("region")


def magento1_customer(customer: dict, entity: dict) -> dict:
    """A stored Magento 1 customer read back as a canonical customer (its addresses in stored order)."""
    found = {"email": customer["email"], "first_name": customer.get("firstname"),
             "last_name": customer.get("lastname"), "group": customer.get("group_id")}
    given = entity.get("addresses") or []
    for number, address in enumerate(customer["addresses"]):
        want = given[number] if number < len(given) else {}
        found.update({f"addresses.{number}.{name}": value for name, value in {
            "first_name": address.get("firstname"), "last_name": address.get("lastname"),
            "company": address.get("company"),
            # Magento 1 keeps a street as its lines joined by a newline.
            "street": address["street"].split("\n") if address.get("street") else None,
            "city": address.get("city"), "region": magento1_region(address, want.get("region")),
            "postcode": address.get("postcode"), "country_code": address.get("country_id"),
            "telephone": address.get("telephone"),
            "default_billing": customer.get("default_billing") == address["entity_id"],
            "default_shipping": customer.get("default_shipping") == address["entity_id"]}.items()})
    return found


def test_every_mapped_field_of_netsuite_customers_reaches_magento1(pipeline_env, workers, runs, erp,
                                                                  magento1_shop):
    shop = magento1_shop
    env = connect_magento1(pipeline_env, shop, erp)
    seed_customers(erp)
    # Magento 1 requires an address's telephone (Magento 2 makes it optional): Acme's office gets one.
    [acme] = [record for record in erp.store.records["customer"].values() if record.get("companyName")]
    acme["addressBook"]["items"][0]["addressBookAddress"]["addrPhone"] = "+49 89 555 0100"
    workers.start(threads=4)

    summary = run(env, runs, "netsuite_to_magento1_customer")
    assert summary.counts == {"extracted": 3, "loaded": 3, "skipped": 0, "failed": 0}, runs.failures(summary.run_id)
    spec, entities = mapped(env, "netsuite_to_magento1_customer")
    stored = {customer["email"]: customer for customer in shop.tables.customers.values()}
    # The Magento 1 mapping carries no newsletter flag: is_subscribed is not expected there.
    compared = compare_customers(stored, entities, magento1_customer,
                                 lambda entity: {path: value for path, value in customer_expected(entity).items()
                                                 if path != "is_subscribed"})
    # NY and Bayern are the directory's regions (by code, by name); London's GB has no region list.
    assert [(address["region_id"], address["region"]) for email in ("ada.lovelace@example.com",
                                                                    "purchasing@acme-tools.example")
            for address in stored[email]["addresses"] if address.get("region_id")] == [
        ("43", "New York"), ("82", "Bayern")]
    assert stored["grace.hopper@example.com"]["group_id"] == "1"
    account(checked_paths(compared), CUSTOMER_UNCHECKED, spec)


M1_INVENTORY_UNCHECKED = {"updated_at": "not carried (ignored): Magento 1 keeps no change time on a stock item"}


def test_every_mapped_field_of_netsuite_stock_reaches_magento1(pipeline_env, workers, runs, erp, magento1_shop):
    shop = magento1_shop
    env = connect_magento1(pipeline_env, shop, erp)
    for sku in ("WS12-M-Orange", "MUG-LOGO", "ROPE-METRE"):
        shop.add_product(sku, qty=99)
    # Two locations add up; a null quantity (NetSuite leaves it out) is nothing to sell.
    erp.store.add("inventoryItem", {"itemId": "WS12-M-Orange", "locations": {"items": [m1_location("1", 38),
                                                                                         m1_location("2", 2.5)]}})
    erp.store.add("inventoryItem", {"itemId": "MUG-LOGO", "locations": {"items": [m1_location("1", 5)]}})
    erp.store.add("inventoryItem", {"itemId": "ROPE-METRE", "locations": {"items": [m1_location("1", None)]}})
    workers.start(threads=4)

    assert run(env, runs, "netsuite_to_magento1_inventory").counts == {"extracted": 3, "loaded": 3,
                                                                       "skipped": 0, "failed": 0}
    spec, entities = mapped(env, "netsuite_to_magento1_inventory")
    failures: list[str] = []
    compared: set[str] = set()
    for entity in entities:
        stock = shop.tables.products[entity["sku"]]["stock"]
        found = {"sku": shop.tables.products[entity["sku"]]["sku"], "quantity": Decimal(stock["qty"]),
                 "is_in_stock": stock["is_in_stock"] == "1"}
        expected = {"sku": entity["sku"], "quantity": Decimal(str(entity["quantity"])),
                    "is_in_stock": entity["is_in_stock"]}
        compared |= compare(found, expected, entity["sku"], failures)
    assert failures == []
    assert Decimal(shop.tables.products["WS12-M-Orange"]["stock"]["qty"]) == Decimal("40.5")
    account(checked_paths(compared), M1_INVENTORY_UNCHECKED, spec)


def test_every_mapped_field_of_netsuite_fulfillments_reaches_magento1_shipments(pipeline_env, workers, runs, erp,
                                                                               magento1_shop):
    shop = magento1_shop
    env = connect_magento1(pipeline_env, shop, erp)
    store = erp.store
    for sku in ("WS12-M-Orange", "MUG-LOGO"):
        store.add("inventoryItem", {"itemId": sku})
    order = shop.add_order(customer_email="veronica.costello@example.com", items=[M1_TEE, M1_MUG],
                           billing_address=CALDER, shipping_address=CALDER)
    workers.start(threads=4)
    # The order reaches NetSuite through the shop's own integration: its external id is the increment id.
    assert run(env, runs, "magento1_to_netsuite_order").counts["loaded"] == 1
    [(so_id, sales_order)] = store.records["salesOrder"].items()
    lines = {store.records["inventoryItem"][line["item"]["id"]]["itemId"]: line["line"]
             for line in sales_order["item"]["items"] if line["item"]["id"] in store.records["inventoryItem"]}
    store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": lines["WS12-M-Orange"], "quantity": 2}]},
        "packageUps": {"items": [{"packageTrackingNumberUps": "1Z999AA10123456784"}]},
        "package": {"items": [{"packageTrackingNumber": "JJD000390007891234", "packageDescr": "DHL Paket"}]}})
    store.transform("salesOrder", so_id, "itemFulfillment", {
        "shipStatus": {"id": "C"}, "item": {"items": [{"orderLine": lines["MUG-LOGO"], "quantity": 1}]},
        "packageFedEx": {"items": [{"packageTrackingNumberFedEx": "794698660000"}]},
        "packageUsps": {"items": [{"packageTrackingNumberUsps": "9400100000000000000000"}]}})

    assert run(env, runs, "netsuite_to_magento1_shipment").counts == {"extracted": 2, "loaded": 2,
                                                                      "skipped": 0, "failed": 0}
    spec, entities = mapped(env, "netsuite_to_magento1_shipment")
    stored = {m1_marked(shipment): shipment for shipment in shop.tables.shipments.values()}
    assert None not in stored and len(stored) == len(shop.tables.shipments) == len(entities) == 2
    failures: list[str] = []
    compared: set[str] = set()
    for entity in entities:
        shipment = stored[entity["shipment_number"]]
        found = {"shipment_number": m1_marked(shipment),
                 "order_number": shop.tables.orders[int(shipment["order_id"])]["increment_id"],
                 "tracks": [{name: track[name] for name in ("carrier_code", "title", "track_number")}
                            for track in shipment["tracks"]]}
        for number, line in enumerate(shipment["items"]):
            found.update({f"lines.{number}.sku": line["sku"], f"lines.{number}.qty": Decimal(line["qty"])})
        expected = {**document_expected(entity, "shipment", ("sku", "qty")), "tracks": entity["tracks"]}
        compared |= compare(found, expected, entity["shipment_number"], failures)
    assert failures == []
    assert order["increment_id"] in {entity["order_number"] for entity in entities}
    account(checked_paths(compared), DOCUMENT_UNCHECKED, spec)
