"""Unsubscriptions carried both ways: from the shop to Mailchimp, and from Mailchimp back to the shop.

Through real `dramatiq pipeline.actors` workers, Magento 2 and Mailchimp emulators on loopback.
"""

from __future__ import annotations

import json

from pipeline.systems.mailchimp import subscriber_hash
from tests.integration.conftest import run_cli
from tests.integration.test_mailchimp_integrations import (  # noqa: F401 (fixtures)
    CUSTOMERS, chimp, chimp_faults, clock, counts, env, member, run, shop)

SUBSCRIPTIONS = "mailchimp_to_magento2_subscription"


def customer_of(shop, email: str) -> dict:
    return next(customer for customer in shop.tables.customers.values() if customer["email"] == email)


def test_an_unsubscription_in_the_shop_reaches_mailchimp_and_one_in_mailchimp_reaches_the_shop_once_each(
        env, workers, runs, shop, chimp, clock):
    for email, first, subscribed in (("ada@example.com", "Ada", True), ("grace@example.com", "Grace", True),
                                     ("alan@example.com", "Alan", False)):
        shop.add_customer(email=email, firstname=first, lastname="Test", group_id=1,
                          extension_attributes={"is_subscribed": subscribed})
    chimp.add_member("news@example.com")  # a newsletter-only contact, no shop account
    workers.start(threads=4)
    assert run(env, runs, CUSTOMERS).counts == counts(3, loaded=3)
    for email in ("ada@example.com", "grace@example.com"):
        member(chimp, email)["status"] = "subscribed"  # both confirmed Mailchimp's opt-in mail
    assert member(chimp, "alan@example.com")["status"] == "transactional"

    # Ada leaves the newsletter in the shop: her member is unsubscribed, once.
    clock.advance(600)
    customer_of(shop, "ada@example.com").update(extension_attributes={"is_subscribed": False},
                                                updated_at=shop.now())
    pushed = run(env, runs, CUSTOMERS)
    assert (pushed.counts, pushed.events) == (counts(1), {"unsubscribed": 1})
    assert member(chimp, "ada@example.com")["status"] == "unsubscribed"
    writes = chimp.audience().writes[subscriber_hash("ada@example.com")]
    again = run(env, runs, CUSTOMERS, "--mode", "full", "--force")
    assert (again.counts, again.events) == (counts(3, loaded=3), {})
    assert chimp.audience().writes[subscriber_hash("ada@example.com")] == writes
    assert member(chimp, "alan@example.com")["status"] == "transactional"  # never subscribed: left alone

    # Grace unsubscribes from a campaign mail: the shop stops showing her as subscribed, once.
    member(chimp, "grace@example.com").update(status="unsubscribed", last_changed=chimp.now())
    pulled = run(env, runs, SUBSCRIPTIONS)
    assert (pulled.counts, pulled.events) == (counts(4, loaded=3), {"unsubscribed": 1})
    assert customer_of(shop, "grace@example.com")["extension_attributes"]["is_subscribed"] is False
    assert customer_of(shop, "ada@example.com")["extension_attributes"]["is_subscribed"] is False
    assert customer_of(shop, "alan@example.com")["extension_attributes"]["is_subscribed"] is False
    assert [c["email"] for c in shop.tables.customers.values()].count("news@example.com") == 0
    entry = json.loads(run_cli(env, "entity", SUBSCRIPTIONS, "grace@example.com").stdout)
    assert entry["last"]["status"] == "unsubscribed"
    repeated = run(env, runs, SUBSCRIPTIONS, "--mode", "full", "--force")
    assert (repeated.counts, repeated.events) == (counts(4, loaded=4), {})

    # Grace's changed account goes back to Mailchimp: no event, no loop, her member stays unsubscribed.
    clock.advance(600)
    echoed = run(env, runs, CUSTOMERS)
    assert (echoed.counts, echoed.events) == (counts(1, loaded=1), {})
    assert member(chimp, "grace@example.com")["status"] == "unsubscribed"
