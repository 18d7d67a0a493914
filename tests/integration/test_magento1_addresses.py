"""NetSuite customers into Magento 1 with their address books, written once however often delivered.

Through real `dramatiq pipeline.actors` workers, NetSuite and Magento 1 emulators on loopback.
"""

from __future__ import annotations

from tests.integration.test_magento1_integrations import (  # noqa: F401 (fixtures)
    chimp, connect, counts, erp, run, shop)
from tests.integration.test_netsuite_magento2_integrations import ns_address

import pytest

CUSTOMERS = "netsuite_to_magento1_customer"


@pytest.fixture
def env(pipeline_env, shop, erp):
    return connect(pipeline_env, shop, erp)


def book(shop, email: str) -> list[tuple]:
    customer = next(c for c in shop.tables.customers.values() if c["email"] == email)
    return [(a["firstname"], a["lastname"], a["street"], a["city"], a["postcode"], a["country_id"], a.get("region"),
             a.get("telephone"), customer.get("default_billing") == a["entity_id"],
             customer.get("default_shipping") == a["entity_id"]) for a in customer["addresses"]]


def writes(shop) -> int:
    return sum(len(shop.calls_of(f"customer_address.{method}")) for method in ("create", "update", "delete"))


def test_netsuite_customers_reach_magento1_with_their_addresses_written_once_and_kept_in_step(
        env, workers, runs, erp, shop):
    store = erp.store
    ada = store.add("customer", {
        "isPerson": True, "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
        "addressBook": {"items": [
            ns_address("Ada Lovelace", "12 Analytical Street", "London", "W1T 2AB", "GB", phone="+44 20 7946 0101",
                       shipping=False),
            ns_address("Ada Lovelace", "1 Engine Lane", "Leeds", "LS1 4AP", "GB", state="West Yorkshire",
                       phone="+44 113 496 0000", billing=False)]}})
    store.add("customer", {"isPerson": True, "firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com"})
    store.add("customer", {"isPerson": True, "firstName": "Alan", "lastName": "Turing", "email": "alan@example.com",
                           "addressBook": {"items": [ns_address("Alan Turing", "350 Fifth Avenue", "New York", "10118",
                                                                "US", state="NY", phone="212-555-0147")]}})
    workers.start(threads=4)

    first = run(env, runs, CUSTOMERS)

    assert first.counts == counts(3, loaded=2, failed=1)
    assert book(shop, "ada@example.com") == [
        ("Ada", "Lovelace", "12 Analytical Street", "London", "W1T 2AB", "GB", None, "+44 20 7946 0101", True, False),
        ("Ada", "Lovelace", "1 Engine Lane", "Leeds", "LS1 4AP", "GB", "West Yorkshire", "+44 113 496 0000", False,
         True)]
    assert book(shop, "grace@example.com") == []
    # The region goes by name only; Magento 1 wants a region id for a US address and refuses it, named.
    [failure] = runs.failures(first.run_id)
    assert (failure.key, failure.error) == ("alan@example.com", (
        "Address 1 of customer 'alan@example.com' was not written to Magento 1: Magento 1 answered "
        "customer_address.create with fault 100 (data_invalid): Please enter the state/province."))
    assert book(shop, "alan@example.com") == []  # the customer is written; the address is not

    # Delivered again by force: every address matches, nothing is written twice (Alan's is tried again).
    before = writes(shop)
    again = run(env, runs, CUSTOMERS, "--mode", "full", "--force")
    assert again.counts == counts(3, loaded=2, failed=1)
    assert writes(shop) == before + 1 and len(book(shop, "ada@example.com")) == 2

    # Ada moves out of Leeds into Manchester and gets a new phone in London: one update, one create, one delete.
    store.clock.advance()
    store.update("customer", ada, {"addressBook": {"items": [
        ns_address("Ada Lovelace", "12 Analytical Street", "London", "W1T 2AB", "GB", phone="+44 20 7946 0999",
                   shipping=False),
        ns_address("Ada Lovelace", "3 Difference Road", "Manchester", "M1 1AE", "GB", phone="+44 161 496 0000",
                   billing=False)]}}, replace=["addressBook"])
    london = next(a for a in shop.tables.customers[1]["addresses"] if a["city"] == "London")["entity_id"]
    changed = run(env, runs, CUSTOMERS)

    assert changed.counts == counts(1, loaded=1)
    assert book(shop, "ada@example.com") == [
        ("Ada", "Lovelace", "12 Analytical Street", "London", "W1T 2AB", "GB", None, "+44 20 7946 0999", True, False),
        ("Ada", "Lovelace", "3 Difference Road", "Manchester", "M1 1AE", "GB", None, "+44 161 496 0000", False, True)]
    assert london in [args[0] for args in shop.calls_of("customer_address.update")]  # kept its id
    assert (len(shop.calls_of("customer_address.create")), len(shop.calls_of("customer_address.update")),
            len(shop.calls_of("customer_address.delete"))) == (3 + 2, 1, 1)  # and Alan's 2 refused
