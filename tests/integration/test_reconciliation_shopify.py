"""Reconciliation of the Shopify integrations (Shopify declared in YAML: systems/shopify.yaml).

As in ``test_reconciliation.py``: real workers, each source record mapped again with the shipped
mapping file, the target's stored record read back in entity terms and compared field by field;
every mapped field is checked or listed with why. Fields checked / fields mapped (``pytest -s``):

* shopify_to_magento2_customer: 14 / 14 (two addresses, a company, a region resolved by code);
* magento2_to_shopify_customer: 4 / 16 (Shopify's load body sends email, names and the first
  address's phone; the rest is listed under ``ignore:`` in the mapping, which ``connector validate``
  now checks for declared systems too).
"""

from __future__ import annotations

import pytest

from pipeline.mapping import Mapper, load_mapping
from pipeline.testing.shopify import ShopifyEmulator
from tests.conftest import MAPPINGS
from tests.integration.reconciliation import account, checked_paths, compare, run, shop  # noqa: F401 (fixtures)

STORE, SHOP = "shopify_store", "magento2_shop"


@pytest.fixture
def shopify():
    with ShopifyEmulator() as emulator:
        yield emulator
    assert emulator.violations == []


@pytest.fixture
def env(pipeline_env, shopify, shop):
    pipeline_env.update({k: v for k, v in shop.environ(SHOP, "oauth").items() if k.startswith("PIPELINE_MAGENTO2")})
    pipeline_env.update({k: v for k, v in shopify.environ(STORE).items() if k.startswith("PIPELINE_SHOPIFY")})
    return pipeline_env


# Shopify -> Magento 2 ------------------------------------------------------------------------------

def magento_customer(customer: dict) -> dict:
    """A stored Magento 2 customer read back as a canonical customer."""
    found = {"email": customer["email"], "first_name": customer["firstname"], "last_name": customer["lastname"]}
    for number, address in enumerate(customer.get("addresses") or []):
        found.update({f"addresses.{number}.{name}": address.get(field) for name, field in (
            ("first_name", "firstname"), ("last_name", "lastname"), ("company", "company"), ("street", "street"),
            ("city", "city"), ("postcode", "postcode"), ("country_code", "country_id"), ("telephone", "telephone"),
            ("default_billing", "default_billing"), ("default_shipping", "default_shipping"))})
        found[f"addresses.{number}.region"] = (address.get("region") or {}).get("region_code")
    return found


def entity_customer(entity: dict) -> dict:
    expected = {name: entity.get(name) for name in ("email", "first_name", "last_name")}
    for number, address in enumerate(entity.get("addresses") or []):
        expected.update({f"addresses.{number}.{name}": value for name, value in address.items()})
    return expected


def shopify_address(**fields) -> dict:
    address = {"first_name": "Ada", "last_name": "Lovelace", "company": None, "address1": "12 St James's Square",
               "address2": None, "city": "London", "province": None, "province_code": None, "zip": "SW1Y 4JH",
               "country_code": "GB", "phone": "+44 20 7946 0001", "default": True}
    return {**address, **fields}


def test_every_mapped_field_of_shopify_customers_reaches_magento(env, workers, runs, shopify, shop):
    shopify.add_customer(
        email="Ada.Lovelace@Example.com", first_name="Ada", last_name="Lovelace", tags="VIP, Newsletter",
        addresses=[shopify_address(company="Analytical Engines Ltd", address2="Floor 2"),
                   shopify_address(address1="1 Congress Ave", city="Austin", province="Texas", province_code="TX",
                                   zip="78701", country_code="US", phone="+1 512 555 0102", default=False)])
    shopify.add_customer(email="grace@example.com", first_name="Grace", last_name="Hopper", tags="",
                         addresses=[shopify_address(first_name="Grace", last_name="Hopper", address1="5 Main St",
                                                    city="New York", province="New York", province_code="NY",
                                                    zip="10001", country_code="US", phone=None)])
    workers.start(threads=2)

    summary = run(env, runs, "shopify_to_magento2_customer")
    assert summary.counts == {"extracted": 2, "loaded": 2, "skipped": 0, "failed": 0}, (
        [failure.error for failure in runs.failures(summary.run_id)])
    spec = load_mapping(MAPPINGS / "shopify_to_magento2_customer.yaml")
    mapper = Mapper(spec)
    stored = {customer["email"]: customer for customer in shop.tables.customers.values()}
    failures: list[str] = []
    compared: set[str] = set()
    for source in shopify.customers.values():
        entity = mapper.map(source).data
        compared |= compare(magento_customer(stored[entity["email"]]), entity_customer(entity), entity["email"],
                            failures)
    assert failures == []
    # target_fields: Shopify's tags in a Magento customer attribute.
    assert stored["ada.lovelace@example.com"]["custom_attributes"] == [
        {"attribute_code": "shopify_tags", "value": "VIP, Newsletter"}]
    account(checked_paths(compared), {}, spec)


