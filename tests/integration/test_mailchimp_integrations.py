"""The shipped Magento 2 -> Mailchimp integrations, end to end through real `dramatiq pipeline.actors`.

Both emulators run in this process, on loopback; the workers reach them over HTTP through the
connections ``magento2_shop`` and ``mailchimp``, as in production. Records are checked field by
field in the Mailchimp emulator's state. Then a 5,000-member load goes through Mailchimp's batch
operations, and a run against a Mailchimp that fails a quarter of all requests loads every
record exactly once.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile

import pytest
import requests

from pipeline.books import Books
from pipeline.settings import Settings
from pipeline.systems.mailchimp import subscriber_hash
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.mailchimp import MailchimpEmulator
from pipeline.testing.clock import Clock
from pipeline.testing.server import Faults
from tests.integration.conftest import start_run, wait_for_run

SHOP, MAILCHIMP = "magento2_shop", "mailchimp"
CUSTOMERS, ORDERS = "magento2_to_mailchimp_customer", "magento2_to_mailchimp_order"
T0 = dt.datetime(2026, 11, 2, 9, 0, 0, tzinfo=dt.timezone.utc)



@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def shop(clock):
    with Magento2Emulator(clock=clock) as emulator:
        yield emulator
    assert emulator.violations == []


@pytest.fixture
def chimp_faults() -> Faults | None:
    return None


@pytest.fixture
def chimp(chimp_faults):
    with MailchimpEmulator(faults=chimp_faults) as emulator:
        yield emulator
    # Every body the workers sent declared only what Mailchimp's OpenAPI schemas know.
    assert emulator.violations == []


def connection_env(environ: dict[str, str], connection: str) -> dict[str, str]:
    # Only the connection's own variables: the emulators' stub broker is for unit tests.
    return {key: value for key, value in environ.items() if key.startswith(f"PIPELINE_{connection.upper()}_")}


@pytest.fixture
def env(pipeline_env, shop, chimp):
    pipeline_env.update(connection_env(shop.environ(SHOP, "oauth"), SHOP))
    pipeline_env.update(connection_env(chimp.environ(MAILCHIMP), MAILCHIMP))
    return pipeline_env


@pytest.fixture
def books(redis_client, env):
    return Books(redis_client, Settings.from_env(env))


def run(env, runs, integration: str, *args: str, timeout_s: float = 60):
    return wait_for_run(runs, start_run(env, integration, *args), timeout_s)


def counts(extracted: int, loaded: int = 0, skipped: int = 0, failed: int = 0) -> dict[str, int]:
    return {"extracted": extracted, "loaded": loaded, "skipped": skipped, "failed": failed}


def member(chimp: MailchimpEmulator, email: str) -> dict:
    return chimp.audience().members[subscriber_hash(email)]


# Customers -> audience members ----------------------------------------------------------------------

def magento_address(**fields) -> dict:
    address = {"firstname": "Veronica", "lastname": "Costello",
               "street": ["6146 Honey Bluff Parkway", "Suite 200"], "city": "Calder",
               "region": {"region_code": "MI", "region": "Michigan", "region_id": 33}, "region_id": 33,
               "postcode": "49628-7978", "country_id": "US", "telephone": "(555) 229-3326",
               "default_billing": True, "default_shipping": True}
    return {**address, **fields}


def test_magento_customers_become_audience_members_then_only_changes_follow(env, workers, runs, shop, chimp,
                                                                           clock):
    veronica = shop.add_customer(email="Veronica.Costello@Example.com", firstname="Veronica",
                                 lastname="Costello", dob="1985-07-14", group_id=1,
                                 addresses=[magento_address()], extension_attributes={"is_subscribed": True})
    shop.add_customer(email="jan@example.nl", firstname="Jan", lastname="de Vries", group_id=2,
                      extension_attributes={"is_subscribed": False})
    shop.add_customer(email="left@example.com", firstname="Left", lastname="Already", group_id=1)
    shop.add_customer(email="not-an-address", firstname="Bad", lastname="Email")
    chimp.add_member("left@example.com", status="unsubscribed")
    workers.start(threads=4)

    first = run(env, runs, CUSTOMERS)

    assert first.counts == counts(4, loaded=3, failed=1)
    assert [f.error for f in runs.failures(first.run_id)] == [
        "Invalid customer record 'not-an-address': email: Not a valid email address."]
    stored = member(chimp, "veronica.costello@example.com")
    assert (stored["email_address"], stored["status"]) == ("veronica.costello@example.com", "pending")
    assert stored["merge_fields"] == {
        "FNAME": "Veronica", "LNAME": "Costello", "PHONE": "(555) 229-3326", "BIRTHDAY": "07/14",
        "ADDRESS": {"addr1": "6146 Honey Bluff Parkway", "addr2": "Suite 200", "city": "Calder",
                    "state": "MI", "zip": "49628-7978", "country": "US"}}
    assert [tag["name"] for tag in stored["tags"]] == ["Magento General"]
    jan = member(chimp, "jan@example.nl")
    assert (jan["status"], jan["merge_fields"]["LNAME"], jan["merge_fields"]["ADDRESS"]) == (
        "transactional", "de Vries", "")  # declined the newsletter: no opt-in mail
    assert [tag["name"] for tag in jan["tags"]] == ["Magento Wholesale"]
    assert member(chimp, "left@example.com")["status"] == "unsubscribed"  # never re-subscribed

    # Veronica marries; the next incremental run reads only her and updates the same member.
    clock.advance(600)
    veronica.update(lastname="Smith", updated_at=shop.now())
    second = run(env, runs, CUSTOMERS)

    assert second.counts == counts(1, loaded=1)
    assert member(chimp, "veronica.costello@example.com")["merge_fields"]["LNAME"] == "Smith"
    assert set(chimp.audience().creations.values()) == {1}


# Orders -> store orders -----------------------------------------------------------------------------

def test_magento_orders_become_store_orders_with_their_customer_and_products(env, workers, runs, shop, chimp,
                                                                            clock):
    chimp.add_product("TEE", title="Red Tee (from the catalogue push)", price=15)
    tee_line = {"sku": "TEE", "name": "Tee", "qty_ordered": 2, "price": 15, "discount_amount": 3}
    tee = shop.add_order(customer_email="Jane.Doe@Example.com", status="processing", items=[tee_line])
    shop.add_order(customer_email="sam@example.com", status="complete",
                   items=[{"sku": "SHIRT", "name": "Shirt", "qty_ordered": 1, "price": 20,
                           "child": {"name": "Shirt M"}}])
    workers.start(threads=4)

    first = run(env, runs, ORDERS)

    assert first.counts == counts(2, loaded=2)
    store = chimp.store()
    order = store.orders[tee["increment_id"]]
    jane = subscriber_hash("jane.doe@example.com")
    assert order["customer"]["id"] == jane
    names = ("email_address", "opt_in_status", "first_name", "last_name")
    assert {name: store.customers[jane][name] for name in names} == {
        "email_address": "jane.doe@example.com", "opt_in_status": False, "first_name": "Jane",
        "last_name": "Doe"}
    assert (order["currency_code"], order["order_total"], order["shipping_total"], order["tax_total"]) == (
        "USD", 35.0, 5.0, 0.0)
    assert (order["financial_status"], "fulfillment_status" in order) == ("paid", False)
    assert order["processed_at_foreign"] == "2026-11-02T09:00:00+00:00"
    assert order["lines"] == [{"id": "TEE", "product_id": "TEE", "product_variant_id": "TEE", "quantity": 2,
                               "price": 15.0, "discount": 3.0}]
    assert order["billing_address"] == {"name": "Jane Doe", "address1": "123 Oak Ave", "city": "Purchase",
                                        "province": "NY", "postal_code": "10577", "country_code": "US",
                                        "phone": "512-555-1111"}
    sam = store.orders[f"{int(tee['increment_id']) + 1:09d}"]
    assert (sam["financial_status"], sam["fulfillment_status"]) == ("paid", "shipped")
    assert [line["product_id"] for line in sam["lines"]] == ["SHIRT"]  # the configurable's child left out
    # A product the catalogue push made is kept; a missing one is made from the line.
    assert store.products["TEE"]["title"] == "Red Tee (from the catalogue push)"
    assert store.products["SHIRT"]["variants"] == [
        {"id": "SHIRT", "title": "Shirt", "sku": "SHIRT", "price": 20.0}]

    # Jane's order ships: the next run PATCHes it, nothing is created twice.
    clock.advance(600)
    tee.update(status="complete", updated_at=shop.now())
    second = run(env, runs, ORDERS)

    assert second.counts == counts(1, loaded=1)
    assert store.orders[tee["increment_id"]]["fulfillment_status"] == "shipped"
    assert set(store.creations.values()) == {1}


# 5,000 members through batch operations ------------------------------------------------------------

def batch_results(chimp: MailchimpEmulator, batch_id: str) -> dict[str, int]:
    """Operation id -> status code, read from the batch's archive as a client would."""
    url = chimp.batches.batches[batch_id].response_body_url
    results = {}
    with tarfile.open(fileobj=io.BytesIO(requests.get(url, timeout=10).content), mode="r:gz") as tar:
        for file in tar.getmembers():
            results.update({r["operation_id"]: r["status_code"] for r in json.load(tar.extractfile(file))})
    return results


