"""The Magento 2 system against its emulator, over real loopback HTTP (our client is never patched).

Every test's emulator must end without schema violations: each request our client sent was
checked against Adobe's official admin schema (the vendored subset).
"""

from __future__ import annotations

import json
import re
from itertools import islice
from pathlib import Path

import pytest
import requests

from pipeline.errors import AuthError, ConfigError, FatalError, NotFoundError, RecordError, RetryableError
from pipeline.systems import SYSTEMS, build_system
from pipeline.systems.base import LoadItem
from pipeline.systems.magento2 import Magento2System
from pipeline.systems.magento2.auth import OAuthCredentials, OAuthSigner
from pipeline.systems.magento2.client import fill_placeholders
from pipeline.systems.magento2.search import SearchCriteria
from pipeline.testing.magento2 import Magento2Emulator, magento2_emulator  # noqa: F401 (a fixture)
from pipeline.testing.magento2 import oauth as emulator_oauth
from pipeline.testing.server import Faults
from pipeline.testing.clock import Clock

#: The emulators give a connection's variables only; the concurrency budget stays in process.
STUB_BROKER = {"PIPELINE_BROKER_URL": "stub://"}

ROOT = Path(__file__).resolve().parents[3]
OFFICIAL_SCHEMA = ROOT.parent / "shared" / "specs" / "magento2-admin-schema-2.4.9.yaml"

# CONTRACTS.md 1.2, worked example.
EXAMPLE_URL = ("https://magento.test/rest/default/V1/orders"
               "?searchCriteria[pageSize]=50&searchCriteria[currentPage]=1")
EXAMPLE = OAuthCredentials("ck0123456789abcdef0123456789abcd", "cs0123456789abcdef0123456789abcd",
                           "at0123456789abcdef0123456789abcd", "as0123456789abcdef0123456789abcd")
EXAMPLE_BASE_STRING = (
    "GET&https%3A%2F%2Fmagento.test%2Frest%2Fdefault%2FV1%2Forders"
    "&oauth_consumer_key%3Dck0123456789abcdef0123456789abcd"
    "%26oauth_nonce%3D6a7f0c2d9b%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000"
    "%26oauth_token"
    "%3Dat0123456789abcdef0123456789abcd%26oauth_version%3D1.0%26searchCriteria%255BcurrentPage%255D%3D1"
    "%26searchCriteria%255BpageSize%255D%3D50")
EXAMPLE_SIGNATURE = "f2WHRQ2Fx27S4yOgYvnNXnoaqSsROb6BQ8RqBExU1vw="
MAX_PAGES = 50


@pytest.fixture
def shop(magento2_emulator):  # noqa: F811 (the imported fixture)
    yield magento2_emulator
    assert magento2_emulator.violations == []


def system(emulator: Magento2Emulator, auth: str = "admin", **settings: str) -> Magento2System:
    environ = {**emulator.environ("shop", auth), **STUB_BROKER, **{f"PIPELINE_SHOP_{k}": v for k, v in settings.items()}}
    return build_system("magento2", "shop", environ)


def calls(emulator: Magento2Emulator, method: str, path_end: str) -> int:
    return sum(1 for r in emulator.requests if r.method == method and r.path.endswith(path_end))


def extract_all(system_: Magento2System, entity: str, **kwargs) -> tuple[list[dict], str | None]:
    records, cursor = [], None
    pages = system_.extract(entity, since=kwargs.get("since"), refs=kwargs.get("refs"),
                            page_size=kwargs.get("page_size", 100))
    # Bounded, so that a client that never stops paging fails instead of hanging the suite.
    for page in islice(pages, MAX_PAGES + 1):
        records += page.records
        cursor = page.cursor or cursor
    assert len(records) < MAX_PAGES, "the extract did not stop paging"
    return records, cursor


# Configuration ------------------------------------------------------------------------------------

def test_the_system_is_registered_as_magento2():
    assert SYSTEMS["magento2"] is Magento2System


def test_missing_settings_are_all_reported_by_name():
    with pytest.raises(ConfigError) as raised:
        Magento2System.from_env("shop", {"PIPELINE_SHOP_PAGE_SIZE": "0"})
    message = str(raised.value)
    assert "PIPELINE_SHOP_URL is not set" in message
    assert ("No credentials: set PIPELINE_SHOP_TOKEN; or PIPELINE_SHOP_USERNAME and PIPELINE_SHOP_PASSWORD; "
            "or PIPELINE_SHOP_CONSUMER_KEY and PIPELINE_SHOP_CONSUMER_SECRET and PIPELINE_SHOP_ACCESS_TOKEN "
            "and PIPELINE_SHOP_ACCESS_TOKEN_SECRET.") in message
    assert "PIPELINE_SHOP_PAGE_SIZE='0' must be at least 1." in message


