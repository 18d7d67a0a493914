"""Reconciliation of the NetSuite -> shop integrations: every mapped field, found again in the shop.

Each test runs a shipped integration through real ``dramatiq pipeline.actors`` workers against the
emulators, reads the source records back as the NetSuite system extracts them (over HTTP), maps
each again with the integration's own mapping file (the canonical entity the load was given),
reads the shop emulator's stored records *in entity terms*, and compares them field by field;
money to the cent. A field a test cannot check is listed in it (``UNCHECKED``) with the reason;
every mapped field is checked or listed (``reconciliation.account``), and ``pytest -s`` prints
fields checked / fields mapped per integration.
"""

from __future__ import annotations

from decimal import Decimal

from pipeline.mapping import Mapper, load_mapping
from pipeline.systems import build_system
from tests.conftest import MAPPINGS
from tests.integration.reconciliation import account, checked_paths, compare, erp, money, run, shop  # noqa: F401 (fixtures)
from tests.integration.test_netsuite_magento2_integrations import connect, ns_address, seed_netsuite_items


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
    assert len(stored) == len(entities) == 3
    failures: list[str] = []
    compared: set[str] = set()
    for entity in entities:
        customer = stored[entity["email"]]
        assert len(customer["addresses"]) == len(entity.get("addresses") or []), entity["email"]
        compared |= compare(magento_customer(customer, entity), customer_expected(entity), entity["email"],
                            failures)
    assert failures == []
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
    attributes = {attribute["attribute_code"]: attribute["value"] for attribute in product.get("custom_attributes") or []}
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
