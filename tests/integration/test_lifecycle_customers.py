"""Customers deleted in the shop are archived in Mailchimp; an erasure request deletes them for good.

Through real `dramatiq pipeline.actors` workers, Magento 2 and Mailchimp emulators on loopback.
"""

from __future__ import annotations

import json

from pipeline.systems.mailchimp import subscriber_hash
from tests.integration.conftest import run_cli, wait_for_run
from tests.integration.test_lifecycle_missing import opt_in
from tests.integration.test_mailchimp_integrations import (  # noqa: F401 (fixtures)
    CUSTOMERS, chimp, chimp_faults, clock, counts, env, member, run, shop)


def test_a_customer_deleted_in_the_shop_is_archived_and_an_erasure_deletes_the_member_for_good(
        env, workers, runs, shop, chimp):
    opt_in(env, CUSTOMERS, "{on_missing: delete, missing_limit_pct: 50}")
    for email, first in (("ada@example.com", "Ada"), ("grace@example.com", "Grace"), ("alan@example.com", "Alan")):
        shop.add_customer(email=email, firstname=first, lastname="Test", group_id=1,
                          extension_attributes={"is_subscribed": True})
    workers.start(threads=4)
    assert run(env, runs, CUSTOMERS).counts == counts(3, loaded=3)

    grace = next(c for c in shop.tables.customers.values() if c["email"] == "grace@example.com")
    del shop.tables.customers[grace["id"]]  # deleted in the shop: a pull of changes cannot see it
    full = run(env, runs, CUSTOMERS, "--mode", "full")

    assert (full.counts, full.missing, full.events) == (counts(2, skipped=2), 1, {"archived": 1})
    assert member(chimp, "grace@example.com")["status"] == "archived"
    entry = json.loads(run_cli(env, "entity", CUSTOMERS, "grace@example.com").stdout)
    assert (entry["last"]["status"], entry["last"]["error"]) == (
        "archived", f"Member 'grace@example.com' archived in audience {chimp.list_id!r}.")
    again = run(env, runs, CUSTOMERS, "--mode", "full")
    assert (again.missing, again.events) == (0, {})  # archived once

    # Ada asks to be forgotten: her member is deleted permanently, once.
    output = run_cli(env, "erase", CUSTOMERS, "ada@example.com").stdout
    erased = runs.get(output.split()[1])
    assert (erased.counts, erased.events, erased.mode) == (counts(1), {"deleted": 1}, "erase")
    assert subscriber_hash("ada@example.com") not in chimp.audience().members
    assert subscriber_hash("ada@example.com") in chimp.forgotten[chimp.list_id]
    assert "extracted 1, loaded 0, skipped 0, failed 0, deleted 1." in output
    repeated = wait_for_run(runs, run_cli(env, "erase", CUSTOMERS, "ada@example.com", "--no-wait").stdout.split()[1])
    assert (repeated.counts, repeated.events) == (counts(1, skipped=1), {})
    assert json.loads(run_cli(env, "entity", CUSTOMERS, "ada@example.com").stdout)["loaded"]["hash"] == "missing:erase"
    assert member(chimp, "alan@example.com")["status"] == "pending"