def test_contradictory_or_partial_credentials_name_the_variables_never_the_values():
    base = {"PIPELINE_SHOP_URL": "https://shop.test/rest/default"}
    with pytest.raises(ConfigError, match=r"More than one kind of credentials is set \(PIPELINE_SHOP_TOKEN, "
                                          r"PIPELINE_SHOP_USERNAME\)") as raised:
        Magento2System.from_env("shop", {**base, "PIPELINE_SHOP_TOKEN": "s3cr3t-token",
                                         "PIPELINE_SHOP_USERNAME": "admin"})
    assert "s3cr3t-token" not in str(raised.value)
    with pytest.raises(ConfigError, match="PIPELINE_SHOP_CONSUMER_SECRET, PIPELINE_SHOP_ACCESS_TOKEN_SECRET "
                                          "are not set") as raised:
        Magento2System.from_env("shop", {**base, "PIPELINE_SHOP_CONSUMER_KEY": "ck-value",
                                         "PIPELINE_SHOP_ACCESS_TOKEN": "at-value"})
    assert "ck-value" not in str(raised.value) and "at-value" not in str(raised.value)
    with pytest.raises(ConfigError, match="must include the REST path and store code"):
        Magento2System.from_env("shop", {"PIPELINE_SHOP_URL": "https://shop.test",
                                         "PIPELINE_SHOP_TOKEN": "t"})


def test_settings_have_defaults_and_the_secrets_stay_out_of_repr():
    config = Magento2System.from_env("shop", {"PIPELINE_SHOP_URL": "https://shop.test/rest/default/",
                                              "PIPELINE_SHOP_TOKEN": "s3cr3t-token",
                                              "PIPELINE_BROKER_URL": "stub://"}).config
    assert config.base_url == "https://shop.test/rest/default"
    assert (config.website_id, config.lookback_s) == (1, 300)
    assert (config.concurrency, config.inventory_api, config.page_size) == (4, "msi", None)
    assert "s3cr3t-token" not in repr(config)


# Authentication -----------------------------------------------------------------------------------

def test_oauth_signature_reproduces_the_contracts_worked_example_byte_for_byte():
    signer = OAuthSigner(EXAMPLE, nonce=lambda: "6a7f0c2d9b", clock=lambda: 1700000000)
    assert signer.base_string("GET", EXAMPLE_URL, signer.oauth_params()) == EXAMPLE_BASE_STRING
    prepared = requests.Request("GET", EXAMPLE_URL).prepare()
    signer.sign(prepared)
    header = emulator_oauth.parse_header(prepared.headers["Authorization"])
    assert header["oauth_signature"] == EXAMPLE_SIGNATURE
    assert header["oauth_signature_method"] == "HMAC-SHA256" and header["oauth_version"] == "1.0"
    # The same query sent percent-encoded (as requests encodes params=) signs identically.
    encoded = EXAMPLE_URL.replace("[", "%5B").replace("]", "%5D")
    assert signer.authorization("GET", encoded) == prepared.headers["Authorization"]


def test_the_emulators_own_oauth_check_computes_the_worked_example_too():
    oauth = {"oauth_consumer_key": EXAMPLE.consumer_key, "oauth_nonce": "6a7f0c2d9b",
             "oauth_signature_method": "HMAC-SHA256", "oauth_timestamp": "1700000000",
             "oauth_token": EXAMPLE.access_token, "oauth_version": "1.0"}
    query = [("searchCriteria[pageSize]", "50"), ("searchCriteria[currentPage]", "1")]
    text = emulator_oauth.base_string("GET", "https://magento.test/rest/default/V1/orders", query, oauth)
    assert text == EXAMPLE_BASE_STRING
    assert emulator_oauth.signature("HMAC-SHA256", text, EXAMPLE.consumer_secret,
                                    EXAMPLE.access_token_secret) == EXAMPLE_SIGNATURE


def test_oauth_signed_requests_pass_and_a_wrong_secret_gets_magentos_401(shop):
    shop.add_customer(email="ada@example.com", firstname="Ada", lastname="Lovelace")
    records, _ = extract_all(system(shop, "oauth"), "customer")
    assert [r["email"] for r in records] == ["ada@example.com"]
    wrong = {**shop.environ("shop", "oauth"), **STUB_BROKER, "PIPELINE_SHOP_CONSUMER_SECRET": "wrong"}
    with pytest.raises(AuthError, match="The signature is invalid. Verify and try again."):
        extract_all(Magento2System.from_env("shop", wrong), "customer")


def test_an_admin_token_is_fetched_once_then_again_once_after_a_401(shop):
    shop.add_customer(email="ada@example.com", firstname="Ada", lastname="Lovelace")
    shop_system = system(shop, "admin")
    extract_all(shop_system, "customer")
    extract_all(shop_system, "customer")
    assert calls(shop, "POST", "/V1/integration/admin/token") == 1
    shop.expire_admin_tokens()
    records, _ = extract_all(shop_system, "customer")
    assert len(records) == 1
    assert calls(shop, "POST", "/V1/integration/admin/token") == 2
    schemes = [r.headers.get("authorization", "")[:7] for r in shop.requests if "search" in r.path]
    assert schemes == ["Bearer "] * 4


def test_bad_admin_credentials_fail_with_magentos_message(shop):
    environ = {**shop.environ("shop", "admin"), **STUB_BROKER, "PIPELINE_SHOP_PASSWORD": "nope"}
    with pytest.raises(AuthError, match="The account sign-in was incorrect or your account is disabled "
                                        "temporarily. Please wait and try again later."):
        extract_all(Magento2System.from_env("shop", environ), "order")
    # One login attempt: renewing a token that was never issued cannot help.
    assert calls(shop, "POST", "/V1/integration/admin/token") == 1