def test_five_thousand_members_go_through_batches_and_each_gets_its_own_operations_result(
        env, workers, runs, books, shop, chimp):
    emails = [f"c{n:05d}@example.com" for n in range(5000)]
    for n, email in enumerate(emails):
        shop.add_customer(email=email, firstname="C", lastname=str(n), group_id=1 + n % 3)
    refused = emails[3::700]  # Mailchimp refuses these addresses; our own validation accepts them
    chimp.reject_email(*refused)
    env.update({"PIPELINE_BATCH_SIZE": "1000"})  # a load of 1,000 is over the threshold of 500
    workers.start(threads=4)

    summary = run(env, runs, CUSTOMERS, timeout_s=120)

    assert summary.counts == counts(5000, loaded=5000 - len(refused), failed=len(refused))
    batches = chimp.batches.batches
    assert len(batches) == 10  # per load message: the members, then their tags
    assert sum(1 for r in chimp.requests if r.method == "PUT") == 0  # nothing sent one by one
    statuses = {op_id: status for batch_id in batches
                for op_id, status in batch_results(chimp, batch_id).items()}
    assert {op_id for op_id, status in statuses.items() if status != 200 and status != 204} == set(refused)
    for email in refused:
        batch_id = next(b for b, batch in batches.items()
                        if any(op["operation_id"] == email for op in batch.operations))
        letter = books.dead_letters.get(CUSTOMERS, email)
        assert (letter.failure.stage, letter.failure.error_type) == ("load", "FatalError")
        assert letter.failure.error == (
            f"mailchimp answered HTTP 400 to PUT /lists/57afe96172/members/{subscriber_hash(email)} in batch "
            f"{batch_id}: Invalid Resource: {email} looks fake or invalid, please enter a real email "
            "address.")
    members = chimp.audience().members
    assert len(members) == 5000 - len(refused)
    assert member(chimp, "c04999@example.com")["merge_fields"]["LNAME"] == "4999"
    assert [tag["name"] for tag in member(chimp, "c00001@example.com")["tags"]] == ["Magento Wholesale"]