def test_a_customer_anonymised_in_the_shop_has_the_member_of_their_real_address_deleted_for_good(
        env, workers, runs, shop, chimp, clock):
    ada = shop.add_customer(email="ada@example.com", firstname="Ada", lastname="Lovelace", group_id=1,
                            extension_attributes={"is_subscribed": True})
    shop.add_customer(email="grace@example.com", firstname="Grace", lastname="Hopper", group_id=1)
    workers.start(threads=4)
    assert run(env, runs, CUSTOMERS).counts == counts(2, loaded=2)

    # The shop's GDPR module overwrites Ada's personal data: the record no longer has her address.
    clock.advance(600)
    anonymous = f"anonymised-{ada['id']}@example.invalid"
    ada.update(email=anonymous, firstname="Anonymised", lastname="Anonymised", updated_at=shop.now(),
               custom_attributes=[{"attribute_code": "anonymised", "value": "1"}])
    erased = run(env, runs, CUSTOMERS)

    assert (erased.counts, erased.events) == (counts(1), {"deleted": 1})
    assert subscriber_hash("ada@example.com") in chimp.forgotten[chimp.list_id]
    assert subscriber_hash("ada@example.com") not in chimp.audience().members
    assert subscriber_hash(anonymous) not in chimp.audience().members  # no member made of the made-up data
    entry = json.loads(run_cli(env, "entity", CUSTOMERS, anonymous).stdout)
    assert (entry["last"]["status"], entry["last"]["error"]) == (
        "deleted", f"Member 'ada@example.com' permanently deleted from audience {chimp.list_id!r}.")
    assert run(env, runs, CUSTOMERS).counts == counts(0)
    assert member(chimp, "grace@example.com")["merge_fields"]["FNAME"] == "Grace"


def test_a_customer_whose_email_changed_in_the_shop_keeps_one_member_moved_to_the_new_address(
        env, workers, runs, shop, chimp, clock):
    ada = shop.add_customer(email="ada@example.com", firstname="Ada", lastname="Lovelace", group_id=1,
                            extension_attributes={"is_subscribed": True})
    grace = shop.add_customer(email="grace@example.com", firstname="Grace", lastname="Hopper", group_id=1)
    workers.start(threads=4)
    assert run(env, runs, CUSTOMERS).counts == counts(2, loaded=2)
    before = dict(member(chimp, "ada@example.com"))
    # Grace's new address is already a member of its own (signed up on a form before she changed it).
    chimp.audience().upsert("hopper@example.com", {"email_address": "hopper@example.com",
                                                   "status_if_new": "subscribed"}, shop.now())

    clock.advance(600)
    ada.update(email="ada.king@example.com", lastname="King", updated_at=shop.now())
    grace.update(email="hopper@example.com", updated_at=shop.now())
    changed = run(env, runs, CUSTOMERS)

    # Ada's member now has her new address: the same member (history, status), not a second one.
    assert changed.counts == counts(2, loaded=1, failed=1)
    assert subscriber_hash("ada@example.com") not in chimp.audience().members
    moved = member(chimp, "ada.king@example.com")
    assert (moved["unique_email_id"], moved["status"], moved["merge_fields"]["LNAME"]) == (
        before["unique_email_id"], before["status"], "King")
    patches = [r for r in chimp.requests if r.method == "PATCH" and "/members/" in r.path]
    assert [(r.path.rsplit("/", 1)[1], r.json()) for r in patches] == [
        (subscriber_hash("ada@example.com"), {"email_address": "ada.king@example.com"}),
        (subscriber_hash("grace@example.com"), {"email_address": "hopper@example.com"})]
    assert chimp.audience().creations[subscriber_hash("ada.king@example.com")] == 0
    # Grace's fails alone, naming both addresses; neither member is touched.
    [failure] = runs.failures(changed.run_id)
    assert (failure.key, failure.error) == ("hopper@example.com", (
        f"Customer 'hopper@example.com' changed email from 'grace@example.com', but audience {chimp.list_id!r} "
        "already has a member 'hopper@example.com': the member 'grace@example.com' was left in place. Merge or "
        "archive one of them in Mailchimp, then load the customer again."))
    assert member(chimp, "grace@example.com")["merge_fields"]["FNAME"] == "Grace"

    # Delivered again by force: the move is not repeated, and no member is created.
    members = len(chimp.audience().members)
    again = run(env, runs, CUSTOMERS, "--mode", "full", "--force")
    assert again.counts == counts(2, loaded=1, failed=1)
    assert len([r for r in chimp.requests if r.method == "PATCH" and "/members/" in r.path]) == 3  # Grace's again
    assert len(chimp.audience().members) == members
    assert member(chimp, "ada.king@example.com")["unique_email_id"] == before["unique_email_id"]