def test_an_integration_token_works_as_bearer_only_where_the_shop_allows_it(shop):
    with pytest.raises(AuthError, match=r"HTTP 401 .*The consumer isn't authorized to access "
                                        r"Magento_Sales::actions_view\."):
        extract_all(system(shop, "token"), "order")
    shop.integration_as_bearer = True
    shop.add_order()
    records, _ = extract_all(system(shop, "token"), "order")
    assert len(records) == 1


# searchCriteria and paging ------------------------------------------------------------------------

def test_search_criteria_builds_the_bracketed_parameters():
    criteria = (SearchCriteria(page_size=50).where("updated_at", "2024-05-01 10:00:00", "gteq")
                .where("email", ["a@x.com", "b@x.com"], "in")
                .order_by("updated_at").order_by("entity_id", "desc"))
    assert criteria.params(current_page=3) == [
        ("searchCriteria[filterGroups][0][filters][0][field]", "updated_at"),
        ("searchCriteria[filterGroups][0][filters][0][value]", "2024-05-01 10:00:00"),
        ("searchCriteria[filterGroups][0][filters][0][conditionType]", "gteq"),
        ("searchCriteria[filterGroups][1][filters][0][field]", "email"),
        ("searchCriteria[filterGroups][1][filters][0][value]", "a@x.com,b@x.com"),
        ("searchCriteria[filterGroups][1][filters][0][conditionType]", "in"),
        ("searchCriteria[sortOrders][0][field]", "updated_at"),
        ("searchCriteria[sortOrders][0][direction]", "ASC"),
        ("searchCriteria[sortOrders][1][field]", "entity_id"),
        ("searchCriteria[sortOrders][1][direction]", "DESC"),
        ("searchCriteria[pageSize]", "50"),
        ("searchCriteria[currentPage]", "3"),
    ]
    or_group = SearchCriteria().any_of(*SearchCriteria().where("sku", "A").groups[0],
                                       *SearchCriteria().where("sku", "B%", "like").groups[0])
    assert [name for name, _ in or_group.params()][3] == "searchCriteria[filterGroups][0][filters][1][field]"
    with pytest.raises(ValueError, match="Unknown searchCriteria condition type 'equals'"):
        SearchCriteria().where("sku", "A", "equals")


def test_paging_ends_exactly_at_total_count_although_magento_repeats_the_last_page(shop):
    for n in range(5):
        shop.add_order(customer_email=f"c{n}@example.com")
    shop_system = system(shop)
    # At most 10 pages: a client that waited for an empty page would get the last one forever.
    pages = list(islice(shop_system.extract("order", since=None, refs=None, page_size=2), 10))
    records = [record for page in pages for record in page.records]
    assert [r["customer_email"] for r in records] == [f"c{n}@example.com" for n in range(5)]
    assert calls(shop, "GET", "/V1/orders") == 3
    # What a client waiting for an empty page would get instead:
    criteria = SearchCriteria(page_size=2).order_by("entity_id")
    past_end = shop_system.client.get("/V1/orders", criteria.params(current_page=9))
    assert [o["customer_email"] for o in past_end["items"]] == ["c4@example.com"]
    assert past_end["total_count"] == 5


# Extract ------------------------------------------------------------------------------------------

def test_an_incremental_pull_rereads_the_lookback_window_and_delivers_each_version_once(shop):
    clock = Clock("2024-05-01T10:00:00")
    shop.clock = clock
    shop_system = system(shop, LOOKBACK_S="300")
    first = [shop.add_customer(email=f"c{n}@example.com", firstname="C", lastname=str(n)) for n in range(3)]
    records, cursor = extract_all(shop_system, "customer", page_size=2)
    assert [r["id"] for r in records] == [c["id"] for c in first]
    assert json.loads(cursor)["updated_at"] == "2024-05-01 10:00:00"
    assert json.loads(cursor)["id"] == first[-1]["id"]

    # Same second as the cursor (the boundary), a late commit stamped inside the window, and a newer change.
    same_second = shop.add_customer(email="same@example.com", firstname="S", lastname="S")
    late = shop.add_customer(email="late@example.com", firstname="L", lastname="L",
                             updated_at="2024-05-01 09:58:00")
    clock.set("2024-05-01T10:07:00")
    newer = shop.add_customer(email="new@example.com", firstname="N", lastname="N")
    records, cursor = extract_all(shop_system, "customer", since=cursor, page_size=2)
    assert sorted(r["id"] for r in records) == sorted([same_second["id"], late["id"], newer["id"]])
    assert json.loads(cursor)["updated_at"] == "2024-05-01 10:07:00"
    assert json.loads(cursor)["id"] == newer["id"]
    query = dict(shop.requests[-1].query)
    assert query["searchCriteria[filterGroups][0][filters][0][value]"] == "2024-05-01 09:55:00"
    assert query["searchCriteria[filterGroups][0][filters][0][conditionType]"] == "gteq"

    # Nothing changed: nothing is delivered again, though the window is read again.
    again, _ = extract_all(shop_system, "customer", since=cursor)
    assert again == []
    # A plain timestamp is a starting point too (an operator's `connector cursor --set`), less the look-back.
    from_time, _ = extract_all(shop_system, "customer", since="2024-05-01T10:03:00Z")
    expected = [late["id"], *[c["id"] for c in first], same_second["id"], newer["id"]]
    assert [r["id"] for r in from_time] == expected
    with pytest.raises(ConfigError, match="Invalid Magento 2 cursor 'yesterday'"):
        extract_all(shop_system, "customer", since="yesterday")


