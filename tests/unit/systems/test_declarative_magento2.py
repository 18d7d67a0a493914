"""Magento 2 customers described in YAML (systems/magento2_rest.yaml) give the same results as the
Python `magento2` system, against the Magento 2 emulator over loopback (OAuth 1.0a signatures
checked by the emulator, every request checked against Adobe's official schema)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest

from pipeline.errors import FatalError, RetryableError
from pipeline.systems import build_system
from pipeline.systems.base import LoadItem
from pipeline.systems.declarative import DeclaredSystem, load_system_file
from pipeline.testing.clock import Clock
from pipeline.testing.magento2 import Magento2Emulator

ROOT = Path(__file__).resolve().parents[3]
SYSTEM_FILE = ROOT / "systems" / "magento2_rest.yaml"
#: Fields the emulator stamps with its clock: equal between the two shops only if written at the same time.
STAMPS = ("created_at", "updated_at")


def shop_emulator() -> Magento2Emulator:
    return Magento2Emulator(clock=Clock("2024-05-01T10:00:00"))


@pytest.fixture
def shops():
    """Two identical shops: one written by the Python system, one by the system file."""
    with shop_emulator() as python_shop, shop_emulator() as declared_shop:
        yield python_shop, declared_shop
        assert python_shop.violations == [] and declared_shop.violations == []


def python_system(shop: Magento2Emulator):
    return build_system("magento2", "shop", {**shop.environ("shop", "oauth"), "PIPELINE_SHOP_BULK_THRESHOLD": "0"})


def declared_system(shop: Magento2Emulator) -> DeclaredSystem:
    return DeclaredSystem.build(load_system_file(SYSTEM_FILE), "shop", shop.environ("shop", "oauth"))


def extract_all(system, since: str | None = None, page_size: int = 2) -> tuple[list[dict], str | None]:
    records, cursor = [], None
    for page in islice(system.extract("customer", since=since, refs=None, page_size=page_size), 50):
        records += page.records
        cursor = page.cursor or cursor
    return records, cursor


def seed(shop: Magento2Emulator, count: int = 5) -> list[dict]:
    return [shop.add_customer(email=f"c{n}@example.com", firstname="C", lastname=str(n), dob=f"1990-01-0{n + 1}")
            for n in range(count)]


def test_a_full_pull_reads_the_same_records_over_the_same_pages(shops):
    python_shop, _ = shops
    seed(python_shop)
    python_records, _ = extract_all(python_system(python_shop))
    declared_records, cursor = extract_all(declared_system(python_shop))
    assert len(python_records) == 5
    assert declared_records == python_records
    # Paging stopped on total_count: pages 1, 2, 3 of size 2, no fourth request for the repeated last page.
    pages = [dict(r.query).get("searchCriteria[currentPage]") for r in python_shop.requests
             if r.path.endswith("/V1/customers/search")]
    assert pages == ["1", "2", "3", "1", "2", "3"]
    assert cursor is not None


def test_an_incremental_pull_delivers_the_same_changes_as_the_python_system(shops):
    shop, _ = shops
    first = seed(shop, 3)
    python, declared = python_system(shop), declared_system(shop)
    _, python_cursor = extract_all(python)
    _, declared_cursor = extract_all(declared)
    # Nothing changed: neither delivers anything, though both re-read the cursor's second.
    assert extract_all(python, python_cursor)[0] == extract_all(declared, declared_cursor)[0] == []

    same_second = shop.add_customer(email="same@example.com", firstname="S", lastname="S")
    shop.clock.advance(120)
    changed = shop.add_customer(email="new@example.com", firstname="N", lastname="N")
    python_records, _ = extract_all(python, python_cursor)
    declared_records, declared_next = extract_all(declared, declared_cursor)
    assert sorted(r["id"] for r in declared_records) == sorted(r["id"] for r in python_records)
    assert {r["id"] for r in declared_records} == {same_second["id"], changed["id"]}
    assert all(r["id"] != first[0]["id"] for r in declared_records)
    query = dict(shop.requests[-1].query)
    assert query["searchCriteria[filterGroups][0][filters][0][value]"] == "2024-05-01 10:00:00"
    assert query["searchCriteria[filterGroups][0][filters][0][conditionType]"] == "gteq"
    assert extract_all(declared, declared_next)[0] == []


def customer(email: str, **data) -> LoadItem:
    return LoadItem(email, {"email": email, "first_name": "Ada", "last_name": "Lovelace", "group": "2",
                            "dob": "1815-12-10", "is_subscribed": True, **data}, {})


def stored(shop: Magento2Emulator) -> list[dict]:
    # An empty custom_attributes list and none at all are the same customer (the Python system sends
    # the merged list, empty here, on updates; the system file sends none).
    return [{k: v for k, v in record.items() if k not in STAMPS and not (k == "custom_attributes" and v == [])}
            for record in shop.tables.customers.values()]


def test_loads_create_then_update_by_email_leaving_the_same_customers_as_the_python_system(shops):
    python_shop, declared_shop = shops
    for shop in shops:
        shop.add_customer(email="existing@example.com", firstname="Old", lastname="Name", group_id=1)
    batches = [[customer("ada@example.com"), customer("existing@example.com", first_name="New")],
               [customer("ada@example.com", first_name="Augusta", is_subscribed=False)]]
    python, declared = python_system(python_shop), declared_system(declared_shop)
    for batch in batches:
        assert python.load("customer", batch) == [None] * len(batch)
        assert declared.load("customer", batch) == [None] * len(batch)
    assert stored(declared_shop) == stored(python_shop)
    assert [c["firstname"] for c in stored(declared_shop)] == ["New", "Augusta"]
    # One create per new email, updates by the id the lookup found (in the path and the body).
    for method in ("POST", "PUT"):
        assert (sum(r.method == method for r in declared_shop.requests)
                == sum(r.method == method for r in python_shop.requests))


def address(city: str, country: str, region: str | None = None, **fields) -> dict:
    return {"first_name": "Ada", "last_name": "Lovelace", "street": [f"1 {city} Road"], "city": city,
            "postcode": "10001", "country_code": country, "region": region, "telephone": "+1 555 0100",
            "default_billing": False, "default_shipping": False, **fields}


def test_addresses_are_written_as_the_python_system_writes_them_regions_resolved_ids_kept(shops):
    python_shop, declared_shop = shops
    for shop in shops:
        shop.add_customer(email="existing@example.com", firstname="Old", lastname="Name")
    # By region code (US), by region name in another case (DE), free text where the country has no list (GB).
    first = [address("New York", "US", "NY", default_billing=True), address("Munich", "DE", "bayern"),
             address("London", "GB", "Greater London", default_shipping=True, company="Analytical Engines")]
    batches = [[customer("ada@example.com", addresses=first), customer("existing@example.com", addresses=first[:1])],
               # Again with one address changed: the others keep their ids, the changed one is new.
               [customer("ada@example.com", addresses=[*first[:2], address("Leeds", "GB")])],
               # And once more, the same: nothing changes.
               [customer("ada@example.com", addresses=[*first[:2], address("Leeds", "GB")])]]
    python, declared = python_system(python_shop), declared_system(declared_shop)
    ada_after = []
    for batch in batches:
        assert python.load("customer", batch) == [None] * len(batch)
        assert declared.load("customer", batch) == [None] * len(batch)
        assert stored(declared_shop) == stored(python_shop)
        ada_after.append(next(c for c in stored(declared_shop) if c["email"] == "ada@example.com"))
    assert [(a["country_id"], a.get("region"), a.get("region_id")) for a in ada_after[0]["addresses"]] == [
        ("US", {"region_code": "NY", "region": "New York", "region_id": 43}, 43),
        ("DE", {"region_code": "BAY", "region": "Bayern", "region_id": 82}, 82),
        ("GB", {"region_code": "Greater London", "region": "Greater London", "region_id": 0}, None)]
    ids = [[a["id"] for a in ada["addresses"]] for ada in ada_after]
    assert ids[1][:2] == ids[0][:2] and ids[1][2] not in ids[0] and ids[2] == ids[1]
    assert all(a["customer_id"] == ada_after[2]["id"] for a in ada_after[2]["addresses"])
    # The directory was read once per country with regions asked for, by both systems alike.
    for shop in shops:
        assert sum("/V1/directory/countries/" in r.path for r in shop.requests) == 3


def test_a_rejected_customer_fails_alone_with_magentos_message(shops):
    _, shop = shops
    # In website 2, where the file's lookup (website 1) does not look: the create meets Magento's 400.
    shop.add_customer(email="taken@example.com", firstname="T", lastname="T", website_id=2)
    outcomes = declared_system(shop).load("customer", [customer("ok@example.com"),
                                                       customer("taken@example.com", website="2")])
    assert outcomes[0] is None
    assert isinstance(outcomes[1], FatalError) and not isinstance(outcomes[1], RetryableError)
    assert outcomes[1].status == 400
    assert str(outcomes[1]) == (f"magento2_rest answered HTTP 400 to POST {shop.base_url}/V1/customers: "
                                "A customer with the same email address already exists in an associated website.")


def test_a_run_by_reference_asks_for_the_named_emails_only_like_the_python_system(shops):
    shop, _ = shops
    seed(shop, 5)
    wanted = ["c1@example.com", "c3@example.com"]
    python_records = [r for p in python_system(shop).extract("customer", since=None, refs=wanted, page_size=10)
                      for r in p.records]
    declared_records = [r for p in declared_system(shop).extract("customer", since=None, refs=wanted, page_size=10)
                        for r in p.records]
    assert declared_records == python_records and [r["email"] for r in declared_records] == wanted
    query = dict(shop.requests[-1].query)
    assert (query["searchCriteria[filterGroups][0][filters][0][field]"],
            query["searchCriteria[filterGroups][0][filters][0][value]"],
            query["searchCriteria[filterGroups][0][filters][0][conditionType]"]) == ("email", ",".join(wanted), "in")