# Fault injection ---------------------------------------------------------------------------------

@pytest.mark.parametrize("chimp_faults", [Faults(error_rate=0.2, throttle_rate=0.05, drop_rate=0.02,
                                                 retry_after_s=0, seed=20261130)])
@pytest.mark.parametrize("threshold", ["500", "60"], ids=["direct", "batched"])
def test_a_run_against_a_failing_mailchimp_loads_every_member_exactly_once(env, workers, runs, shop, chimp,
                                                                           threshold):
    emails = [f"f{n:04d}@example.com" for n in range(300)]
    for n, email in enumerate(emails):
        shop.add_customer(email=email, firstname="F", lastname=str(n), group_id=1)
    # Loads of 100: direct calls under a threshold of 500; batches over one of 60, where failed
    # operations (a 5xx result in the archive) are sent again alone, directly.
    env.update({"PIPELINE_BATCH_SIZE": "100", "PIPELINE_MAILCHIMP_BATCH_THRESHOLD": threshold,
                "PIPELINE_MAX_RETRIES": "30", "PIPELINE_RETRY_MAX_BACKOFF_MS": "400"})
    workers.start(threads=8)

    summary = run(env, runs, CUSTOMERS, timeout_s=120)

    assert summary.counts == counts(300, loaded=300)
    audience = chimp.audience()
    assert sorted(m["email_address"] for m in audience.members.values()) == emails
    assert set(audience.creations.values()) == {1}  # every member created exactly once
    assert all(m["merge_fields"]["LNAME"] == str(n) and [t["name"] for t in m["tags"]] == ["Magento General"]
               for n, m in enumerate(member(chimp, email) for email in emails))
    faults = chimp.counts
    assert faults["errors"] > 50 and faults["throttled"] > 0 and faults["dropped"] > 0
    assert faults["over_concurrency"] == 0