def test_refs_filter_by_natural_key_with_the_in_condition(shop):
    for n in range(3):
        shop.add_customer(email=f"c{n}@example.com", firstname="C", lastname=str(n))
    records, _ = extract_all(system(shop), "customer", refs=["c0@example.com", "c2@example.com"])
    assert sorted(r["email"] for r in records) == ["c0@example.com", "c2@example.com"]
    query = dict(shop.requests[-1].query)
    assert query["searchCriteria[filterGroups][0][filters][0][conditionType]"] == "in"


def test_orders_come_with_items_addresses_and_shipping_assignments(shop):
    shop.add_order(items=[{"sku": "TEE-M", "price": 20, "qty_ordered": 2, "product_type": "configurable",
                           "child": {"name": "Tee M"}}])
    (order,), _ = extract_all(system(shop), "order")
    lines = [(i["sku"], bool(i.get("parent_item_id"))) for i in order["items"]]
    assert lines == [("TEE-M", False), ("TEE-M", True)]
    assert order["billing_address"]["country_id"] == "US"
    (assignment,) = order["extension_attributes"]["shipping_assignments"]
    assert assignment["shipping"]["method"] == "flatrate_flatrate" and len(assignment["items"]) == 2


def test_products_and_both_kinds_of_stock_are_extracted(shop):
    shop.add_product("SKU-A", price=12.5)
    shop.add_product("SKU-B")
    shop.set_source_item("SKU-A", "default", 7)
    shop.tables.sources.add("berlin")
    shop.set_source_item("SKU-A", "berlin", 3)
    products, _ = extract_all(system(shop), "product")
    assert [p["sku"] for p in products] == ["SKU-A", "SKU-B"]
    msi, cursor = extract_all(system(shop), "inventory")
    stock = [(s["sku"], s["source_code"], s["quantity"]) for s in msi]
    assert stock == [("SKU-A", "berlin", 3), ("SKU-A", "default", 7)]
    assert cursor is None
    legacy, _ = extract_all(system(shop, INVENTORY_API="legacy"), "inventory")
    assert [(s["sku"], s["qty"]) for s in legacy] == [("SKU-A", 7), ("SKU-B", 0)]
    one, _ = extract_all(system(shop, INVENTORY_API="legacy"), "inventory", refs=["SKU-B@default", "NOPE"])
    assert [s["sku"] for s in one] == ["SKU-B"]


def test_invoices_shipments_and_credit_memos_are_extracted(shop):
    order = shop.add_order(items=[{"sku": "A", "qty_ordered": 2, "price": 5}])
    shop_system = system(shop)
    assert shop_system.load("invoice", [document("invoice", "INV-1", order)]) == [None]
    assert shop_system.load("shipment", [document("shipment", "SH-1", order)]) == [None]
    assert shop_system.load("credit_memo", [document("credit_memo", "CM-1", order, qty="1")]) == [None]
    for entity in ("invoice", "shipment", "credit_memo"):
        records, cursor = extract_all(shop_system, entity)
        assert [r["order_id"] for r in records] == [order["entity_id"]]
        assert json.loads(cursor)["id"] == records[0]["entity_id"]


# Load ---------------------------------------------------------------------------------------------

def customer_item(email: str = "ada@example.com", **data) -> LoadItem:
    address = {"first_name": "Ada", "last_name": "Lovelace", "street": ["1 Main St"], "city": "Austin",
               "region": "tx", "postcode": "78701", "country_code": "US", "default_billing": True}
    data = {"email": email, "first_name": "Ada", "last_name": "Lovelace", "addresses": [address], **data}
    return LoadItem(email, data, {"group_id": 2, "custom_attributes": {"erp_code": "E-1"}})


def test_customers_are_created_then_updated_by_email_and_website(shop):
    shop_system = system(shop)
    assert shop_system.load("customer", [customer_item()]) == [None]
    (created,) = shop.tables.customers.values()
    assert created["group_id"] == 2 and created["website_id"] == 1
    assert created["addresses"][0]["region"] == {"region_code": "TX", "region": "Texas", "region_id": 57}
    assert created["custom_attributes"] == [{"attribute_code": "erp_code", "value": "E-1"}]
    address_id = created["addresses"][0]["id"]
    assert shop_system.load("customer", [customer_item(first_name="Augusta", gender="female")]) == [None]
    (updated,) = shop.tables.customers.values()
    assert (updated["id"], updated["firstname"], updated["gender"]) == (created["id"], "Augusta", 2)
    assert [a["id"] for a in updated["addresses"]] == [address_id]
    assert calls(shop, "POST", "/V1/customers") == 1
    assert calls(shop, "PUT", f"/V1/customers/{created['id']}") == 1
    # The same email in another website is another customer.
    other = LoadItem("ada@example.com", customer_item().data, {"website_id": 2})
    assert shop_system.load("customer", [other]) == [None]
    assert len(shop.tables.customers) == 2