# Magento 2 -> Shopify ------------------------------------------------------------------------------

ADDRESS_NOT_SENT = ("not carried (ignored): systems/shopify.yaml sends no addresses (an update would add them "
                    "again); the first address's phone is the customer's phone")
SHOPIFY_UNCHECKED = {
    "external_id": "not carried (ignored): Shopify keys the customer by its email",
    "created_at": "not carried (ignored): Shopify stamps its own times",
    "updated_at": "not carried (ignored): Shopify stamps its own times",
    **{f"addresses.{name}": ADDRESS_NOT_SENT for name in (
        "first_name", "last_name", "street", "city", "region", "postcode", "country_code", "default_billing",
        "default_shipping")},
}


def shopify_customer(customer: dict) -> dict:
    """A stored Shopify customer read back as a canonical customer (its phone: the first address's)."""
    return {"email": customer["email"], "first_name": customer["first_name"], "last_name": customer["last_name"],
            "addresses.0.telephone": customer.get("phone")}


def m2_address(**fields) -> dict:
    address = {"firstname": "Veronica", "lastname": "Costello", "street": ["6146 Honey Bluff Parkway"],
               "city": "Calder", "region": {"region_code": "MI", "region": "Michigan", "region_id": 33},
               "region_id": 33, "postcode": "49628-7978", "country_id": "US", "telephone": "+1 555 229 3326",
               "default_billing": True, "default_shipping": True}
    return {**address, **fields}


def test_every_carried_field_of_magento_customers_reaches_shopify_and_a_taken_phone_fails_alone(
        env, workers, runs, shopify, shop):
    shop.add_customer(email="veronica.costello@example.com", firstname="Veronica", lastname="Costello", group_id=2,
                      addresses=[m2_address()])
    shop.add_customer(email="jan@example.nl", firstname="Jan", lastname="de Vries", group_id=1)
    # Already in Shopify under another name: found by email, updated in place.
    existing = shopify.add_customer(email="jan@example.nl", first_name="J.", last_name="Vries")
    # Her partner shares the household phone: Shopify keeps a phone to one customer.
    shop.add_customer(email="sam.costello@example.com", firstname="Sam", lastname="Costello", group_id=1,
                      addresses=[m2_address(firstname="Sam")])
    workers.start(threads=1)

    summary = run(env, runs, "magento2_to_shopify_customer")

    assert summary.counts == {"extracted": 3, "loaded": 2, "skipped": 0, "failed": 1}
    [failure] = runs.failures(summary.run_id)
    assert failure.key == "sam.costello@example.com" and failure.error.endswith("phone: has already been taken")
    spec = load_mapping(MAPPINGS / "magento2_to_shopify_customer.yaml")
    mapper = Mapper(spec)
    stored = {customer["email"]: customer for customer in shopify.customers.values()}
    assert stored["jan@example.nl"]["id"] == existing["id"] and "sam.costello@example.com" not in stored
    failures: list[str] = []
    compared: set[str] = set()
    for source in shop.tables.customers.values():
        if source["email"] == failure.key:
            continue
        entity = mapper.map(source).data
        expected = {name: entity.get(name) for name in ("email", "first_name", "last_name")}
        expected["addresses.0.telephone"] = (entity.get("addresses") or [{}])[0].get("telephone")
        compared |= compare(shopify_customer(stored[entity["email"]]), expected, entity["email"], failures)
    assert failures == []
    # target_fields: the group as a tag.
    assert stored["veronica.costello@example.com"]["tags"] == "Magento, Wholesale"
    account(checked_paths(compared), SHOPIFY_UNCHECKED, spec)
