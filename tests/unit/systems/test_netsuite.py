"""The NetSuite system against its emulator, over real loopback HTTP (nothing of our client is patched)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pipeline.errors import (AuthError, ConfigError, FatalError, NotFoundError, RetryableError,
                             UnknownNameError)
from pipeline.systems import SYSTEMS
from pipeline.systems.base import LoadItem
from pipeline.systems.netsuite import NetSuiteSystem
from pipeline.systems.netsuite.auth import Credentials, default_base_url, host_slug, realm_of, token_signer
from pipeline.systems.netsuite.payloads import external_id
from pipeline.systems.netsuite.suiteql import Cursor
# netsuite_emulator is the fixture integration authors import the same way.
from pipeline.testing.netsuite import NetSuiteEmulator, netsuite_emulator  # noqa: F401
from pipeline.testing.netsuite.oauth import base_string, hmac_sha256
from pipeline.testing.server import Faults
from pipeline.testing.clock import Clock

# CONTRACTS.md 4.2, worked example: fixed conformance vectors.
ORACLE = Credentials(consumer_key="ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
                     consumer_secret="d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
                     token_id="2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
                     token_secret="c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295")
NONCE, TIMESTAMP = "fjaLirsIcCGVZWzBX0pg", "1508242306"
HOST = "https://123456.suitetalk.api.netsuite.com/services/rest/record/v1"
BASE_B = ("GET&https%3A%2F%2F123456.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord%2Fv1%2F"
          "customer&limit%3D2%26oauth_consumer_key%3D"
          "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4%26oauth_nonce%3D"
          "fjaLirsIcCGVZWzBX0pg%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1508242306"
          "%26oauth_token%3D2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc"
          "%26oauth_version%3D1.0%26offset%3D0")
VECTORS = [(f"{HOST}/employee/40", "B5OIWznZ2YP0OB7VrJrGkYsTh+8H+5T9Hag+o92q0zY="),
           (f"{HOST}/customer?limit=2&offset=0", "ou4NjODdpxsGxw0VkrsV01NEz3YDS0CrlngvknlMbZM=")]
T0 = dt.datetime(2024, 1, 15, 10, 0, 0)


def make_system(emulator: NetSuiteEmulator, **settings: object) -> NetSuiteSystem:
    environ = {**emulator.env("erp"), "PIPELINE_BROKER_URL": "stub://",
               # Budget slots live in a process-wide stub backend: each test gets its own keys.
               "PIPELINE_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
               # Reads retried in place wait a millisecond, not the default half second.
               "PIPELINE_ERP_READ_BACKOFF_MS": "1",
               **{f"PIPELINE_ERP_{name.upper()}": str(value) for name, value in settings.items()}}
    system = NetSuiteSystem.from_env("erp", environ)
    system.client.auth_retry_delay_s = 0
    return system


def oauth_params(header: bytes | str) -> dict[str, str]:
    text = header.decode() if isinstance(header, bytes) else header
    return dict(re.findall(r'(\w+)="([^"]*)"', text))


def seed_customers(emulator: NetSuiteEmulator, stamps: list[dt.datetime]) -> list[str]:
    return [emulator.store.add("customer", {"email": f"c{n}@example.com"}, modified=stamp)
            for n, stamp in enumerate(stamps)]


def pull(system: NetSuiteSystem, entity: str, since: str | None,
         page_size: int = 100) -> tuple[list[list[str]], str | None]:
    """The ids of each extracted page, and the cursor the run would store."""
    pages = list(system.extract(entity, since=since, refs=None, page_size=page_size))
    cursor = pages[-1].cursor if pages else since
    return [[record["id"] for record in page.records] for page in pages], cursor


# Authentication and hosts


@pytest.mark.parametrize(("url", "signature"), VECTORS)
def test_our_client_reproduces_both_oracle_signatures_byte_for_byte(url, signature):
    request = requests.Request("GET", url).prepare()
    token_signer("123456", ORACLE, nonce=NONCE, timestamp=TIMESTAMP)(request)
    params = oauth_params(request.headers["Authorization"])
    assert params["oauth_signature"] == requests.utils.quote(signature, safe="")
    assert params["realm"] == "123456"
    assert params["oauth_signature_method"] == "HMAC-SHA256"


def test_the_emulators_own_signer_reproduces_the_base_string_and_both_signatures():
    oauth = [("oauth_consumer_key", ORACLE.consumer_key), ("oauth_nonce", NONCE),
             ("oauth_signature_method", "HMAC-SHA256"), ("oauth_timestamp", TIMESTAMP),
             ("oauth_token", ORACLE.token_id), ("oauth_version", "1.0")]
    base_b = base_string("GET", f"{HOST}/customer", oauth + [("limit", "2"), ("offset", "0")])
    assert base_b == BASE_B
    base_a = base_string("GET", f"{HOST}/employee/40", oauth)
    signatures = [hmac_sha256(base, ORACLE.consumer_secret, ORACLE.token_secret) for base in (base_a, base_b)]
    assert signatures == [signature for _, signature in VECTORS]


@pytest.mark.parametrize(("account", "slug", "realm"), [
    ("123456", "123456", "123456"),
    ("123456_SB1", "123456-sb1", "123456_SB1"),
    ("123456-sb1", "123456-sb1", "123456_SB1"),
    ("tstdrv123_rp2", "tstdrv123-rp2", "TSTDRV123_RP2"),
])
def test_an_account_gives_a_lower_case_hyphen_host_and_an_upper_case_underscore_realm(account, slug, realm):
    assert host_slug(account) == slug
    assert realm_of(account) == realm
    assert default_base_url(account) == f"https://{slug}.suitetalk.api.netsuite.com"


def test_a_sandbox_account_written_in_host_form_still_signs_with_the_right_realm():
    with NetSuiteEmulator(account="1234567_SB1") as emulator:
        system = make_system(emulator, account="1234567-sb1")
        customer_id = emulator.store.add("customer", {"email": "ada@example.com"})
        assert system.client.get("customer", customer_id)["email"] == "ada@example.com"
        assert emulator.auth_failures == []


def test_missing_settings_are_all_named_and_no_value_is_shown():
    environ = {"PIPELINE_ERP_ACCOUNT": "1234567", "PIPELINE_ERP_CONSUMER_SECRET": "s3cret-value",
               "PIPELINE_ERP_CONCURRENCY": "zero", "PIPELINE_ERP_READ_RETRIES": "-1"}
    with pytest.raises(ConfigError) as caught:
        NetSuiteSystem.from_env("erp", environ)
    assert str(caught.value) == (
        "Invalid NetSuite connection 'erp': PIPELINE_ERP_CONSUMER_KEY is not set. "
        "PIPELINE_ERP_TOKEN_ID is not set. PIPELINE_ERP_TOKEN_SECRET is not set. "
        "PIPELINE_ERP_CONCURRENCY must be a whole number from 1 to 1000, not 'zero'. "
        "PIPELINE_ERP_READ_RETRIES must be a whole number from 0 to 100, not '-1'.")
    assert "s3cret" not in str(caught.value)


def test_the_system_is_registered_under_its_name():
    assert SYSTEMS["netsuite"] is NetSuiteSystem


def test_a_bad_signature_is_an_auth_error_with_netsuites_message_after_one_retry(netsuite_emulator):
    system = make_system(netsuite_emulator)
    netsuite_emulator.consumer_secret = "not-the-secret-we-sign-with"
    message = ("/services/rest/record/v1/customer/7?expandSubResources=true: INVALID_LOGIN: Invalid login "
               "attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > "
               "Users/Roles > User Management > View Login Audit Trail.")
    with pytest.raises(AuthError, match=re.escape(message)) as caught:
        system.client.get("customer", "7")
    assert caught.value.status == 401
    reasons = [failure.split(" over ")[0] for failure in netsuite_emulator.auth_failures]
    assert reasons == ["signature mismatch"] * 2


# Records


def test_record_lists_page_with_has_more_and_offsets_that_are_multiples_of_the_limit(netsuite_emulator):
    ids = seed_customers(netsuite_emulator, [T0] * 5)
    system = make_system(netsuite_emulator)
    first = system.client.list_page("customer", limit=2, offset=0)
    assert (first["count"], first["hasMore"], first["offset"], first["totalResults"]) == (2, True, 0, 5)
    assert [item["id"] for item in first["items"]] == ids[:2]
    next_page = f"{netsuite_emulator.url}/services/rest/record/v1/customer?limit=2&offset=2"
    assert {"rel": "next", "href": next_page} in first["links"]
    assert list(system.client.iter_ids("customer", limit=2)) == ids
    offsets = [request.arg("offset") for request in netsuite_emulator.requests if request.method == "GET"][1:]
    assert offsets == ["0", "2", "4"]


def test_get_expands_sublists_only_when_asked(netsuite_emulator):
    lines = {"items": [{"item": {"id": "9"}, "quantity": 2}]}
    order_id = netsuite_emulator.store.add("salesOrder", {"item": lines})
    system = make_system(netsuite_emulator)
    expanded = system.client.get("salesOrder", order_id)
    assert expanded["item"]["items"] == [{"item": {"id": "9"}, "quantity": 2, "line": 1}]
    assert expanded["item"]["totalResults"] == 1
    assert "items" not in system.client.get("salesOrder", order_id, expand=False)["item"]


def test_create_reads_the_new_id_from_the_location_header(netsuite_emulator):
    system = make_system(netsuite_emulator)
    new_id = system.client.create("customer", {"email": "ada@example.com", "isPerson": True})
    assert netsuite_emulator.store.records["customer"][new_id]["email"] == "ada@example.com"
    system.client.update("customer", new_id, {"phone": "555-1234"})
    assert netsuite_emulator.store.records["customer"][new_id]["phone"] == "555-1234"


def test_upserting_a_customer_twice_by_external_id_leaves_one_record(netsuite_emulator):
    system = make_system(netsuite_emulator)
    address = {"street": ["12 Analytical St"], "city": "London", "country_code": "GB",
               "default_billing": True}
    data = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "addresses": [address]}
    item = LoadItem("ada@example.com", data, {"subsidiary": {"id": "1"}, "custentity_source": "shop"})
    assert system.load("customer", [item]) == [None]
    assert system.load("customer", [item]) == [None]
    [customer] = netsuite_emulator.store.records["customer"].values()
    assert customer["externalId"] == external_id("ada@example.com") == "ada_example_com-b5fc85e55755"
    assert (customer["subsidiary"], customer["custentity_source"]) == ({"id": "1"}, "shop")
    # replace=addressBook: the second delivery did not add the address again.
    streets = [line["addressBookAddress"]["addr1"] for line in customer["addressBook"]["items"]]
    assert streets == ["12 Analytical St"]


def test_a_customer_netsuite_had_before_the_integration_is_claimed_by_email_not_duplicated(netsuite_emulator):
    store = netsuite_emulator.store
    keyed_in = store.add("customer", {"email": "Ada@Example.com", "entityId": "ADA", "firstName": "Ada"})
    other_integrations = store.add("customer", {"email": "bob@example.com", "externalId": "crm-77"})
    system = make_system(netsuite_emulator)
    ada = LoadItem("ada@example.com", {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}, {})
    bob = LoadItem("bob@example.com", {"email": "bob@example.com", "first_name": "Bob", "last_name": "Jones"}, {})

    assert system.load("customer", [ada, bob, ada]) == [None, None, None]

    customers = store.records["customer"]
    assert (customers[keyed_in]["externalId"], customers[keyed_in]["lastName"]) == (
        external_id("ada@example.com"), "Lovelace")
    # Bob's customer belongs to another integration's key: ours is a customer of its own.
    assert customers[other_integrations]["externalId"] == "crm-77"
    assert len(customers) == 3
    # The second load of Ada found her by external id: one PATCH, then a PUT.
    writes = [request.method for request in netsuite_emulator.requests if request.method in ("PATCH", "PUT")]
    assert writes == ["PATCH", "PUT", "PUT"]


def test_a_customer_push_is_two_requests_a_record_one_lookup_then_one_write(netsuite_emulator):
    store = netsuite_emulator.store
    keyed_in = store.add("customer", {"email": "Ada@Example.com", "entityId": "ADA"})
    system = make_system(netsuite_emulator)
    people = [LoadItem(email, {"email": email, "first_name": "A", "last_name": "B"}, {})
              for email in ("ada@example.com", "new@example.com")]

    # Claimed by email, created, then both found again by external id: one query and one write each.
    assert system.load("customer", people + people) == [None] * 4

    calls = [(request.method, request.path.rsplit("/", 1)[-1]) for request in netsuite_emulator.requests]
    assert calls == [("POST", "suiteql"), ("PATCH", keyed_in),
                     ("POST", "suiteql"), ("PUT", "eid:" + external_id("new@example.com")),
                     ("POST", "suiteql"), ("PUT", "eid:" + external_id("ada@example.com")),
                     ("POST", "suiteql"), ("PUT", "eid:" + external_id("new@example.com"))]
    assert len(store.records["customer"]) == 2


def test_an_orders_customer_is_one_lookup_by_external_id_or_email_and_its_own_external_id_wins(
        netsuite_emulator):
    store = netsuite_emulator.store
    store.add("inventoryItem", {"itemId": "SKU-1"})
    # The older customer shares the email; the one keyed by our external id is the order's.
    store.add("customer", {"email": "jane@example.com", "entityId": "OLD JANE"})
    ours = store.add("customer", {"email": "jane@example.com", "externalId": external_id("jane@example.com")})
    system = make_system(netsuite_emulator)

    assert system.load("order", [order_item()]) == [None]

    lookups = [request.json()["q"] for request in netsuite_emulator.requests
               if request.path.endswith("/suiteql") and "FROM customer" in request.json()["q"]]
    assert len(lookups) == 1 and " OR LOWER(email) = 'jane@example.com'" in lookups[0]
    assert not [request for request in netsuite_emulator.requests
                if request.method == "GET" and "/customer/" in request.path]
    assert next(iter(store.records["salesOrder"].values()))["entity"] == {"id": ours}


def order_item(number: str = "000000003", email: str = "jane@example.com", sku: str = "SKU-1") -> LoadItem:
    data = {"order_number": number, "customer_email": email, "customer_name": "Jane Doe", "status": "open",
            "currency": "EUR", "created_at": "2024-05-01T10:00:00+00:00", "grand_total": "22.00",
            "shipping_amount": "4.95",
            "lines": [{"sku": sku, "name": "Widget", "qty": "2", "price": "11.00", "row_total": "22.00"}]}
    return LoadItem(number, data, {"subsidiary": {"id": "1"}, "custbody_channel": "web"})


def test_a_redelivered_order_is_upserted_by_its_order_number_and_its_customer_created_once(netsuite_emulator):
    item_id = netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1"})
    system = make_system(netsuite_emulator)
    assert system.load("order", [order_item()]) == [None]
    assert system.load("order", [order_item()]) == [None]
    [order] = netsuite_emulator.store.records["salesOrder"].values()
    [customer] = netsuite_emulator.store.records["customer"].values()
    assert (order["externalId"], order["otherRefNum"], order["entity"]) == ("000000003", "000000003",
                                                                             {"id": customer["id"]})
    assert order["item"]["items"] == [{"item": {"id": item_id}, "quantity": 2.0, "rate": 11.0, "amount": 22.0,
                                       "description": "Widget", "line": 1}]
    assert (order["shippingCost"], order["subsidiary"], order["custbody_channel"]) == (4.95, {"id": "1"},
                                                                                        "web")
    assert (customer["email"], customer["firstName"], customer["lastName"]) == ("jane@example.com", "Jane",
                                                                                 "Doe")


def test_an_orders_money_reaches_netsuites_computed_total_to_the_cent(netsuite_emulator):
    store = netsuite_emulator.store
    shirt, mug = store.add("inventoryItem", {"itemId": "SHIRT"}), store.add("inventoryItem", {"itemId": "MUG"})
    discount = store.add("discountItem", {"itemId": "Shop discount"})
    tax = store.add("otherChargeSaleItem", {"itemId": "Shop tax"})
    ship = store.add("shipItem", {"itemId": "Flat rate"})
    system = make_system(netsuite_emulator, DISCOUNT_ITEM=discount, TAX_ITEM=tax,
                         SHIP_METHODS=f"flatrate_flatrate={ship}")
    # 2 x 19.99 with 4.00 off the line, 1 x 8.50; 5.00 off shipping; tax 4.27; shipping 10.
    data = {"order_number": "000000101", "customer_email": "jane@example.com", "status": "on_hold",
            "currency": "GBP", "created_at": "2024-05-01T10:00:00+00:00", "shipping_method": "flatrate_flatrate",
            "shipping_amount": "10.00", "discount_amount": "-9.00", "tax_amount": "4.27", "grand_total": "53.75",
            "billing_address": {"first_name": "Jane", "last_name": "Doe", "company": "Acme", "city": "Leeds",
                                "country_code": "GB", "street": ["1 Road"]},
            "lines": [{"sku": "SHIRT", "qty": "2", "price": "19.99", "row_total": "39.98", "discount": "4.00"},
                      {"sku": "MUG", "qty": "1", "price": "8.50"}]}
    assert system.load("order", [LoadItem("000000101", data, {})]) == [None]
    [order] = store.records["salesOrder"].values()
    assert order["total"] == 53.75  # Magento's grand_total: 48.48 subtotal - 9 discount + 4.27 tax + 10
    assert [(line["item"]["id"], line["amount"]) for line in order["item"]["items"]] == [
        (shirt, 39.98), (discount, -4.0), (mug, 8.5), (tax, 4.27)]
    assert (order["discountItem"], order["discountRate"]) == ({"id": discount}, -5.0)
    assert (order["currency"], order["orderStatus"], order["shipMethod"]) == ({"id": "2"}, {"id": "A"},
                                                                              {"id": ship})
    assert order["billingAddress"]["addressee"] == "Acme" and order["billingAddress"]["attention"] == "Jane Doe"
    assert netsuite_emulator.violations == []


def test_money_the_account_has_no_item_for_fails_the_order_naming_the_variable(netsuite_emulator):
    netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1"})
    item = order_item()
    item.data["tax_amount"] = "1.00"
    [outcome] = make_system(netsuite_emulator, TAX_ITEM="").load("order", [item])
    assert str(outcome) == ("Order '000000003' has tax amount (tax_amount), but PIPELINE_ERP_TAX_ITEM is not set: "
                            "NetSuite needs an item to carry it, or the order's total would be wrong.")
    item.data.update(tax_amount=None, currency="XYZ")
    [outcome] = make_system(netsuite_emulator).load("order", [item])
    assert str(outcome) == ("Order '000000003' is in XYZ, a currency the NetSuite account does not have (it "
                            "has: CAD, EUR, GBP, USD).")
    assert netsuite_emulator.store.records["salesOrder"] == {}


def test_a_customer_carries_category_subscription_birth_date_gender_and_company(netsuite_emulator):
    system = make_system(netsuite_emulator, DOB_FIELD="custentity_birthdate", GENDER_FIELD="custentity_gender")
    data = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "group": "3",
            "is_subscribed": False, "dob": "1815-12-10", "gender": "female",
            "addresses": [{"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines",
                           "street": ["1 St James's Sq"], "city": "London", "country_code": "GB",
                           "default_billing": True}]}
    assert system.load("customer", [LoadItem("ada@example.com", data, {})]) == [None]
    [customer] = netsuite_emulator.store.records["customer"].values()
    assert (customer["category"], customer["globalSubscriptionStatus"]) == ({"id": "3"}, {"id": "2"})
    assert (customer["custentity_birthdate"], customer["custentity_gender"]) == ("1815-12-10", "female")
    assert customer["companyName"] == "Analytical Engines"
    address = customer["addressBook"]["items"][0]["addressBookAddress"]
    assert (address["addressee"], address["attention"]) == ("Analytical Engines", "Ada Lovelace")
    [outcome] = make_system(netsuite_emulator, DOB_FIELD="").load("customer", [LoadItem("ada@example.com", data,
                                                                                     {})])
    assert str(outcome).startswith("Customer 'ada@example.com' has dob, but PIPELINE_ERP_DOB_FIELD (the customer "
                                   "custom field for it) is not set")


def test_an_orders_customer_is_found_by_email_when_it_has_no_external_id(netsuite_emulator):
    netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1"})
    existing = netsuite_emulator.store.add("customer", {"email": "Jane@Example.com", "entityId": "JANE"})
    system = make_system(netsuite_emulator)
    assert system.load("order", [order_item()]) == [None]
    assert list(netsuite_emulator.store.records["customer"]) == [existing]
    assert next(iter(netsuite_emulator.store.records["salesOrder"].values()))["entity"] == {"id": existing}


def test_one_bad_order_fails_alone_with_the_sku_and_line_named(netsuite_emulator):
    netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1"})
    system = make_system(netsuite_emulator)
    outcomes = system.load("order", [order_item("100", sku="SKU-404"), order_item("101")])
    assert str(outcomes[0]) == ("Unknown NetSuite item 'SKU-404' in order '100' (lines.0.sku): create the "
                                "item or fix the SKU mapping.")
    assert outcomes[1] is None
    orders = netsuite_emulator.store.records["salesOrder"].values()
    assert [order["externalId"] for order in orders] == ["101"]


def test_loading_an_entity_netsuite_does_not_take_fails_each_item_with_the_known_values(netsuite_emulator):
    outcomes = make_system(netsuite_emulator).load("invoice", [LoadItem("1", {}, {}), LoadItem("2", {}, {})])
    assert [type(outcome) for outcome in outcomes] == [UnknownNameError] * 2
    assert str(outcomes[0]) == "Unknown NetSuite load entity 'invoice'. Known values: customer, order."


def test_orders_transform_into_fulfillments_and_invoices_and_invoices_into_credit_memos(netsuite_emulator):
    store = netsuite_emulator.store
    item_id = store.add("inventoryItem", {"itemId": "SKU-1"})
    customer_id = store.add("customer", {"email": "jane@example.com"})
    lines = {"items": [{"item": {"id": item_id}, "quantity": 2, "rate": 11}]}
    order_id = store.add("salesOrder", {"entity": {"id": customer_id}, "item": lines})
    client = make_system(netsuite_emulator).client
    shipment_id = client.transform("salesOrder", order_id, "itemFulfillment", {
        "item": {"items": [{"orderLine": 1, "itemReceive": True, "quantity": 1}]},
        "package": {"items": [{"packageTrackingNumber": "1Z999"}]}})
    invoice_id = client.transform("salesOrder", order_id, "invoice")
    memo_id = client.transform("invoice", invoice_id, "creditMemo")
    shipment = client.get("itemFulfillment", shipment_id)
    assert shipment["createdFrom"]["id"] == order_id
    assert [line["quantity"] for line in shipment["item"]["items"]] == [1]
    assert shipment["package"]["items"][0]["packageTrackingNumber"] == "1Z999"
    assert client.get("creditMemo", memo_id)["createdFrom"]["id"] == invoice_id
    with pytest.raises(FatalError, match="INVALID_PARAMETER: Transformation from customer to invoice is not"):
        client.transform("customer", customer_id, "invoice")


def test_a_credit_memo_of_part_of_a_line_is_priced_at_that_part(netsuite_emulator):
    store = netsuite_emulator.store
    item_id = store.add("inventoryItem", {"itemId": "SKU-1"})
    customer_id = store.add("customer", {"email": "jane@example.com"})
    lines = {"items": [{"item": {"id": item_id}, "quantity": 3, "rate": 22.5, "amount": 67.5}]}
    order_id = store.add("salesOrder", {"entity": {"id": customer_id}, "item": lines})
    invoice_id = store.transform("salesOrder", order_id, "invoice", {})
    memo_id = store.transform("invoice", invoice_id, "creditMemo", {"item": {"items": [{"orderLine": 1,
                                                                                        "quantity": 1}]}})
    [line] = store.records["creditMemo"][memo_id]["item"]["items"]
    assert (line["quantity"], line["amount"], store.records["creditMemo"][memo_id]["total"]) == (1, 22.5, 22.5)
    assert store.records["invoice"][invoice_id]["total"] == 67.5


def test_fulfillments_invoices_and_credit_memos_carry_their_sales_orders_external_id_and_number(
        netsuite_emulator):
    store = netsuite_emulator.store
    item_id = store.add("inventoryItem", {"itemId": "SKU-1"})
    customer_id = store.add("customer", {"email": "jane@example.com"})
    lines = {"items": [{"item": {"id": item_id}, "quantity": 2, "rate": 11}]}
    # One order came from the shop (its external id is the shop's order number), one was keyed in.
    from_shop = store.add("salesOrder", {"entity": {"id": customer_id}, "externalId": "000000042", "item": lines})
    keyed_in = store.add("salesOrder", {"entity": {"id": customer_id}, "item": lines})
    fulfillment = store.transform("salesOrder", from_shop, "itemFulfillment", {})
    invoice = store.transform("salesOrder", from_shop, "invoice", {})
    memo = store.transform("invoice", invoice, "creditMemo", {})
    other_invoice = store.transform("salesOrder", keyed_in, "invoice", {})
    standalone_memo = store.add("creditMemo", {"entity": {"id": customer_id}})
    system = make_system(netsuite_emulator)

    found = {}
    for entity in ("shipment", "invoice", "credit_memo"):
        for page in system.extract(entity, since=None, refs=None, page_size=100):
            found.update({record["id"]: (record.get("createdFromExternalId"), record.get("createdFromTranId"))
                          for record in page.records})

    assert found == {fulfillment: ("000000042", f"SO{from_shop}"), invoice: ("000000042", f"SO{from_shop}"),
                     memo: ("000000042", f"SO{from_shop}"),  # through its invoice
                     other_invoice: (None, f"SO{keyed_in}"), standalone_memo: (None, None)}
    # One SuiteQL query per page and hop (the credit memos take two), not one request per record.
    lookups = [request.json()["q"] for request in netsuite_emulator.requests
               if request.path.endswith("/suiteql") and "FROM transaction WHERE id IN" in request.json()["q"]]
    assert len(lookups) == 4


def test_a_fulfillment_whose_order_is_gone_comes_out_without_an_order_number(netsuite_emulator):
    store = netsuite_emulator.store
    customer_id = store.add("customer", {"email": "jane@example.com"})
    order_id = store.add("salesOrder", {"entity": {"id": customer_id}, "externalId": "000000042"})
    fulfillment = store.transform("salesOrder", order_id, "itemFulfillment", {})
    del store.records["salesOrder"][order_id]

    [page] = make_system(netsuite_emulator).extract("shipment", since=None, refs=None, page_size=10)

    assert [record["id"] for record in page.records] == [fulfillment]
    assert "createdFromExternalId" not in page.records[0]


# Reads retried in place


def test_reads_are_retried_in_place_so_a_pull_survives_transient_faults():
    with NetSuiteEmulator(faults=Faults(error_rate=0.3, drop_rate=0.1, seed=11)) as emulator:
        ids = seed_customers(emulator, [T0 + dt.timedelta(seconds=n) for n in range(30)])
        pages, cursor = pull(make_system(emulator, read_retries=30), "customer", None, page_size=10)
        assert sum(pages, []) == ids
        assert json.loads(cursor)["id"] == ids[-1]
        assert emulator.counts["errors"] > 0 and emulator.counts["dropped"] > 0


def test_without_read_retries_the_first_fault_ends_the_pull():
    with NetSuiteEmulator(faults=Faults(error_rate=1.0)) as emulator:
        seed_customers(emulator, [T0])
        with pytest.raises(RetryableError, match="HTTP 503"):
            pull(make_system(emulator, read_retries=0), "customer", None)
        assert len(emulator.requests) == 1


def test_writes_are_never_retried_in_place():
    # A write whose answer was lost may have happened: the pipeline retries it, after the upsert
    # by external id made the second attempt harmless.
    with NetSuiteEmulator(faults=Faults(drop_after_rate=1.0)) as emulator:
        system = make_system(emulator, read_retries=5)
        with pytest.raises(RetryableError, match="ConnectionError"):
            system.client.upsert("customer", "C-1", {"email": "ada@example.com"})
        assert [request.method for request in emulator.requests] == ["PUT"]
        assert len(emulator.store.records["customer"]) == 1  # it did happen


# Errors


def test_netsuites_error_envelope_becomes_a_fatal_error_with_code_path_and_detail(netsuite_emulator):
    customer_id = netsuite_emulator.store.add("customer", {"email": "jane@example.com"})
    client = make_system(netsuite_emulator).client
    with pytest.raises(FatalError) as caught:
        client.create("salesOrder", {"entity": {"id": customer_id},
                                     "item": {"items": [{"item": {"id": "9999"}}]}})
    assert caught.value.status == 400
    assert str(caught.value).endswith(
        "/services/rest/record/v1/salesOrder: INVALID_CONTENT at item.items[0].item: Error while accessing "
        "resource: You have entered an Invalid Field Value 9999 for the following field: item.")
    with pytest.raises(NotFoundError, match="NONEXISTENT_ID: The record instance does not exist"):
        client.get("customer", "4242")


def test_a_429_is_retryable_whatever_its_error_code(netsuite_emulator):
    netsuite_emulator.faults = Faults(throttle_rate=1.0)
    with pytest.raises(RetryableError, match="HTTP 429 .*CONCURRENCY_LIMIT_EXCEEDED") as caught:
        make_system(netsuite_emulator).client.list_page("customer")
    assert caught.value.status == 429


def test_suiteql_refuses_queries_outside_its_subset_and_without_prefer_transient(netsuite_emulator):
    system = make_system(netsuite_emulator)
    with pytest.raises(FatalError, match="INVALID_PARAMETER: Invalid search query. .*Unexpected text"):
        system.client.suiteql("SELECT * FROM customer")
    # Straight through the transport, to leave the header out.
    with pytest.raises(FatalError, match="INVALID_PARAMETER: SuiteQL requests need the header 'Prefer: "):
        system.client.http.request("POST", "/services/rest/query/v1/suiteql",
                                   json={"q": "SELECT id FROM item"})


def test_suiteql_runs_the_shapes_a_client_may_send(netsuite_emulator):
    store = netsuite_emulator.store
    ada = store.add("customer", {"email": "Ada@Example.com", "externalId": "ada"})
    bob = store.add("customer", {"email": "bob@example.com"})
    acme = store.add("customer", {"email": "ap@acme.test", "companyName": "Acme"})
    system = make_system(netsuite_emulator)

    def ids(where: str) -> list[str]:
        return [row["id"] for row in system.client.suiteql(f"SELECT id FROM customer WHERE {where} ORDER BY id")
                ["items"]]

    assert ids("externalid IS NULL") == [bob, acme]
    assert ids("externalid IS NOT NULL") == [ada]
    assert ids("(UPPER(email) = 'ADA@EXAMPLE.COM' OR companyname IS NOT NULL) AND id > 0") == [ada, acme]
    assert ids("LOWER(email) IN ('ada@example.com', 'bob@example.com')") == [ada, bob]
    assert ids("NOT (LOWER(email) IN ('ada@example.com')) AND externalid NOT IN ('x')") == []


def test_an_unknown_field_is_refused_under_strict_property_names_with_netsuites_envelope(netsuite_emulator):
    system = make_system(netsuite_emulator)
    with pytest.raises(FatalError) as raised:
        system.client.http.request("POST", "/services/rest/record/v1/customer",
                                   headers={"X-NetSuite-PropertyNameValidation": "Error"},
                                   json={"email": "a@example.com", "gender": "f"})
    assert raised.value.status == 400
    assert str(raised.value).endswith("INVALID_CONTENT at gender: Error while accessing resource: Invalid field "
                                      "name 'gender' for record type customer.")
    # The body as NetSuite sends it (an OAuth 2.0 bearer token, to read it with plain requests).
    netsuite_emulator.bearer_tokens.add("token-1")
    answer = requests.post(netsuite_emulator.url + "/services/rest/record/v1/customer", timeout=5,
                           headers={"X-NetSuite-PropertyNameValidation": "Error",
                                    "Authorization": "Bearer token-1"}, json={"email": "a@example.com", "x": 1})
    assert answer.headers["Content-Type"] == "application/vnd.oracle.resource+json; type=error"
    assert answer.json() == {
        "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1", "title": "Bad Request",
        "status": 400, "o:errorDetails": [{
            "detail": "Error while accessing resource: Invalid field name 'x' for record type customer.",
            "o:errorCode": "INVALID_CONTENT", "o:errorPath": "x"}]}
    assert netsuite_emulator.store.records["customer"] == {}


def test_without_strict_property_names_an_unknown_field_is_dropped_and_noted_as_a_violation(netsuite_emulator):
    system = make_system(netsuite_emulator)
    system.client.http.request("POST", "/services/rest/record/v1/customer",
                               json={"email": "a@example.com", "gender": "f", "custentity_dob": "1990-01-02"})
    assert netsuite_emulator.violations == ["POST /services/rest/record/v1/customer: not fields of customer "
                                            "(ignored by NetSuite): gender."]
    netsuite_emulator.violations.clear()


def test_a_field_of_the_wrong_type_is_refused_with_the_field_path(netsuite_emulator):
    netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1"})
    system = make_system(netsuite_emulator)
    customer = system.client.create("customer", {"email": "a@example.com"})
    with pytest.raises(FatalError, match=r"INVALID_CONTENT at item.items\[0\].quantity: Error while accessing "
                                         r"resource: You have entered an Invalid Field Value '2' for the "
                                         r"following field: quantity"):
        system.client.create("salesOrder", {"entity": {"id": customer},
                                            "item": {"items": [{"item": {"id": "101"}, "quantity": "2"}]}})


def test_our_client_asks_for_strict_property_names_on_every_write(netsuite_emulator):
    netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1"})
    make_system(netsuite_emulator).load("order", [order_item()])
    writes = [r for r in netsuite_emulator.requests if r.method in ("POST", "PUT", "PATCH") and "/record/" in r.path]
    assert writes and all(r.headers["x-netsuite-propertynamevalidation"] == "Error" for r in writes)


def test_an_upsert_answered_without_location_succeeds_when_the_id_is_not_needed(netsuite_emulator):
    netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1"})
    netsuite_emulator.location_on_update = False
    system = make_system(netsuite_emulator)
    assert system.load("order", [order_item()]) == [None]
    assert system.load("order", [order_item()]) == [None]  # the update: a 204 without Location
    assert "location" not in {name.lower() for name in _last_put_headers(netsuite_emulator, system)}
    assert len(netsuite_emulator.store.records["salesOrder"]) == 1


def test_an_upsert_whose_id_is_needed_reads_it_back_when_location_is_missing(netsuite_emulator):
    netsuite_emulator.location_on_update = False
    system = make_system(netsuite_emulator)
    first = system.client.upsert_id("customer", "jane", {"email": "jane@example.com"})
    assert system.client.upsert_id("customer", "jane", {"email": "jane@example.com"}) == first


def _last_put_headers(emulator: NetSuiteEmulator, system: NetSuiteSystem) -> dict:
    put = [r for r in emulator.requests if r.method == "PUT"][-1]
    answer = system.client.http.request("PUT", put.path + "?replace=item", data=put.body,
                                        headers={"Content-Type": "application/json"})
    return dict(answer.headers)


# Incremental pulls


def test_keyset_paging_reads_past_the_suiteql_row_cap_that_offset_paging_hits(netsuite_emulator):
    netsuite_emulator.suiteql_max_rows = 20  # 100,000 in NetSuite; lowered so the test stays small
    ids = seed_customers(netsuite_emulator, [T0 + dt.timedelta(seconds=n // 4) for n in range(45)])
    system = make_system(netsuite_emulator)
    pages, _ = pull(system, "customer", None, page_size=10)
    assert [len(page) for page in pages] == [10, 10, 10, 10, 5]
    assert sum(pages, []) == ids
    queries = [request for request in netsuite_emulator.requests if request.path.endswith("/suiteql")]
    assert {request.arg("offset") for request in queries} == {"0"}
    with pytest.raises(FatalError, match="limited to 20 rows; offset 20 is past them"):
        system.client.suiteql("SELECT id FROM customer ORDER BY id", limit=10, offset=20)


def test_a_page_boundary_inside_one_stamp_neither_skips_nor_repeats(netsuite_emulator):
    ids = seed_customers(netsuite_emulator, [T0, T0, T0, T0 + dt.timedelta(seconds=30), T0])
    pages, cursor = pull(make_system(netsuite_emulator), "customer", None, page_size=2)
    assert pages == [[ids[0], ids[1]], [ids[2], ids[4]], [ids[3]]]
    assert json.loads(cursor)["modified"] == "2024-01-15 10:00:30"
    assert json.loads(cursor)["id"] == ids[3]


def test_the_look_back_window_catches_late_commits_and_skips_rows_already_read(netsuite_emulator):
    store = netsuite_emulator.store
    ids = seed_customers(netsuite_emulator, [T0, T0, T0 + dt.timedelta(seconds=30),
                                             T0 + dt.timedelta(seconds=60)])
    system = make_system(netsuite_emulator, lookback_s=60)
    _, cursor = pull(system, "customer", None, page_size=2)
    again, cursor = pull(system, "customer", cursor, page_size=2)
    assert sum(again, []) == []
    late = store.add("customer", {"email": "late@example.com"}, modified=T0 + dt.timedelta(seconds=45))
    store.touch("customer", ids[1], modified=T0 + dt.timedelta(seconds=90))
    too_late = store.add("customer", {"email": "old@example.com"}, modified=T0 - dt.timedelta(seconds=1))
    pages, cursor = pull(system, "customer", cursor, page_size=2)
    assert sum(pages, []) == [late, ids[1]]
    assert too_late not in sum(pages, [])  # older than the window: the window's documented limit
    assert (Cursor.parse(cursor).modified, Cursor.parse(cursor).id) == ("2024-01-15 10:01:30", int(ids[1]))


def test_a_pull_returns_whole_records_changed_since_the_cursor_and_a_new_cursor(netsuite_emulator):
    clock = netsuite_emulator.store.clock = Clock(T0)
    item_id = netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1"})
    customer_id = netsuite_emulator.store.add("customer", {"email": "jane@example.com"})
    first = netsuite_emulator.store.add("salesOrder", {"entity": {"id": customer_id}})
    system = make_system(netsuite_emulator, lookback_s=0)
    _, cursor = pull(system, "order", None)
    clock.now = T0 + dt.timedelta(minutes=5)
    new = system.client.create("salesOrder", {"entity": {"id": customer_id},
                                              "item": {"items": [{"item": {"id": item_id}, "quantity": 1}]}})
    system.client.update("salesOrder", first, {"memo": "changed"})
    netsuite_emulator.store.add("customer", {"email": "not-an-order@example.com"})
    pages = list(system.extract("order", since=cursor, refs=None, page_size=100))
    records = [record for page in pages for record in page.records]
    assert [(record["id"], record.get("memo")) for record in records] == [(first, "changed"), (new, None)]
    # sublists come expanded, and references with their refName (an item's is its name, the SKU)
    assert records[1]["item"]["items"][0]["item"] == {"id": item_id, "refName": "SKU-1"}
    assert json.loads(pages[-1].cursor)["modified"] == "2024-01-15 10:05:00"
    assert json.loads(pages[-1].cursor)["id"] == new


def test_inventory_comes_out_as_one_row_per_item_location(netsuite_emulator):
    netsuite_emulator.store.add("inventoryItem", {"itemId": "SKU-1", "locations": {"items": [
        {"location": {"id": "1", "refName": "Main"}, "quantityAvailable": 5},
        {"location": {"id": "2", "refName": "Outlet"}, "quantityAvailable": 0}]}})
    [page] = make_system(netsuite_emulator).extract("inventory", since=None, refs=None, page_size=10)
    stock = [(row["itemId"], row["location"]["refName"], row["quantityAvailable"]) for row in page.records]
    assert stock == [("SKU-1", "Main", 5), ("SKU-1", "Outlet", 0)]


def test_a_cursor_this_system_did_not_write_is_a_config_error():
    with pytest.raises(ConfigError, match=re.escape("Invalid NetSuite cursor '2024-01-15': expected JSON")):
        Cursor.parse("2024-01-15")
    with pytest.raises(ConfigError):
        Cursor.parse(json.dumps({"modified": "2024-01-15 10:00:00' OR 1=1 --", "id": "1"}))


# Concurrency governance


def hammer(system: NetSuiteSystem, record_id: str, requests_count: int = 30, threads: int = 8) -> int:
    """Send ``requests_count`` GETs from ``threads`` threads; returns how many were answered 429."""
    def one(_: int) -> int:
        try:
            system.client.get("customer", record_id)
        except RetryableError as error:
            assert error.status == 429
            return 1
        return 0

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(one, range(requests_count)))


def test_the_concurrency_budget_keeps_eight_threads_under_the_accounts_limit():
    with NetSuiteEmulator(faults=Faults(max_concurrent=3, latency_s=0.03)) as emulator:
        record_id = emulator.store.add("customer", {"email": "ada@example.com"})
        throttled = hammer(make_system(emulator, concurrency=3), record_id)
        assert (throttled, emulator.counts["over_concurrency"]) == (0, 0)
        assert len(emulator.requests) == 30
        assert 2 <= emulator.peak_in_flight <= 3


def test_without_a_budget_the_same_load_is_throttled_so_the_budget_test_can_fail():
    # A longer latency than the budget test's, so the threads overlap even on a busy machine.
    with NetSuiteEmulator(faults=Faults(max_concurrent=3, latency_s=0.15)) as emulator:
        record_id = emulator.store.add("customer", {"email": "ada@example.com"})
        throttled = hammer(make_system(emulator, concurrency=100, read_retries=0), record_id)
        assert throttled > 0
        assert emulator.peak_in_flight > 3


def test_a_batchs_records_load_in_parallel_up_to_the_budget_and_each_lands_whole():
    with NetSuiteEmulator(faults=Faults(max_concurrent=3, latency_s=0.1)) as emulator:
        people = [LoadItem(f"p{n}@example.com", {"email": f"p{n}@example.com", "first_name": f"First{n}",
                                                 "last_name": "Last"}, {}) for n in range(9)]
        assert make_system(emulator, concurrency=3).load("customer", people) == [None] * 9
        # One record opens the batch alone; the other eight share the account's three slots.
        assert emulator.counts["over_concurrency"] == 0 and 2 <= emulator.peak_in_flight <= 3
        stored = {record["email"]: record for record in emulator.store.records["customer"].values()}
        assert {email: (record["firstName"], record["externalId"]) for email, record in stored.items()} == {
            f"p{n}@example.com": (f"First{n}", external_id(f"p{n}@example.com")) for n in range(9)}
        emulator.assert_contract_kept()


def test_parallel_orders_of_one_new_customer_create_it_once_and_look_items_up_once():
    # A latency, so that the five orders would all miss the caches at once without the loader's lock.
    with NetSuiteEmulator(faults=Faults(latency_s=0.05)) as netsuite_emulator:
        _orders_of_one_customer_in_parallel(netsuite_emulator)


def _orders_of_one_customer_in_parallel(netsuite_emulator: NetSuiteEmulator) -> None:
    for sku in ("SKU-1", "SKU-2"):
        netsuite_emulator.store.add("inventoryItem", {"itemId": sku})
    system = make_system(netsuite_emulator, concurrency=4)
    # The first opens the batch alone (another customer, another item); the five after it load at once.
    orders = [order_item(number="000000010", email="first@example.com", sku="SKU-2"),
              *(order_item(number=f"00000001{n}") for n in range(1, 6))]
    assert system.load("order", orders) == [None] * 6
    assert len(netsuite_emulator.store.records["customer"]) == 2
    assert len(netsuite_emulator.store.records["salesOrder"]) == 6
    queries = [request.json()["q"] for request in netsuite_emulator.requests if request.path.endswith("/suiteql")]
    assert sum("FROM customer" in query for query in queries) == 2
    assert sum("FROM item" in query for query in queries) == 2
    assert sum(request.method == "PUT" and "/customer/" in request.path for request in netsuite_emulator.requests) == 2