def test_one_bad_customer_fails_alone_with_a_readable_error(shop):
    bad = customer_item("bob@example.com", group="wholesale")
    outcomes = system(shop).load("customer", [customer_item(), bad])
    assert outcomes[0] is None
    assert isinstance(outcomes[1], RecordError)
    assert str(outcomes[1]).startswith("group: 'wholesale' is not a Magento customer group id")


def test_products_are_upserted_by_sku(shop):
    item = LoadItem("SKU-1", {"sku": "SKU-1", "name": "Tee", "price": "19.90", "status": "enabled",
                              "visibility": "catalog_search", "description": "Soft", "website_ids": ["1"]},
                    {"attribute_set_id": 9})
    shop_system = system(shop)
    assert shop_system.load("product", [item]) == [None]
    assert shop_system.load("product", [LoadItem("SKU-1", {**item.data, "price": "17.50"}, {})]) == [None]
    product = shop.tables.products["SKU-1"]
    assert (product["price"], product["attribute_set_id"], product["visibility"]) == (17.5, 9, 4)
    assert {"attribute_code": "description", "value": "Soft"} in product["custom_attributes"]
    # An install whose PUT does not create: the system falls back to POST /V1/products.
    shop.put_creates_products = False
    cap = LoadItem("SKU-2", {"sku": "SKU-2", "name": "Cap", "price": "5"}, {})
    assert shop_system.load("product", [cap]) == [None]
    assert calls(shop, "POST", "/V1/products") == 1 and "SKU-2" in shop.tables.products


def test_a_rejected_product_gets_magentos_400_message_as_a_fatal_error(shop):
    (outcome,) = system(shop).load("product", [LoadItem("SKU-9", {"sku": "SKU-9", "name": "No price"}, {})])
    assert isinstance(outcome, FatalError) and not isinstance(outcome, RetryableError)
    assert outcome.status == 400
    assert str(outcome).endswith('The "price" attribute value is empty. Set the attribute and try again.')


def test_msi_stock_is_saved_in_one_batch_and_only_the_bad_record_fails(shop):
    items = [LoadItem(f"{sku}@{source}", {"sku": sku, "source_code": source, "quantity": qty}, {})
             for sku, source, qty in [("A", "default", "5"), ("B", "nowhere", "1"), ("C", "default", "0")]]
    outcomes = system(shop).load("inventory", items)
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], FatalError)
    assert str(outcomes[1]).endswith('Validation Failed Source with code "nowhere" does not exist.')
    assert shop.tables.source_items[("A", "default")] == {"sku": "A", "source_code": "default", "quantity": 5,
                                                          "status": 1}
    assert shop.tables.source_items[("C", "default")]["status"] == 0


def test_legacy_stock_updates_the_stock_item_of_the_sku(shop):
    shop.add_product("A")
    shop_system = system(shop, INVENTORY_API="legacy")
    outcomes = shop_system.load("inventory", [
        LoadItem("A@default", {"sku": "A", "source_code": "default", "quantity": "4"}, {}),
        LoadItem("A@berlin", {"sku": "A", "source_code": "berlin", "quantity": "1"}, {}),
        LoadItem("Z@default", {"sku": "Z", "source_code": "default", "quantity": "1"}, {})])
    assert outcomes[0] is None
    assert shop.tables.stock_items["A"]["qty"] == 4 and shop.tables.stock_items["A"]["is_in_stock"] is True
    assert isinstance(outcomes[1], RecordError) and "has only the default source" in str(outcomes[1])
    assert isinstance(outcomes[2], NotFoundError)
    assert str(outcomes[2]).endswith('The Product with the "Z" SKU doesn\'t exist.')


def document(entity: str, key: str, order: dict, qty: str = "1", **data) -> LoadItem:
    lines = [{"sku": item["sku"], "qty": qty} for item in order["items"] if not item.get("parent_item_id")]
    fields = {"invoice": {"invoice_number": key, "grand_total": "5"},
              "shipment": {"shipment_number": key,
                           "tracks": [{"carrier_code": "ups", "track_number": "1Z999"}]},
              "credit_memo": {"credit_memo_number": key, "grand_total": "5"}}[entity]
    return LoadItem(key, {"order_number": order["increment_id"], "lines": lines, **fields, **data}, {})


def test_a_shipment_delivered_twice_is_created_once(shop):
    order = shop.add_order(items=[{"sku": "A", "qty_ordered": 2, "price": 5}])
    shop_system = system(shop)
    item = document("shipment", "SH-10", order)
    assert shop_system.load("shipment", [item]) == [None]
    assert shop_system.load("shipment", [item]) == [None]
    (shipment,) = shop.tables.shipments.values()
    assert shipment["tracks"][0]["track_number"] == "1Z999" and shipment["tracks"][0]["title"] == "ups"
    comments = shop.tables.comments[("shipments", shipment["entity_id"])]
    assert [c["comment"] for c in comments] == ["pipeline: shipment SH-10"]
    # Another shipment of the same order is one of its own, though its marker is a prefix of the first's.
    assert shop_system.load("shipment", [document("shipment", "SH-1", order)]) == [None]
    assert len(shop.tables.shipments) == 2


