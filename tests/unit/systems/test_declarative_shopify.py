"""systems/shopify.yaml against the Shopify emulator over loopback: Link-header paging, the access
token header, 429 with Retry-After, {"errors": ...} messages, lookup-before-create by email."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from pathlib import Path

import pytest

from pipeline.errors import AuthError, FatalError, RetryableError
from pipeline.systems.base import LoadItem
from pipeline.systems.declarative import DeclaredSystem, load_system_file
from pipeline.testing.clock import Clock
from pipeline.testing.server import Faults
from pipeline.testing.shopify import ShopifyEmulator, shopify_emulator  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[3]
SPEC = load_system_file(ROOT / "systems" / "shopify.yaml")


@pytest.fixture
def shop(shopify_emulator):  # noqa: F811 (the imported fixture)
    shopify_emulator.clock = Clock("2024-05-01T10:00:00")
    yield shopify_emulator
    assert shopify_emulator.violations == []


def system(emulator: ShopifyEmulator, **environ: str) -> DeclaredSystem:
    return DeclaredSystem.build(SPEC, "shopify", {**emulator.environ("shopify"), **environ})


def extract_all(system_: DeclaredSystem, since: str | None = None, page_size: int = 2):
    records, cursor = [], None
    for page in islice(system_.extract("customer", since=since, refs=None, page_size=page_size), 50):
        records += page.records
        cursor = page.cursor or cursor
    return records, cursor


def seed(shop: ShopifyEmulator, count: int) -> list[dict]:
    return [shop.add_customer(email=f"c{n}@example.com", first_name="C", last_name=str(n)) for n in range(count)]


def test_pages_follow_the_link_header_with_only_its_page_info(shop):
    customers = seed(shop, 5)
    records, cursor = extract_all(system(shop))
    assert [r["id"] for r in records] == [c["id"] for c in customers]
    lists = [r for r in shop.requests if r.path.endswith("/customers.json")]
    assert [sorted(name for name, _ in r.query) for r in lists] == [["limit"], ["limit", "page_info"],
                                                                   ["limit", "page_info"]]
    assert cursor is not None and '"updated_at":"2024-05-01T10:00:00+00:00"' in cursor


def test_an_incremental_pull_filters_by_updated_at_min_in_the_shops_time_zone(shop):
    seed(shop, 3)
    _, cursor = extract_all(system(shop))
    shop.clock.advance(60)
    changed = shop.add_customer(email="late@example.com", first_name="L", last_name="L")
    records, next_cursor = extract_all(system(shop), cursor)
    assert [r["id"] for r in records] == [changed["id"]]
    filtered = [dict(r.query)["updated_at_min"] for r in shop.requests if "updated_at_min" in dict(r.query)]
    assert filtered == ["2024-05-01T10:00:00+00:00"]
    assert changed["updated_at"] == "2024-05-01T05:01:00-05:00"
    assert extract_all(system(shop), next_cursor)[0] == []


def item(email: str, **data) -> LoadItem:
    return LoadItem(email, {"email": email, "first_name": "Ada", "last_name": "Lovelace", **data}, {"tags": ["VIP"]})


def test_customers_are_created_then_updated_by_the_id_their_email_finds(shop):
    shopify = system(shop)
    assert shopify.load("customer", [item("ada@example.com"), item("bob@example.com")]) == [None, None]
    assert shopify.load("customer", [item("ada@example.com", first_name="Augusta")]) == [None]
    assert sorted((c["email"], c["first_name"], c["tags"]) for c in shop.customers.values()) == [
        ("ada@example.com", "Augusta", "VIP"), ("bob@example.com", "Ada", "VIP")]
    writes = [(r.method, r.path.rsplit("/", 1)[-1]) for r in shop.requests if r.method != "GET"]
    ada = next(c for c in shop.customers.values() if c["email"] == "ada@example.com")
    assert writes == [("POST", "customers.json"), ("POST", "customers.json"), ("PUT", f"{ada['id']}.json")]
    assert shop.requests[-1].json() == {"customer": {"id": ada["id"], "email": "ada@example.com",
                                                     "first_name": "Augusta", "last_name": "Lovelace",
                                                     "tags": "VIP"}}


def test_a_rejected_customer_fails_alone_with_shopifys_errors(shop):
    outcomes = system(shop).load("customer", [item("ok@example.com"), item("not-an-email")])
    assert outcomes[0] is None
    assert isinstance(outcomes[1], FatalError) and outcomes[1].status == 422
    assert str(outcomes[1]).endswith("/admin/api/2024-01/customers.json: email: is invalid")


def test_a_phone_another_customer_has_is_refused_as_shopify_refuses_it(shop):
    # The first address's phone is the customer's phone, and Shopify keeps each phone to one customer.
    address = {"telephone": "+44 20 7946 0001"}
    outcomes = system(shop).load("customer", [item("ada@example.com", addresses=[address]),
                                              item("byron@example.com", addresses=[address])])
    assert outcomes[0] is None
    assert isinstance(outcomes[1], FatalError) and outcomes[1].status == 422
    assert str(outcomes[1]).endswith("/admin/api/2024-01/customers.json: phone: has already been taken")
    # The customer that has the phone keeps it through its own updates.
    assert system(shop).load("customer", [item("ada@example.com", first_name="Augusta", addresses=[address])]) == [None]


def test_a_wrong_token_is_an_auth_error_that_never_shows_the_token(shop):
    outcomes = system(shop, PIPELINE_SHOPIFY_TOKEN="shpat_wrong_secret_value").load("customer", [item("a@example.com")])
    assert isinstance(outcomes[0], AuthError)
    assert "Invalid API key or access token" in str(outcomes[0])
    assert "shpat_wrong_secret_value" not in str(outcomes[0])


def test_throttled_reads_wait_for_retry_after_and_the_pull_completes():
    with ShopifyEmulator(faults=Faults(throttle_rate=0.4, retry_after_s=0, seed=7)) as shop:
        customers = seed(shop, 6)
        records, _ = extract_all(system(shop, PIPELINE_SHOPIFY_READ_RETRIES="8"))
        assert [r["id"] for r in records] == [c["id"] for c in customers]
        assert shop.counts["throttled"] > 0


def test_a_throttled_load_fails_retryable_with_the_servers_retry_after():
    with ShopifyEmulator(faults=Faults(retry_after_s=2)) as shop:
        shop.faults.throttle_rate = 1.0
        (outcome,) = system(shop, PIPELINE_SHOPIFY_READ_RETRIES="0").load("customer", [item("a@example.com")])
        assert isinstance(outcome, RetryableError) and outcome.status == 429
        assert outcome.retry_after == 2.0
        assert str(outcome).endswith(": Exceeded 2 calls per second for api client. Reduce request rates to "
                                     "resume uninterrupted service.")


def test_the_leaky_bucket_is_never_overflowed_by_the_files_window():
    # A bucket of 4 leaking 2 per second, and a file allowing 2 requests per second: no 429 ever (the
    # window counts whole seconds, so 2 may come at the end of one and 2 at the start of the next).
    spec = load_system_file(ROOT / "systems" / "shopify.yaml")
    spec = replace(SPEC, limits=replace(SPEC.limits, requests=2, window_s=1, read_retries=0))
    with ShopifyEmulator(bucket_size=4, leak_per_s=2.0) as shop:
        seed(shop, 6)
        environ = {**shop.environ("shopify"), "PIPELINE_NAMESPACE": "test-window-" + shop.token[-8:]}
        records, _ = extract_all(DeclaredSystem.build(spec, "shopify", environ), page_size=1)
        assert len(records) == 6 and shop.counts["throttled"] == 0


def test_the_emulator_refuses_and_records_a_body_shopify_would_not_take():
    import requests

    with ShopifyEmulator() as shop:
        headers = {"X-Shopify-Access-Token": shop.token}
        wrong = requests.post(f"{shop.base_url}/customers.json", json={"customer": {"email": "a@example.com",
                                                                                    "tags": ["VIP"]}},
                              headers=headers, timeout=5)
        assert (wrong.status_code, wrong.json()) == (422, {"errors": {"tags": ["is invalid"]}})
        missing = requests.post(f"{shop.base_url}/customers.json", json={"email": "a@example.com"}, headers=headers,
                                timeout=5)
        assert (missing.status_code, missing.json()) == (
            400, {"errors": {"customer": "Required parameter missing or invalid"}})
        assert shop.violations == ["POST /customers.json: customer fields of the wrong type ['tags']."]


def test_a_run_by_reference_filters_the_listing_by_the_files_key(shop):
    seed(shop, 4)
    records = [r for p in system(shop).extract("customer", since=None, refs=["c2@example.com"], page_size=2)
               for r in p.records]
    assert [r["email"] for r in records] == ["c2@example.com"]
