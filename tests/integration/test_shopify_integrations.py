"""Shopify, a system described only in YAML (systems/shopify.yaml), end to end through real
`dramatiq pipeline.actors` workers, against the Shopify and Magento 2 emulators on loopback.

Both directions run: Shopify customers into Magento 2 (the declared system extracts: Link-header
paging and an incremental updated_at_min filter), and Magento 2 customers into Shopify (the declared
system loads: lookup by email, then update by id or create). Shopify throttles a share of requests
with 429 and ``Retry-After``; nothing is lost and nothing is written twice.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.testing.clock import Clock
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.server import Faults
from pipeline.testing.shopify import ShopifyEmulator
from tests.integration.conftest import start_run, wait_for_run

STORE, SHOP = "shopify_store", "magento2_shop"


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 11, 2, 9, 0, 0, tzinfo=dt.timezone.utc))


@pytest.fixture
def shopify(clock):
    # A fifth of requests throttled, with a Retry-After short enough to wait for in place.
    with ShopifyEmulator(clock=clock, faults=Faults(throttle_rate=0.2, retry_after_s=0, seed=3)) as emulator:
        yield emulator
    assert emulator.violations == []


@pytest.fixture
def shop(clock):
    with Magento2Emulator(clock=clock) as emulator:
        yield emulator
    assert emulator.violations == []


@pytest.fixture
def env(pipeline_env, shopify, shop):
    pipeline_env.update({k: v for k, v in shop.environ(SHOP, "oauth").items() if k.startswith("PIPELINE_MAGENTO2")})
    pipeline_env.update({k: v for k, v in shopify.environ(STORE).items() if k.startswith("PIPELINE_SHOPIFY")})
    pipeline_env.update({f"PIPELINE_{STORE.upper()}_READ_RETRIES": "10",
                         f"PIPELINE_{STORE.upper()}_READ_BACKOFF_MS": "10"})
    return pipeline_env


def run(env, runs, integration: str, *args: str):
    return wait_for_run(runs, start_run(env, integration, *args), timeout_s=90)


def counts(extracted: int, loaded: int = 0, skipped: int = 0, failed: int = 0) -> dict[str, int]:
    return {"extracted": extracted, "loaded": loaded, "skipped": skipped, "failed": failed}


def seed_shopify(shopify: ShopifyEmulator, count: int) -> list[dict]:
    return [shopify.add_customer(email=f"Buyer{n}@Example.com", first_name="Buyer", last_name=f"No {n}",
                                 tags="VIP" if n % 2 else "")
            for n in range(count)]


def test_shopify_customers_reach_magento_over_link_pages_then_only_changes_follow(env, workers, runs, shopify,
                                                                                  shop, clock):
    customers = seed_shopify(shopify, 7)
    shopify.add_customer(email="nameless@example.com")  # Magento needs names: fails, named
    env["PIPELINE_BATCH_SIZE"] = "3"  # three customers a page: three Link-header pages
    workers.start(threads=4)

    first = run(env, runs, "shopify_to_magento2_customer")

    assert first.counts == counts(8, loaded=7, failed=1)
    [failure] = runs.failures(first.run_id)
    assert failure.error == ("Invalid customer record 'nameless@example.com': first_name: Missing data for required "
                             "field.; last_name: Missing data for required field.")
    stored = {c["email"]: c for c in shop.tables.customers.values()}
    assert sorted(stored) == sorted(f"buyer{n}@example.com" for n in range(7))
    assert stored["buyer1@example.com"]["custom_attributes"] == [{"attribute_code": "shopify_tags", "value": "VIP"}]
    pages = [r for r in shopify.requests if r.path.endswith("/customers.json") and r.method == "GET"]
    assert any(dict(r.query).get("page_info") for r in pages)

    clock.advance(300)
    changed = customers[2]
    shopify.customers[changed["id"]].update(first_name="Changed", updated_at=shopify.now())
    second = run(env, runs, "shopify_to_magento2_customer")
    assert second.counts == counts(1, loaded=1)
    assert stored_names(shop)["buyer2@example.com"] == "Changed"
    assert len(shop.tables.customers) == 7


def stored_names(shop: Magento2Emulator) -> dict[str, str]:
    return {c["email"]: c["firstname"] for c in shop.tables.customers.values()}


def test_magento_customers_reach_shopify_created_once_then_updated_by_id(env, workers, runs, shopify, shop, clock):
    for n in range(6):
        shop.add_customer(email=f"m{n}@example.com", firstname="M", lastname=str(n), group_id=2)
    # Already in Shopify: found by email and updated, not created again.
    existing = shopify.add_customer(email="m0@example.com", first_name="Old", last_name="Name")
    workers.start(threads=4)

    first = run(env, runs, "magento2_to_shopify_customer")

    assert first.counts == counts(6, loaded=6)
    by_email = {c["email"]: c for c in shopify.customers.values()}
    assert sorted(by_email) == [f"m{n}@example.com" for n in range(6)]
    assert by_email["m0@example.com"]["id"] == existing["id"]
    assert by_email["m0@example.com"]["first_name"] == "M"
    assert by_email["m3@example.com"]["tags"] == "Magento, Wholesale"
    # Throttled lookups and creates were retried; each customer still exists once (lookup before create).
    assert len(shopify.customers) == 6 and shopify.counts["throttled"] > 0

    full = run(env, runs, "magento2_to_shopify_customer", "--mode", "full")
    assert full.counts == counts(6, skipped=6)