def test_a_retry_after_a_lost_answer_does_not_create_a_second_invoice(shop):
    order = shop.add_order(items=[{"sku": "A", "qty_ordered": 2, "price": 5}])
    shop_system = system(shop)
    shop.drop_response_once("POST", r"/rest/default/V1/order/\d+/invoice")
    (lost,) = shop_system.load("invoice", [document("invoice", "INV-1", order)])
    assert isinstance(lost, RetryableError)
    assert len(shop.tables.invoices) == 1  # created, but the client never heard
    assert shop_system.load("invoice", [document("invoice", "INV-1", order)]) == [None]
    assert len(shop.tables.invoices) == 1
    assert calls(shop, "POST", "/invoice") == 1


def test_credit_memos_refund_the_order_or_the_named_invoice_once(shop):
    order = shop.add_order(items=[{"sku": "A", "qty_ordered": 2, "price": 5}])
    shop_system = system(shop)
    assert shop_system.load("invoice", [document("invoice", "INV-1", order, qty="2")]) == [None]
    invoice = next(iter(shop.tables.invoices.values()))
    by_invoice = document("credit_memo", "CM-1", order, invoice_number=invoice["increment_id"],
                          shipping_amount="5", grand_total="10")
    assert shop_system.load("credit_memo", [by_invoice, by_invoice]) == [None, None]
    adjustment_only = document("credit_memo", "CM-2", order, adjustment_positive="3", grand_total="3")
    adjustment_only.data["lines"] = []
    assert shop_system.load("credit_memo", [adjustment_only]) == [None]
    memos = sorted(shop.tables.creditmemos.values(), key=lambda m: m["entity_id"])
    assert [(m["invoice_id"], m["grand_total"], m["total_qty"]) for m in memos] == [
        (invoice["entity_id"], 10, 1), (None, 3, 0)]
    assert calls(shop, "POST", f"/V1/invoice/{invoice['entity_id']}/refund") == 1


@pytest.mark.parametrize(("grand_total", "adjustments"), [
    ("6.25", {"adjustment_positive": 1.25}), ("4.10", {"adjustment_negative": 0.9}), ("5.00", {})])
def test_a_credit_memo_reconciles_to_its_grand_total_with_an_adjustment(shop, grand_total, adjustments):
    # Magento refunds 1 x 5.00 at the order's price; the source credited a different amount.
    order = shop.add_order(items=[{"sku": "A", "qty_ordered": 2, "price": 5}])
    shop_system = system(shop)
    assert shop_system.load("invoice", [document("invoice", "INV-1", order, qty="2")]) == [None]
    assert shop_system.load("credit_memo", [document("credit_memo", "CM-1", order,
                                                     grand_total=grand_total)]) == [None]
    [memo] = shop.tables.creditmemos.values()
    assert memo["grand_total"] == float(grand_total)
    assert {name: memo[name] for name in ("adjustment_positive", "adjustment_negative") if memo[name]} == adjustments


