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


def region_id(shop, email: str) -> list:
    customer = next(c for c in shop.tables.customers.values() if c["email"] == email)
    return [a.get("region_id") for a in customer["addresses"]]


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
    store.add("customer", {"isPerson": True, "firstName": "Emmy", "lastName": "Noether", "email": "emmy@example.com",
                           "addressBook": {"items": [ns_address("Emmy Noether", "Marienplatz 1", "München", "80331",
                                                                "DE", state="bayern", phone="+49 89 0000")]}})
    store.add("customer", {"isPerson": True, "firstName": "Lucy", "lastName": "Pevensie", "email": "lucy@example.com",
                           "addressBook": {"items": [ns_address("Lucy Pevensie", "1 Lamp Post", "Cair Paravel", "00001",
                                                                "US", state="Narnia", phone="555-0100")]}})
    workers.start(threads=4)

    first = run(env, runs, CUSTOMERS)

    assert first.counts == counts(5, loaded=4, failed=1)
    assert book(shop, "ada@example.com") == [
        ("Ada", "Lovelace", "12 Analytical Street", "London", "W1T 2AB", "GB", None, "+44 20 7946 0101", True, False),
        ("Ada", "Lovelace", "1 Engine Lane", "Leeds", "LS1 4AP", "GB", "West Yorkshire", "+44 113 496 0000", False,
         True)]
    assert book(shop, "grace@example.com") == []
    # US and German states resolve to the shop's region ids (by code, by name in any case); GB's stays free text.
    assert book(shop, "alan@example.com") == [
        ("Alan", "Turing", "350 Fifth Avenue", "New York", "10118", "US", "New York", "212-555-0147", True, True)]
    assert book(shop, "emmy@example.com") == [
        ("Emmy", "Noether", "Marienplatz 1", "München", "80331", "DE", "Bayern", "+49 89 0000", True, True)]
    assert [region_id(shop, email) for email in ("alan@example.com", "emmy@example.com", "ada@example.com")] == [
        ["43"], ["82"], [None, None]]
    # A state the directory does not list for a country that requires one: that record fails alone, named.
    [failure] = runs.failures(first.run_id)
    assert (failure.key, failure.error) == ("lucy@example.com", (
        "Address 1 of customer 'lucy@example.com' was not written to Magento 1: region 'Narnia' is not one of the "
        "shop's regions of US (directory_region.list); Magento 1 answered customer_address.create with fault 100 "
        "(data_invalid): Please enter the state/province."))
    assert book(shop, "lucy@example.com") == []  # the customer is written; the address is not
    assert {args[0] for args in shop.calls_of("directory_region.list")} == {"GB", "US", "DE"}

    # Delivered again by force: every address matches, nothing is written twice (Lucy's is tried again).
    before = writes(shop)
    again = run(env, runs, CUSTOMERS, "--mode", "full", "--force")
    assert again.counts == counts(5, loaded=4, failed=1)
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
            len(shop.calls_of("customer_address.delete"))) == (5 + 2, 1, 1)  # and Lucy's 2 refused
