"""The Mailchimp system against its emulator, over real loopback HTTP (our client is never patched).

Every test's emulator must end without violations: each body our client sent declared only what
the vendored OpenAPI schemas know.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import tarfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path

import pytest
import requests

from pipeline.errors import AuthError, ConfigError, FatalError, RecordError, RetryableError
from pipeline.systems import SYSTEMS, build_system
from pipeline.systems.base import LoadItem
from pipeline.systems.mailchimp import MailchimpSystem, subscriber_hash
from pipeline.systems.mailchimp.batches import read_results
from pipeline.systems.mailchimp.config import data_center
from pipeline.systems.mailchimp.operations import Operation
from pipeline.testing.mailchimp import MailchimpEmulator, mailchimp_emulator, schemas  # noqa: F401 (a fixture)
from pipeline.testing.server import Faults
from pipeline.testing.clock import Clock

#: The emulators give a connection's variables only; the concurrency budget stays in process.
STUB_BROKER = {"PIPELINE_BROKER_URL": "stub://"}

ROOT = Path(__file__).resolve().parents[3]
OFFICIAL_SPEC = ROOT.parent / "shared" / "specs" / "mailchimp-marketing-3.0.55.openapi.yaml"
KEY = "0123456789abcdef0123456789abcdef-us6"
MAX_PAGES = 50


@pytest.fixture
def mailchimp(mailchimp_emulator):  # noqa: F811 (the imported fixture)
    yield mailchimp_emulator
    assert mailchimp_emulator.violations == []


def system(emulator: MailchimpEmulator, **settings: object) -> MailchimpSystem:
    # A namespace of its own: in-process budgets (and what they learned from 429s) are per namespace.
    environ = {**emulator.environ("mailchimp"), **STUB_BROKER, "PIPELINE_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
               **{f"PIPELINE_MAILCHIMP_{name}": str(value) for name, value in settings.items()}}
    return build_system("mailchimp", "mailchimp", environ)


def customer(email: str, native: dict | None = None, **data: object) -> LoadItem:
    record = {"email": email, "first_name": "Ada", "last_name": "Lovelace", **data}
    return LoadItem(email, record, native or {})


def order(number: str, lines: list[dict] | None = None, **data: object) -> LoadItem:
    record = {"order_number": number, "customer_email": "jane@example.com", "status": "open",
              "currency": "USD", "created_at": "2026-11-20T10:11:12+00:00", "grand_total": "35",
              "shipping_amount": "5",
              "lines": lines or [{"sku": "TEE", "name": "Tee", "qty": "2", "price": "15"}],
              "billing_address": {"first_name": "Jane", "last_name": "Doe", "street": ["1 Oak Ave"],
                                  "city": "Purchase", "postcode": "10577", "country_code": "US"}, **data}
    return LoadItem(number, record, {"financial_status": "paid"})


def calls_since(emulator: MailchimpEmulator, start: int, method: str) -> int:
    return sum(1 for request in emulator.requests[start:] if request.method == method)


def member(emulator: MailchimpEmulator, email: str) -> dict:
    return emulator.audience().members[subscriber_hash(email)]


def calls(emulator: MailchimpEmulator, method: str, path_part: str) -> int:
    return sum(1 for r in emulator.requests if r.method == method and path_part in r.path)


def extract_all(system_: MailchimpSystem, since: str | None = None, page_size: int = 100, refs=None):
    records, cursor = [], None
    # Bounded, so that a client that never stops paging fails instead of hanging the suite.
    for page in islice(system_.extract("customer", since=since, refs=refs, page_size=page_size), MAX_PAGES):
        records += page.records
        cursor = page.cursor or cursor
    return records, cursor


# Configuration and authentication -----------------------------------------------------------------

def test_the_system_is_registered_as_mailchimp():
    assert SYSTEMS["mailchimp"] is MailchimpSystem


def test_the_subscriber_hash_is_the_md5_of_the_lower_cased_email():
    # CONTRACTS 3.2, worked example (matches Mailchimp's documentation sample).
    assert subscriber_hash("Urist.McVankab@freddiesjokes.com") == "62eeb292278cc15f5817cb78f7790b08"
    assert subscriber_hash(" urist.mcvankab@FREDDIESJOKES.com") == "62eeb292278cc15f5817cb78f7790b08"


def test_the_data_center_comes_from_the_keys_suffix():
    assert data_center(KEY) == "us6"
    assert data_center("0123456789abcdef0123456789abcdef") is None
    assert data_center("a-b-us6") is None
    config = MailchimpSystem.from_env("mc", {"PIPELINE_MC_API_KEY": KEY.replace("us6", "us21"),
                                             "PIPELINE_BROKER_URL": "stub://"}).config
    assert (config.data_center, config.base_url) == ("us21", "https://us21.api.mailchimp.com/3.0")


def test_settings_have_defaults_and_the_key_stays_out_of_repr():
    config = MailchimpSystem.from_env("mc", {"PIPELINE_MC_API_KEY": KEY, "PIPELINE_BROKER_URL": "stub://"}).config
    assert (config.status_if_new, config.batch_threshold, config.concurrency, config.lookback_s) == (
        "pending", 500, 10, 300)
    assert (config.list_id, config.store_id) == (None, None)
    assert KEY not in repr(config)


def test_bad_settings_are_all_reported_by_name_never_the_keys_value():
    with pytest.raises(ConfigError) as raised:
        MailchimpSystem.from_env("mc", {"PIPELINE_MC_API_KEY": "s3cret-key-without-dc",
                                        "PIPELINE_MC_STATUS_IF_NEW": "subscribed!",
                                        "PIPELINE_MC_BATCH_THRESHOLD": "0", "PIPELINE_MC_CONCURRENCY": "ten"})
    assert str(raised.value) == (
        "Invalid Mailchimp connection 'mc':\n"
        "  PIPELINE_MC_API_KEY does not end with a data center such as '-us6': copy the whole key from "
        "Mailchimp (Account > Extras > API keys).\n"
        "  PIPELINE_MC_STATUS_IF_NEW='subscribed!' must be one of: pending, subscribed.\n"
        "  PIPELINE_MC_BATCH_THRESHOLD='0' must be from 1 to 1000000.\n"
        "  PIPELINE_MC_CONCURRENCY='ten' is not a number.")
    with pytest.raises(ConfigError) as raised:
        MailchimpSystem.from_env("mc", {})
    assert str(raised.value).startswith("Invalid Mailchimp connection 'mc':\n  PIPELINE_MC_API_KEY is not")


def test_requests_carry_basic_auth_with_the_key_as_password(mailchimp):
    system(mailchimp).load("customer", [customer("ada@example.com")])
    scheme, _, token = mailchimp.requests[0].headers["authorization"].partition(" ")
    assert (scheme, base64.b64decode(token).decode()) == ("Basic", f"pipeline:{mailchimp.api_key}")


def test_a_key_of_another_data_center_gets_mailchimps_401(mailchimp):
    environ = {**mailchimp.environ("mailchimp"), **STUB_BROKER, "PIPELINE_MAILCHIMP_API_KEY": KEY.replace("us6", "us7")}
    wrong = MailchimpSystem.from_env("mailchimp", environ)
    message = (f"mailchimp answered HTTP 401 to GET {mailchimp.base_url}/lists/57afe96172: API Key Invalid: "
               "Your API key may be invalid, or you've attempted to access the wrong datacenter.")
    with pytest.raises(AuthError) as raised:
        extract_all(wrong)
    assert str(raised.value) == message
    # A load fails every record with it, after one request: the audience is checked once.
    outcomes = wrong.load("customer", [customer("a@example.com"), customer("b@example.com")])
    assert [str(outcome) for outcome in outcomes] == [message, message]
    assert len(mailchimp.requests) == 2


def test_an_unknown_audience_is_named_with_its_variable(mailchimp):
    unknown = system(mailchimp, LIST_ID="nope")
    outcomes = unknown.load("customer", [customer("a@example.com")])
    assert isinstance(outcomes[0], ConfigError)
    assert str(outcomes[0]) == ("The Mailchimp audience 'nope' (PIPELINE_MAILCHIMP_LIST_ID) does not exist "
                                "in the account of data center us6.")


# Audience members ---------------------------------------------------------------------------------

def test_a_member_is_upserted_with_merge_fields_and_a_pending_status_if_new(mailchimp):
    address = {"street": ["1 Main St", "Floor 2"], "city": "Berlin", "region": "BE", "postcode": "10115",
               "country_code": "DE", "telephone": "+49 30 1", "default_billing": True}
    item = customer("ada@example.com", dob="1815-12-10", addresses=[address])
    assert system(mailchimp).load("customer", [item]) == [None]
    stored = member(mailchimp, "ada@example.com")
    assert stored["status"] == "pending"
    assert stored["merge_fields"] == {
        "FNAME": "Ada", "LNAME": "Lovelace", "PHONE": "+49 30 1", "BIRTHDAY": "12/10",
        "ADDRESS": {"addr1": "1 Main St", "addr2": "Floor 2", "city": "Berlin", "state": "BE", "zip": "10115",
                    "country": "DE"}}
    put = next(r for r in mailchimp.requests if r.method == "PUT")
    assert put.path == f"/3.0/lists/57afe96172/members/{subscriber_hash('ada@example.com')}"
    assert json.loads(put.body)["status_if_new"] == "pending" and "status" not in json.loads(put.body)


def test_loading_a_member_again_is_idempotent_and_never_changes_its_status(mailchimp):
    mailchimp.add_member("ada@example.com", status="unsubscribed")
    chimp = system(mailchimp, STATUS_IF_NEW="subscribed")
    assert chimp.load("customer", [customer("ada@example.com"), customer("bob@example.com")]) == [None, None]
    assert chimp.load("customer", [customer("ada@example.com"), customer("bob@example.com")]) == [None, None]
    audience = mailchimp.audience()
    assert member(mailchimp, "ada@example.com")["status"] == "unsubscribed"  # the member's own choice stands
    assert member(mailchimp, "bob@example.com")["status"] == "subscribed"
    bob = subscriber_hash("bob@example.com")
    assert (audience.creations[bob], audience.writes[bob]) == (1, 1)  # the repeat changed nothing


def test_a_customer_who_declined_the_newsletter_is_added_as_transactional(mailchimp):
    system(mailchimp).load("customer", [customer("no@example.com", is_subscribed=False),
                                        customer("yes@example.com", is_subscribed=True)])
    assert member(mailchimp, "no@example.com")["status"] == "transactional"
    assert member(mailchimp, "yes@example.com")["status"] == "pending"


def test_a_customer_who_left_the_newsletter_unsubscribes_a_subscribed_or_pending_member_only(mailchimp):
    for email, status in (("ada@example.com", "subscribed"), ("bob@example.com", "pending"),
                          ("cy@example.com", "transactional"), ("di@example.com", "archived")):
        mailchimp.add_member(email, status=status)
    left = [customer(email, is_subscribed=False)
            for email in ("ada@example.com", "bob@example.com", "cy@example.com", "di@example.com")]

    outcomes = system(mailchimp).load("customer", left)

    assert [getattr(outcome, "event", outcome) for outcome in outcomes] == ["unsubscribed", "unsubscribed", None, None]
    assert [mailchimp.audience().members[subscriber_hash(item.key)]["status"] for item in left] == [
        "unsubscribed", "unsubscribed", "transactional", "archived"]
    assert system(mailchimp).load("customer", left[:1]) == [None]  # already unsubscribed: an ordinary upsert


def test_an_archived_member_is_read_not_archived_again(mailchimp):
    mailchimp.add_member("ada@example.com")
    removal = system(mailchimp)
    first = removal.apply_missing("customer", ["ada@example.com"], "delete")
    assert first[0].detail == f"Member 'ada@example.com' archived in audience {mailchimp.list_id!r}."
    again = removal.apply_missing("customer", ["ada@example.com"], "delete")

    assert again[0].detail == f"Member 'ada@example.com' was already archived in audience {mailchimp.list_id!r}."
    assert sum(1 for request in mailchimp.requests if request.method == "DELETE") == 1


def test_tags_and_native_fields_are_set_after_the_member_exists(mailchimp):
    native = {"tags": ["Magento General", {"name": "old", "status": "inactive"}], "GENDER": "female",
              "merge_fields": {"SOURCE": "magento"}, "language": "de", "vip": True}
    assert system(mailchimp).load("customer", [customer("ada@example.com", native)]) == [None]
    stored = member(mailchimp, "ada@example.com")
    assert [tag["name"] for tag in stored["tags"]] == ["Magento General"]
    assert (stored["language"], stored["vip"]) == ("de", True)
    put, tags = [(r.method, r.path) for r in mailchimp.requests[1:]]
    assert put[0] == "PUT" and tags == ("POST", f"{put[1]}/tags")
    body = json.loads(mailchimp.requests[1].body)
    assert body["merge_fields"] == {"FNAME": "Ada", "LNAME": "Lovelace", "SOURCE": "magento",
                                    "GENDER": "female"}


def test_an_incomplete_address_is_left_out_rather_than_refused(mailchimp):
    no_postcode = {"street": ["1 Main St"], "city": "Berlin", "country_code": "DE", "telephone": "030 1"}
    item = customer("ada@example.com", addresses=[no_postcode])
    assert system(mailchimp).load("customer", [item]) == [None]
    assert member(mailchimp, "ada@example.com")["merge_fields"]["ADDRESS"] == ""
    assert member(mailchimp, "ada@example.com")["merge_fields"]["PHONE"] == "030 1"


# Problem details ----------------------------------------------------------------------------------

def test_problem_details_become_fatal_errors_with_mailchimps_words(mailchimp):
    mailchimp.reject_email("fake@example.com")
    items = [customer("fake@example.com"),
             customer("addr@example.com", {"ADDRESS": {"addr1": "1 Main St", "city": "Berlin"}}),
             customer("vip@example.com", {"vip": "yes"})]
    outcomes = system(mailchimp).load("customer", items)
    path = f"{mailchimp.base_url}/lists/57afe96172/members"
    assert all(type(outcome) is FatalError and outcome.status == 400 for outcome in outcomes)
    assert [str(outcome) for outcome in outcomes] == [
        f"mailchimp answered HTTP 400 to PUT {path}/{subscriber_hash('fake@example.com')}: Invalid Resource: "
        "fake@example.com looks fake or invalid, please enter a real email address.",
        f"mailchimp answered HTTP 400 to PUT {path}/{subscriber_hash('addr@example.com')}: Invalid Resource: "
        "Your merge fields were invalid. ADDRESS: Please enter a complete address.",
        f"mailchimp answered HTTP 400 to PUT {path}/{subscriber_hash('vip@example.com')}: Invalid Resource: "
        "The resource submitted could not be validated. For field-specific details, see the 'errors' array. "
        "vip: Schema describes boolean, string found instead."]
    assert mailchimp.audience().members == {}
    # The schema's refusal is the client's breach, noted for the fixture's teardown check.
    assert mailchimp.violations == [f"PUT /lists/57afe96172/members/{subscriber_hash('vip@example.com')}: "
                                    "vip: Schema describes boolean, string found instead"]
    mailchimp.violations.clear()


def test_429_and_5xx_are_retryable_and_keep_mailchimps_text(mailchimp):
    chimp = system(mailchimp)
    chimp.load("customer", [customer("warm@example.com")])  # the audience check is behind us
    mailchimp.faults.error_rate, mailchimp.faults.error_status = 1.0, 503
    [unavailable] = chimp.load("customer", [customer("ada@example.com")])
    mailchimp.faults.error_rate, mailchimp.faults.throttle_rate, mailchimp.faults.retry_after_s = 0.0, 1.0, 7
    [throttled] = chimp.load("customer", [customer("ada@example.com")])
    path = f"{mailchimp.base_url}/lists/57afe96172/members/{subscriber_hash('ada@example.com')}"
    assert isinstance(unavailable, RetryableError) and isinstance(throttled, RetryableError)
    assert str(unavailable) == (f"mailchimp answered HTTP 503 to PUT {path}: Service Unavailable: An "
                                "unexpected internal error has occurred. Please contact Support for more "
                                "information.")
    assert str(throttled) == (f"mailchimp answered HTTP 429 to PUT {path}: Too Many Requests: You have "
                              "exceeded the limit of 10 simultaneous connections.")
    assert throttled.retry_after == 7.0


# Incremental pulls --------------------------------------------------------------------------------

def test_a_pull_pages_to_total_items_and_its_cursor_is_the_newest_last_changed(mailchimp):
    clock = Clock("2024-05-01T10:00:00")
    mailchimp.clock = clock
    for n in range(7):
        mailchimp.add_member(f"m{n}@example.com")
        clock.advance(10)
    chimp = system(mailchimp, LOOKBACK_S=300)
    records, cursor = extract_all(chimp, page_size=3)
    assert [r["email_address"] for r in records] == [f"m{n}@example.com" for n in range(7)]
    assert "_links" not in records[0]
    listing = [r for r in mailchimp.requests if r.path.endswith("/members")]
    assert [dict(r.query)["offset"] for r in listing] == ["0", "3", "6"]
    assert {dict(r.query)["sort_field"] for r in listing} == {"last_changed"}
    assert json.loads(cursor)["last_changed"] == "2024-05-01T10:01:00+00:00"

    # Again from the cursor: the look-back window is read, nothing in it is delivered twice...
    again, same = extract_all(chimp, since=cursor, page_size=3)
    assert again == []
    assert dict(mailchimp.requests[-1].query)["since_last_changed"] == "2024-05-01T09:56:00+00:00"
    # ...and a change inside the window is delivered once.
    clock.advance(5)
    mailchimp.add_member("m2@example.com", merge_fields={"FNAME": "Changed"})
    changed, newer = extract_all(chimp, since=cursor, page_size=3)
    assert [r["email_address"] for r in changed] == ["m2@example.com"]
    assert json.loads(newer)["last_changed"] == "2024-05-01T10:01:15+00:00"


def test_a_member_changed_during_a_pull_does_not_make_the_pull_skip_another(mailchimp):
    clock = Clock("2024-05-01T10:00:00")
    mailchimp.clock = clock
    for n in range(6):
        mailchimp.add_member(f"m{n}@example.com")
        clock.advance(1)
    pages = system(mailchimp).extract("customer", since=None, refs=None, page_size=2)
    first = next(pages)
    # m0 changes after the pull began: it leaves the frozen window, and every offset shifts by one.
    clock.now = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
    mailchimp.add_member("m0@example.com", merge_fields={"FNAME": "Later"})
    rest = [record for page in islice(pages, MAX_PAGES) for record in page.records]
    emails = [r["email_address"] for r in first.records + rest]
    assert sorted(emails) == [f"m{n}@example.com" for n in range(6)]  # m2 was not skipped, none twice


def test_refs_are_read_one_member_each_and_unknown_ones_are_left_out(mailchimp):
    mailchimp.add_member("ada@example.com")
    records, cursor = extract_all(system(mailchimp), refs=["Ada@Example.com", "nobody@example.com"])
    assert [r["email_address"] for r in records] == ["ada@example.com"] and cursor is None


def test_a_cursor_this_system_did_not_write_is_a_config_error(mailchimp):
    with pytest.raises(ConfigError, match=r"^Invalid Mailchimp cursor 'yesterday': expected the JSON cursor"):
        extract_all(system(mailchimp), since="yesterday")


# Batches ------------------------------------------------------------------------------------------

def test_a_load_above_the_threshold_goes_through_one_batch_with_one_outcome_per_operation(mailchimp):
    mailchimp.batches.chunk = 4  # results spread over several JSON files of the archive
    rejected = {"m03@example.com", "m07@example.com", "m11@example.com"}
    mailchimp.reject_email(*rejected)
    chimp = system(mailchimp, BATCH_THRESHOLD=10)
    items = [customer(f"m{n:02d}@example.com") for n in range(12)]

    outcomes = chimp.load("customer", items)

    [batch_id] = chimp.batches.submitted
    failed = {item.key: str(error) for item, error in zip(items, outcomes, strict=True) if error}
    assert failed == {email: (f"mailchimp answered HTTP 400 to PUT /lists/57afe96172/members/"
                              f"{subscriber_hash(email)} in batch {batch_id}: Invalid Resource: {email} "
                              "looks fake or invalid, please enter a real email address.")
                      for email in rejected}
    assert all(type(outcomes[n]) is FatalError for n in (3, 7, 11))
    assert len(mailchimp.audience().members) == 9
    assert calls(mailchimp, "PUT", "/members/") == 0  # nothing sent directly
    operations = mailchimp.batches.batches[batch_id].operations
    assert [op["operation_id"] for op in operations] == [item.key for item in items]
    assert json.loads(operations[0]["body"]) == {"email_address": "m00@example.com",
                                                 "status_if_new": "pending",
                                                 "merge_fields": {"FNAME": "Ada", "LNAME": "Lovelace"}}
    assert mailchimp.batches.batches[batch_id].view()["errored_operations"] == 3


def test_each_phase_of_a_big_load_is_a_batch_of_its_own(mailchimp):
    mailchimp.add_product("TEE")
    chimp = system(mailchimp, BATCH_THRESHOLD=3)
    tagged = [customer(f"t{n}@example.com", {"tags": ["vip"]}) for n in range(4)]
    assert chimp.load("customer", tagged) == [None] * 4
    assert [t["name"] for t in member(mailchimp, "t3@example.com")["tags"]] == ["vip"]
    # Orders: PATCH all, then, as a second batch, POST the ones Mailchimp did not know (404) and
    # PATCH the line of the one it knew.
    chimp.load("order", [order("000000001")])
    assert chimp.load("order", [order(f"00000000{n}") for n in range(1, 6)]) == [None] * 5
    batches = mailchimp.batches.batches
    methods = [[op["method"] for op in batches[batch_id].operations] for batch_id in chimp.batches.submitted]
    assert methods == [["PUT"] * 4, ["POST"] * 4, ["PATCH"] * 5, ["PATCH"] + ["POST"] * 4]
    assert batches[chimp.batches.submitted[-1]].operations[0]["path"].endswith("/orders/000000001/lines/TEE")
    assert sorted(mailchimp.store().orders) == [f"00000000{n}" for n in range(1, 6)]


def test_a_batch_that_does_not_finish_in_time_is_stopped_and_the_load_is_retried_whole():
    with MailchimpEmulator(batch_delay_s=3) as slow:
        chimp = system(slow, BATCH_THRESHOLD=1, BATCH_TIMEOUT_S=0.2)
        with pytest.raises(RetryableError) as raised:
            chimp.load("customer", [customer("a@example.com"), customer("b@example.com")])
        [batch_id] = chimp.batches.submitted
        assert str(raised.value) == (f"Mailchimp batch {batch_id} did not finish in 0.2s (last status "
                                     "'pending'); it was stopped, and the load will be sent again.")
        assert slow.batches.batches[batch_id].stopped


def test_an_unreadable_result_archive_is_retryable():
    with pytest.raises(RetryableError, match=r"^Unreadable Mailchimp batch results \(ReadError\)\.$"):
        read_results(b"<html>not an archive</html>")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = json.dumps([{"status_code": 200, "operation_id": "a", "response": "{}"}]).encode()
        info = tarfile.TarInfo("x/0.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert read_results(buffer.getvalue()) == {
        "a": {"status_code": 200, "operation_id": "a", "response": "{}"}}


# E-commerce ---------------------------------------------------------------------------------------

def test_an_order_is_posted_when_new_and_patched_when_known_with_its_customer_inside(mailchimp):
    chimp = system(mailchimp)
    assert chimp.load("order", [order("000000001", discount_amount="-2", tax_amount="0")]) == [None]
    stored = mailchimp.store().orders["000000001"]
    assert (stored["order_total"], stored["shipping_total"], stored["discount_total"]) == (35.0, 5.0, 2.0)
    assert (stored["currency_code"], stored["financial_status"]) == ("USD", "paid")
    assert stored["processed_at_foreign"] == "2026-11-20T10:11:12+00:00"
    assert stored["lines"] == [{"id": "TEE", "product_id": "TEE", "product_variant_id": "TEE", "quantity": 2,
                                "price": 15.0}]
    assert stored["billing_address"] == {"name": "Jane Doe", "address1": "1 Oak Ave", "city": "Purchase",
                                         "postal_code": "10577", "country_code": "US"}
    customer_id = subscriber_hash("jane@example.com")
    assert mailchimp.store().customers[customer_id]["email_address"] == "jane@example.com"
    assert mailchimp.store().customers[customer_id]["opt_in_status"] is False
    # The line's product did not exist: it was created from the line, once.
    assert mailchimp.store().products["TEE"]["variants"][0]["price"] == 15.0
    # Which lines Mailchimp has is read first (none: 404), for the lines to delete.
    assert [(r.method, r.path.rsplit("/", 2)[-2:]) for r in mailchimp.requests[1:]] == [
        ("GET", ["000000001", "lines"]), ("GET", ["products", "TEE"]), ("POST", ["magento2-default", "products"]),
        ("PATCH", ["orders", "000000001"]), ("POST", ["magento2-default", "orders"])]

    assert chimp.load("order", [order("000000001", grand_total="40", customer_name="J. Doe")]) == [None]
    assert mailchimp.store().orders["000000001"]["order_total"] == 40.0
    assert mailchimp.store().creations[("orders", "000000001")] == 1
    assert mailchimp.requests[-1].method == "PATCH" and calls(mailchimp, "GET", "/products/") == 1


def test_a_known_orders_lines_change_through_the_order_line_endpoints_each_verb_with_its_body(mailchimp):
    chimp = system(mailchimp)
    assert chimp.load("order", [order("000000001")]) == [None]
    start = len(mailchimp.requests)
    lines = [{"sku": "TEE", "name": "Tee", "qty": "3", "price": "15"},
             {"sku": "MUG", "name": "Mug", "qty": "1", "price": "9.5"}]
    assert chimp.load("order", [order("000000001", lines=lines, grand_total="59.5")]) == [None]
    sent = [(r.method, r.path.split("/orders/")[-1], r.json()) for r in mailchimp.requests[start:]
            if "/orders" in r.path and r.method != "GET"]
    assert [(method, where) for method, where, _ in sent] == [
        ("PATCH", "000000001"), ("PATCH", "000000001/lines/TEE"), ("PATCH", "000000001/lines/MUG"),
        ("POST", "000000001/lines")]
    assert "lines" not in sent[0][2]                      # the order's PATCH carries no lines
    assert "id" not in sent[1][2] and "id" not in sent[2][2]  # a line's PATCH names it in the path only
    assert sent[3][2]["id"] == "MUG"                      # a new line is POSTed with its id
    stored = mailchimp.store().orders["000000001"]
    assert stored["order_total"] == 59.5
    assert [(line["id"], line["product_id"], line["quantity"], line["price"]) for line in stored["lines"]] == [
        ("TEE", "TEE", 3, 15.0), ("MUG", "MUG", 1, 9.5)]


def test_a_line_removed_from_a_known_order_is_deleted_through_the_order_line_endpoint(mailchimp):
    chimp = system(mailchimp)
    tee, mug = ({"sku": "TEE", "name": "Tee", "qty": "2", "price": "15"},
                {"sku": "MUG", "name": "Mug", "qty": "1", "price": "9.5"})
    assert chimp.load("order", [order("000000001", lines=[tee, mug], grand_total="44.5")]) == [None]
    start = len(mailchimp.requests)
    assert chimp.load("order", [order("000000001", lines=[mug], grand_total="14.5")]) == [None]
    sent = [(r.method, r.path.split("/orders/")[-1]) for r in mailchimp.requests[start:] if "/orders" in r.path]
    assert sent == [("GET", "000000001/lines"), ("PATCH", "000000001"), ("PATCH", "000000001/lines/MUG"),
                    ("DELETE", "000000001/lines/TEE")]
    assert [line["id"] for line in mailchimp.store().orders["000000001"]["lines"]] == ["MUG"]
    # Loaded again unchanged: nothing left to delete.
    start = len(mailchimp.requests)
    assert chimp.load("order", [order("000000001", lines=[mug], grand_total="14.5")]) == [None]
    assert calls_since(mailchimp, start, "DELETE") == 0


def test_lines_of_another_id_scheme_are_replaced_and_a_line_already_gone_is_no_failure(mailchimp):
    # An order loaded when line ids were positions ("1"): its line is re-created under its SKU.
    mailchimp.add_product("TEE")
    with mailchimp.lock:
        mailchimp.store().create_order({"id": "000000001", "customer": {"id": "c1", "email_address": "jane@example.com",
                                        "opt_in_status": False}, "currency_code": "USD", "order_total": 35,
                                        "lines": [{"id": "1", "product_id": "TEE", "product_variant_id": "TEE",
                                                   "quantity": 2, "price": 15}]}, mailchimp.now())
    chimp = system(mailchimp)
    assert chimp.load("order", [order("000000001")]) == [None]
    assert [line["id"] for line in mailchimp.store().orders["000000001"]["lines"]] == ["TEE"]
    # A DELETE answered 404 (another worker deleted the line first) leaves the record loaded.
    gone = Operation("DELETE", f"/ecommerce/stores/{mailchimp.store_id}/orders/000000001/lines/1", gone_ok=True)
    assert chimp.sender.run({0: gone}, ["000000001"]) == {0: None}
    assert chimp.sender.run({0: Operation("DELETE", gone.path)}, ["000000001"])[0].status == 404


def test_an_order_patch_with_line_ids_is_refused_as_mailchimp_refuses_it(mailchimp):
    mailchimp.add_product("TEE")
    auth = ("any", mailchimp.api_key)
    path = f"{mailchimp.base_url}/ecommerce/stores/{mailchimp.store_id}/orders/000000001"
    answer = requests.patch(path, auth=auth, timeout=5,
                            json={"lines": [{"id": "1", "product_id": "TEE", "product_variant_id": "TEE",
                                             "quantity": 1, "price": 10}]})
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json; charset=utf-8"
    body = answer.json()
    assert {key: body[key] for key in ("type", "title", "status", "detail")} == {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Invalid Resource",
        "status": 400, "detail": "The resource submitted could not be validated. For field-specific details, "
                                 "see the 'errors' array."}
    assert body["errors"] == [{"field": "lines.item:0",
                               "message": "Schema does not describe these properties: id"}]
    assert body["instance"] == answer.headers["X-Request-Id"]
    assert mailchimp.violations == ["PATCH /ecommerce/stores/magento2-default/orders/000000001: "
                                    "lines.item:0: Schema does not describe these properties: id"]
    mailchimp.violations.clear()


def test_a_body_field_of_another_verb_is_refused_and_fails_the_published_fixture_at_teardown(mailchimp):
    # POST's line item requires the id; the order-line PATCH has none.
    mailchimp.add_product("TEE")
    auth = ("any", mailchimp.api_key)
    lines = f"{mailchimp.base_url}/ecommerce/stores/{mailchimp.store_id}/orders/9/lines"
    assert requests.patch(lines + "/1", auth=auth, timeout=5, json={"id": "1", "quantity": 1}).status_code == 400
    assert requests.post(lines, auth=auth, timeout=5, json={"product_id": "TEE"}).json()["errors"] == [
        {"field": "", "message": "Required fields were not provided: id, price, product_variant_id, quantity"}]
    with pytest.raises(AssertionError, match=r"MailchimpEmulator saw 2 contract problem\(s\):\n  PATCH "):
        mailchimp.assert_contract_kept()
    mailchimp.violations.clear()


def test_a_member_patch_changes_its_address_and_is_checked_against_patchs_own_schema(mailchimp):
    auth = ("any", mailchimp.api_key)
    members = f"{mailchimp.base_url}/lists/{mailchimp.list_id}/members"
    for email in ("ada@example.com", "taken@example.com"):
        mailchimp.audience().upsert(email, {"email_address": email, "status_if_new": "subscribed"}, "2026-01-01")
    old = subscriber_hash("ada@example.com")
    # status_if_new is PUT's: PATCH's schema does not describe it.
    refused = requests.patch(f"{members}/{old}", auth=auth, timeout=5,
                             json={"email_address": "ada.king@example.com", "status_if_new": "subscribed"})
    assert (refused.status_code, refused.json()["errors"]) == (
        400, [{"field": "", "message": "Schema does not describe these properties: status_if_new"}])
    mailchimp.violations.clear()
    taken = requests.patch(f"{members}/{old}", auth=auth, timeout=5, json={"email_address": "taken@example.com"})
    assert (taken.status_code, taken.json()["title"]) == (400, "Member Exists")

    moved = requests.patch(f"{members}/{old}", auth=auth, timeout=5, json={"email_address": "ada.king@example.com"})
    assert (moved.status_code, moved.json()["id"]) == (200, subscriber_hash("ada.king@example.com"))
    assert requests.get(f"{members}/{old}", auth=auth, timeout=5).status_code == 404
    assert requests.patch(f"{members}/{old}", auth=auth, timeout=5,
                          json={"email_address": "ada.king@example.com"}).status_code == 404


def test_a_product_is_patched_or_created(mailchimp):
    mug = {"sku": "MUG", "name": "Mug", "price": "9.5", "description": "A mug."}
    item = LoadItem("MUG", mug, {"vendor": "Acme"})
    chimp = system(mailchimp)
    assert chimp.load("product", [item]) == [None]
    assert chimp.load("product", [LoadItem("MUG", {**item.data, "price": "11"}, {})]) == [None]
    # PATCH (404), POST; then PATCH and PUT of the variant: 3.0.55's PATCH names no variant ids.
    assert [r.method for r in mailchimp.requests[1:]] == ["PATCH", "POST", "PATCH", "PUT"]
    assert mailchimp.requests[-1].path.endswith("/products/MUG/variants/MUG")
    stored = mailchimp.store().products["MUG"]
    assert (stored["title"], stored["vendor"], stored["description"]) == ("Mug", "Acme", "A mug.")
    assert stored["variants"] == [{"id": "MUG", "title": "Mug", "sku": "MUG", "price": 11.0}]
    assert mailchimp.store().creations[("products", "MUG")] == 1


def test_a_fractional_quantity_fails_its_order_alone(mailchimp):
    outcomes = system(mailchimp).load("order", [
        order("000000001", lines=[{"sku": "CHEESE", "qty": "0.5", "price": "12"}]), order("000000002")])
    assert isinstance(outcomes[0], RecordError) and outcomes[1] is None
    assert str(outcomes[0]) == ("Order '000000001' line 1 (CHEESE) has quantity 0.5: Mailchimp counts whole "
                                "items only.")


def test_an_unknown_store_is_named_with_its_variable(mailchimp):
    [outcome] = system(mailchimp, STORE_ID="nope").load("order", [order("000000001")])
    assert str(outcome) == ("The Mailchimp e-commerce store 'nope' (PIPELINE_MAILCHIMP_STORE_ID) does not "
                            "exist in the account of data center us6.")


# Concurrency --------------------------------------------------------------------------------------

def hammer(chimp: MailchimpSystem, threads: int = 20) -> list:
    """Each of ``threads`` threads loads three members at once; returns every outcome."""
    def one(n: int) -> list:
        return chimp.load("customer", [customer(f"t{n}-{k}@example.com") for k in range(3)])

    chimp.load("customer", [customer("warm@example.com")])  # the audience check, once, before the rush
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [outcome for outcomes in pool.map(one, range(threads)) for outcome in outcomes]


def test_the_concurrency_budget_keeps_20_threads_within_mailchimps_10_connections():
    with MailchimpEmulator(faults=Faults(latency_s=0.02)) as emulator:
        outcomes = hammer(system(emulator))
        assert outcomes == [None] * 60
        assert emulator.counts["over_concurrency"] == 0
        assert 5 <= emulator.peak_in_flight <= 10


def test_without_the_budget_the_same_load_is_throttled_so_the_budget_test_can_fail():
    with MailchimpEmulator(faults=Faults(latency_s=0.1)) as emulator:
        outcomes = hammer(system(emulator, CONCURRENCY=100))
        throttled = [o for o in outcomes if isinstance(o, RetryableError) and o.status == 429]
        assert throttled and emulator.peak_in_flight > 10


# The emulator's vendored schemas ------------------------------------------------------------------

@pytest.mark.skipif(not OFFICIAL_SPEC.exists(), reason="the OpenAPI file is not beside the repository")
def test_the_vendored_schemas_are_what_extract_takes_from_the_openapi_file():
    import yaml

    document = yaml.load(OFFICIAL_SPEC.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert schemas.extract(document) == schemas.SCHEMAS