def _admin_post(shop: Magento2Emulator, path: str, body: dict) -> requests.Response:
    token = requests.post(shop.base_url + "/V1/integration/admin/token", timeout=5,
                          json={"username": "admin", "password": "admin123"}).json()
    return requests.post(shop.base_url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_a_refund_without_a_shipping_amount_refunds_the_rest_of_the_shipping_as_magento_does(shop):
    order = shop.add_order(items=[{"sku": "A", "qty_ordered": 2, "price": 5}])  # shipping 5.00
    assert _admin_post(shop, f"/V1/order/{order['entity_id']}/invoice", {}).status_code == 200
    [invoice] = shop.tables.invoices.values()
    assert (invoice["subtotal"], invoice["shipping_amount"], invoice["grand_total"]) == (10, 5, 15)
    item = {"order_item_id": order["items"][0]["item_id"], "qty": 1}
    partly = _admin_post(shop, f"/V1/order/{order['entity_id']}/refund",
                         {"items": [item], "arguments": {"shipping_amount": 2}})
    assert partly.status_code == 200
    too_much = _admin_post(shop, f"/V1/order/{order['entity_id']}/refund",
                           {"items": [item], "arguments": {"shipping_amount": 4}})
    assert (too_much.status_code, too_much.json()) == (400, {
        "message": "Maximum shipping amount allowed to refund is: %1", "parameters": ["$3.00"]})
    assert _admin_post(shop, f"/V1/order/{order['entity_id']}/refund", {"items": [item]}).status_code == 200
    memos = sorted(shop.tables.creditmemos.values(), key=lambda memo: memo["entity_id"])
    assert [(memo["shipping_amount"], memo["grand_total"]) for memo in memos] == [(2, 7), (3, 8)]


def test_a_credit_memo_always_says_how_much_shipping_it_refunds(shop):
    order = shop.add_order(items=[{"sku": "A", "qty_ordered": 2, "price": 5}])
    shop_system = system(shop)
    assert shop_system.load("invoice", [document("invoice", "INV-1", order, qty="2")]) == [None]
    memo = document("credit_memo", "CM-1", order, grand_total="5")
    assert shop_system.load("credit_memo", [memo]) == [None]
    [stored] = shop.tables.creditmemos.values()
    assert (stored["shipping_amount"], stored["grand_total"]) == (0, 5)  # not the order's 5.00 of shipping


def test_documents_of_unknown_orders_or_skus_fail_alone(shop):
    order = shop.add_order(items=[{"sku": "A", "qty_ordered": 1, "price": 5}])
    ghost = LoadItem("SH-9", {"shipment_number": "SH-9", "order_number": "999999999"}, {})
    wrong_sku = LoadItem("SH-8", {"shipment_number": "SH-8", "order_number": order["increment_id"],
                                  "lines": [{"sku": "NOPE", "qty": "1"}]}, {})
    good = document("shipment", "SH-1", order)
    outcomes = system(shop).load("shipment", [ghost, wrong_sku, good])
    assert isinstance(outcomes[0], NotFoundError)
    assert str(outcomes[0]) == "Order '999999999' of shipment 'SH-9' does not exist in Magento 2."
    assert str(outcomes[1]) == f"Shipment 'SH-8': order {order['increment_id']!r} has no item with SKU " \
                               "'NOPE'."
    assert outcomes[2] is None


# Errors -------------------------------------------------------------------------------------------

def test_error_templates_are_filled_from_named_and_positional_parameters(shop):
    filled = fill_placeholders("No such entity with %fieldName = %fieldValue",
                               {"fieldName": "customerId", "fieldValue": 99})
    assert filled == "No such entity with customerId = 99"
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    assert fill_placeholders("%1 and %10", words) == "one and ten"
    with pytest.raises(NotFoundError,
                       match=r"HTTP 404 to GET .*/V1/customers/99: No such entity with customerId = 99$"):
        system(shop).client.get("/V1/customers/99")


def test_throttling_is_retryable_with_the_servers_retry_after():
    with Magento2Emulator(faults=Faults(throttle_rate=1.0, retry_after_s=7)) as emulator:
        with pytest.raises(RetryableError) as raised:
            extract_all(system(emulator, "token"), "order")
    assert raised.value.status == 429 and raised.value.retry_after == 7.0
    assert str(raised.value).endswith("Too Many Requests")


def test_server_errors_are_retryable_and_keep_the_report_id_only():
    with Magento2Emulator(faults=Faults(error_rate=1.0, error_status=503)) as emulator:
        (outcome,) = system(emulator, "token").load("product", [LoadItem("A", {"sku": "A", "name": "A"}, {})])
    assert isinstance(outcome, RetryableError) and outcome.status == 503
    assert "Internal Error. Details are available in Magento log file. Report ID: webapi-" in str(outcome)


def test_reads_are_retried_in_place_so_a_pull_survives_transient_faults():
    faults = Faults(error_rate=0.3, drop_rate=0.1, seed=7)
    with Magento2Emulator(faults=faults, integration_as_bearer=True) as emulator:
        for n in range(25):
            emulator.add_customer(email=f"c{n:02d}@example.com", firstname="C", lastname=str(n))
        shop_system = system(emulator, "token", READ_RETRIES="30", READ_BACKOFF_MS="1")
        records, _ = extract_all(shop_system, "customer", page_size=5)
        assert sorted(record["email"] for record in records) == [f"c{n:02d}@example.com" for n in range(25)]
        # 5 pages in 15 requests: 8 answered 503, 2 dropped unanswered, each retried in place
        assert (len(emulator.requests), emulator.counts["errors"], emulator.counts["dropped"]) == (15, 8, 2)
        assert emulator.violations == []


def test_writes_are_never_retried_in_place():
    # The answer was lost after the product was saved: the pipeline retries the record, and the
    # upsert by SKU makes that harmless.
    with Magento2Emulator(faults=Faults(drop_after_rate=1.0), integration_as_bearer=True) as emulator:
        item = LoadItem("A", {"sku": "A", "name": "A", "price": "5"}, {})
        (outcome,) = system(emulator, "token").load("product", [item])
    assert isinstance(outcome, RetryableError)
    assert [request.method for request in emulator.requests] == ["PUT"]
    assert list(emulator.tables.products) == ["A"]


# Conformance --------------------------------------------------------------------------------------

def test_the_emulator_refuses_and_records_a_body_the_schema_does_not_allow(shop):
    client = system(shop).client
    with pytest.raises(FatalError, match=r'"website" is not supported. Correct the field name and try '
                                         r'again.$'):
        client.post("/V1/customers", {"customer": {"email": "a@x.com", "firstname": "A", "lastname": "B",
                                                   "website": "base"}})
    with pytest.raises(FatalError, match=r'"lastname" is required. Enter and try again.$'):
        client.post("/V1/customers", {"customer": {"email": "a@x.com", "firstname": "A"}})
    assert shop.violations == [
        'POST /V1/customers: "website" is not supported. Correct the field name and try again.',
        'POST /V1/customers: "lastname" is required. Enter and try again.']
    shop.violations.clear()


@pytest.mark.skipif(not OFFICIAL_SCHEMA.exists(), reason="the official schema is not beside the repository")
def test_the_vendored_schema_subset_is_what_the_script_extracts_from_the_official_file(tmp_path):
    import importlib.util
    path = ROOT / "scripts" / "extract_magento2_schema.py"
    spec = importlib.util.spec_from_file_location("extract_magento2_schema", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    target = tmp_path / "subset.json"
    script.main([str(OFFICIAL_SCHEMA), "--output", str(target)])
    vendored = ROOT / "pipeline" / "testing" / "specs" / "magento2-admin-2.4.9.subset.json"
    assert target.read_text() == vendored.read_text()


# Refusals, as Magento answers them -----------------------------------------------------------------


def _admin_get(shop: Magento2Emulator, path: str, **params: str) -> requests.Response:
    token = requests.post(shop.base_url + "/V1/integration/admin/token", timeout=5,
                          json={"username": "admin", "password": "admin123"}).json()
    return requests.get(shop.base_url + path, params=params, headers={"Authorization": f"Bearer {token}"},
                        timeout=5)


def test_a_filter_on_an_unknown_customer_attribute_is_magentos_400_not_an_empty_page(shop):
    answer = _admin_get(shop, "/V1/customers/search", **{
        "searchCriteria[filter_groups][0][filters][0][field]": "shoe_size",
        "searchCriteria[filter_groups][0][filters][0][value]": "9"})
    assert (answer.status_code, answer.json()) == (400, {"message": "Invalid attribute name: %1",
                                                          "parameters": ["shoe_size"]})
    assert shop.violations == ["GET /rest/default/V1/customers/search: Invalid attribute name: %1 ['shoe_size']"]
    shop.violations.clear()


@pytest.mark.parametrize("path", ["/V1/orders", "/V1/invoices", "/V1/shipments", "/V1/creditmemos"])
@pytest.mark.parametrize("key, clause", [("searchCriteria[filter_groups][0][filters][0][field]", "where clause"),
                                         ("searchCriteria[sortOrders][0][field]", "order clause")])
def test_an_unknown_column_of_orders_and_documents_is_the_sql_error_production_mode_hides_behind_a_report(
        shop, path, key, clause):
    # Magento 2.4: a flat collection passes the column to MySQL; the SQL error is no LocalizedException,
    # so ErrorProcessor::maskException answers 500 with uniqid("webapi-") and no code (Rest\Response).
    value = {"searchCriteria[filter_groups][0][filters][0][value]": "9"} if "filter" in key else {}
    answer = _admin_get(shop, path, **{key: "shoe_size", **value})
    assert answer.status_code == 500
    assert answer.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert list(answer.json()) == ["message"]
    assert re.fullmatch(r"Internal Error\. Details are available in Magento log file\. Report ID: "
                        r"webapi-[0-9a-f]{13}", answer.json()["message"])
    assert len(shop.violations) == 1 and f"Unknown column 'shoe_size' in '{clause}'" in shop.violations[0]
    shop.violations.clear()


def test_a_negative_page_size_is_refused(shop):
    answer = _admin_get(shop, "/V1/customers/search", **{"searchCriteria[pageSize]": "-1"})
    assert (answer.status_code, answer.json()) == (400, {"message": "Minimum SearchCriteria pageSize is %min",
                                                          "parameters": {"min": 1}})
    shop.violations.clear()


@pytest.mark.parametrize(("email", "body"), [
    ("not-an-email", {"message": 'Invalid value of "%value" provided for the %fieldName field.',
                      "parameters": {"fieldName": "email", "value": "not-an-email"}}),
    ("", {"message": "The customer email is missing. Enter and try again."})])
def test_a_customer_with_an_invalid_email_is_refused_with_magentos_message(shop, email, body):
    [outcome] = system(shop).load("customer", [LoadItem(email or "blank", {
        "email": email, "first_name": "Ada", "last_name": "Lovelace"}, {})])
    assert isinstance(outcome, FatalError) and outcome.status == 400
    token = requests.post(shop.base_url + "/V1/integration/admin/token", timeout=5,
                          json={"username": "admin", "password": "admin123"}).json()
    answer = requests.post(shop.base_url + "/V1/customers", headers={"Authorization": f"Bearer {token}"},
                           json={"customer": {"email": email, "firstname": "Ada", "lastname": "Lovelace"}},
                           timeout=5)
    assert (answer.status_code, answer.json()) == (400, body)
    assert shop.tables.customers == {}


def test_an_address_with_more_street_lines_than_the_shop_keeps_is_refused_with_magentos_message(shop):
    address = {**customer_item().data["addresses"][0], "street": ["1 Main St", "Suite 2", "Floor 3"]}
    [outcome] = system(shop).load("customer", [customer_item(addresses=[address])])
    assert isinstance(outcome, FatalError) and outcome.status == 400
    assert '"Street Address" cannot contain more than 2 lines.' in str(outcome)
    assert shop.tables.customers == {}
