"""Big Magento 2 loads through the asynchronous bulk API, against the emulator over loopback HTTP.

Every test's emulator must end without schema violations (each bulk item is checked as its
synchronous route's body), unless the test provokes and clears them.
"""

from __future__ import annotations

import logging

import pytest

from pipeline.errors import ConfigError, FatalError, NotFoundError, RecordError, RetryableError
from pipeline.systems import build_system
from pipeline.systems.base import LoadItem
from pipeline.systems.magento2 import Magento2System
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.magento2 import magento2_emulator  # noqa: F401 (a fixture)
from pipeline.testing.magento2.bulk import NOT_RETRIABLY_FAILED, REJECTED, RETRIABLY_FAILED

#: The emulators give a connection's variables only; the concurrency budget stays in process.
STUB_BROKER = {"PIPELINE_BROKER_URL": "stub://"}

DEADLOCK = ("SQLSTATE[40001]: Serialization failure: 1213 Deadlock found when trying to get lock; "
            "try restarting transaction")
NO_PRICE = 'The "price" attribute value is empty. Set the attribute and try again.'
URL_KEY = "URL key for specified store already exists."


@pytest.fixture
def shop(magento2_emulator):  # noqa: F811 (the imported fixture)
    yield magento2_emulator
    assert magento2_emulator.violations == []


def system(emulator: Magento2Emulator, **settings: str) -> Magento2System:
    settings.setdefault("BULK_POLL_S", "0.01")
    environ = {**emulator.environ("shop"), **STUB_BROKER, **{f"PIPELINE_SHOP_{k}": v for k, v in settings.items()}}
    return build_system("magento2", "shop", environ)


def calls(emulator: Magento2Emulator, method: str, path: str) -> int:
    prefix = "/rest/default" + path
    return sum(1 for r in emulator.requests if r.method == method and r.path.startswith(prefix))


def products(count: int) -> list[LoadItem]:
    return [LoadItem(f"SKU-{n:03d}", {"sku": f"SKU-{n:03d}", "name": f"Tee {n}", "price": f"{n}.50",
                                      "status": "enabled", "visibility": "catalog_search",
                                      "description": f"Soft {n}"}, {"attribute_set_id": 9})
            for n in range(count)]


def stock(count: int) -> list[LoadItem]:
    return [LoadItem(f"SKU-{n:03d}@default", {"sku": f"SKU-{n:03d}", "source_code": "default",
                                              "quantity": str(n % 7)}, {})
            for n in range(count)]


# Products -----------------------------------------------------------------------------------------

def test_a_big_product_load_is_one_bulk_and_each_record_gets_its_own_operations_result(shop, caplog):
    shop.bulks.fail("SKU-007", RETRIABLY_FAILED, DEADLOCK)
    shop.bulks.fail("SKU-123", NOT_RETRIABLY_FAILED, NO_PRICE)
    shop.bulks.fail("SKU-321", REJECTED, URL_KEY)
    shop_system = system(shop)
    with caplog.at_level(logging.INFO, logger="pipeline.systems.magento2.bulk"):
        outcomes = shop_system.load("product", products(500))
    (uuid,) = shop_system.bulks.submitted
    assert (calls(shop, "POST", "/async/bulk/V1/products"), calls(shop, "PUT", "/V1/products/")) == (1, 0)
    assert [n for n, outcome in enumerate(outcomes) if outcome is not None] == [7, 123, 321]
    assert type(outcomes[7]) is RetryableError
    assert str(outcomes[7]) == f"Magento bulk {uuid}, operation 7, failed and may be retried: {DEADLOCK}"
    assert type(outcomes[123]) is FatalError
    assert str(outcomes[123]) == f"Magento bulk {uuid}, operation 123, failed: {NO_PRICE}"
    assert str(outcomes[321]) == f"Magento bulk {uuid}, operation 321, was rejected: {URL_KEY}"
    assert type(outcomes[321]) is FatalError
    # Every other product landed with its fields; the failed ones changed nothing.
    assert len(shop.tables.products) == 497 and "SKU-123" not in shop.tables.products
    stored = shop.tables.products["SKU-499"]
    assert (stored["name"], stored["price"], stored["status"]) == ("Tee 499", 499.5, 1)
    assert (stored["visibility"], stored["attribute_set_id"]) == (4, 9)
    assert {"attribute_code": "description", "value": "Soft 499"} in stored["custom_attributes"]
    assert f"Submitted Magento bulk {uuid!r} to /V1/products: 500 operations queued, 0 refused." in (
        caplog.messages)


def test_loads_up_to_the_threshold_keep_the_direct_calls(shop):
    shop_system = system(shop, BULK_THRESHOLD="5")
    assert shop_system.load("product", products(5)) == [None] * 5
    assert shop_system.load("inventory", stock(5)) == [None] * 5
    assert (calls(shop, "PUT", "/V1/products/"), calls(shop, "POST", "/V1/inventory/source-items")) == (5, 1)
    assert shop_system.load("product", products(6)) == [None] * 6
    assert (calls(shop, "POST", "/async/bulk/V1/products"), calls(shop, "PUT", "/V1/products/")) == (1, 5)


def test_a_threshold_of_zero_never_uses_the_bulk_api(shop):
    assert system(shop, BULK_THRESHOLD="0").load("product", products(3)) == [None] * 3
    assert (calls(shop, "POST", "/async/bulk/"), calls(shop, "PUT", "/V1/products/")) == (0, 3)


# MSI stock ------------------------------------------------------------------------------------------

def test_a_big_msi_stock_load_is_one_bulk_with_one_operation_per_record(shop):
    shop.bulks.fail("SKU-042", RETRIABLY_FAILED, DEADLOCK)
    shop.bulks.fail("SKU-250", NOT_RETRIABLY_FAILED, "Could not save Source Item")
    shop.bulks.fail("SKU-499", REJECTED, "Validation Failed")
    shop_system = system(shop)
    outcomes = shop_system.load("inventory", stock(500))
    (uuid,) = shop_system.bulks.submitted
    assert calls(shop, "POST", "/async/bulk/V1/inventory/source-items") == 1
    assert calls(shop, "POST", "/V1/inventory/source-items") == 0
    assert [n for n, outcome in enumerate(outcomes) if outcome is not None] == [42, 250, 499]
    assert type(outcomes[42]) is RetryableError
    assert str(outcomes[42]) == f"Magento bulk {uuid}, operation 42, failed and may be retried: {DEADLOCK}"
    assert str(outcomes[250]) == f"Magento bulk {uuid}, operation 250, failed: Could not save Source Item"
    assert str(outcomes[499]) == f"Magento bulk {uuid}, operation 499, was rejected: Validation Failed"
    assert type(outcomes[250]) is FatalError and type(outcomes[499]) is FatalError
    assert len(shop.tables.source_items) == 497
    assert shop.tables.source_items[("SKU-013", "default")] == {"sku": "SKU-013", "source_code": "default",
                                                                "quantity": 6, "status": 1}
    assert shop.tables.source_items[("SKU-014", "default")]["status"] == 0


def test_legacy_stock_loads_stay_direct_whatever_their_size(shop):
    for item in stock(3):
        shop.add_product(item.data["sku"])
    assert system(shop, INVENTORY_API="legacy", BULK_THRESHOLD="1").load("inventory", stock(3)) == [None] * 3
    assert (calls(shop, "POST", "/async/bulk/"), calls(shop, "PUT", "/V1/products/")) == (0, 3)


# Waiting, refusals, fallbacks ----------------------------------------------------------------------

def test_operations_still_open_at_the_timeout_are_retryable_and_only_those(shop):
    shop.bulks.hold("SKU-002")
    shop.bulks.hold("SKU-004")
    shop_system = system(shop, BULK_THRESHOLD="1", BULK_TIMEOUT_S="0.3")
    outcomes = shop_system.load("product", products(6))
    (uuid,) = shop_system.bulks.submitted
    assert [outcome is None for outcome in outcomes] == [True, True, False, True, False, True]
    assert type(outcomes[2]) is RetryableError and type(outcomes[4]) is RetryableError
    assert str(outcomes[2]) == (f"Magento bulk {uuid}, operation 2, still open after 0.3s; the record "
                                "will be sent again.")
    assert sorted(shop.tables.products) == ["SKU-000", "SKU-001", "SKU-003", "SKU-005"]


def test_a_bulk_that_never_runs_points_at_magentos_consumer(shop, caplog):
    shop.bulks.delay_s = 60.0
    shop_system = system(shop, BULK_THRESHOLD="1", BULK_TIMEOUT_S="0.1")
    with caplog.at_level(logging.WARNING, logger="pipeline.systems.magento2.bulk"):
        outcomes = shop_system.load("product", products(2))
    (uuid,) = shop_system.bulks.submitted
    assert [type(outcome) for outcome in outcomes] == [RetryableError, RetryableError]
    assert caplog.messages == [f"No operation of Magento bulk {uuid!r} ran within 0.1s: is Magento's "
                               "async.operations.all consumer running (cron or queue consumers)?"]


def test_refused_items_fail_alone_and_the_others_keep_their_own_results_with_row_ids(shop):
    # Operation ids that are table rows (not request item ids) and a refused item in between:
    # operations are matched to the accepted bodies by their order.
    shop.bulks.row_ids = True
    shop_system = system(shop, BULK_THRESHOLD="1")
    assert shop_system.load("product", products(2)) == [None, None]
    shop.bulks.refuse("SKU-001", "The product type is not supported.")
    shop.bulks.fail("SKU-003", NOT_RETRIABLY_FAILED, NO_PRICE)
    outcomes = shop_system.load("product", products(5))
    uuid = shop_system.bulks.submitted[1]
    assert [outcome is None for outcome in outcomes] == [True, False, True, False, True]
    assert str(outcomes[1]) == (f"Magento bulk {uuid}, request item 1, was refused (rejected): "
                                "The product type is not supported.")
    # Rows 1 and 2 went to the first bulk; SKU-003 is the third accepted body of the second.
    assert str(outcomes[3]) == f"Magento bulk {uuid}, operation 5, failed: {NO_PRICE}"


def test_a_bulk_whose_status_cannot_be_read_fails_its_records_with_the_reason(shop):
    shop_system = system(shop, BULK_THRESHOLD="1")
    # The injected sleep lets the shop lose the bulk before the first look.
    shop_system.bulks.sleep = lambda seconds: shop.bulks.bulks.clear()
    outcomes = shop_system.load("product", products(2))
    (uuid,) = shop_system.bulks.submitted
    assert [type(outcome) for outcome in outcomes] == [NotFoundError, NotFoundError]
    assert str(outcomes[0]) == (f"Magento bulk {uuid}: its status could not be read, so the record may or may "
                                f"not be saved: magento2 answered HTTP 404 to GET {shop.base_url}/V1/bulk/{uuid}/"
                                f"detailed-status: Bulk uuid {uuid} not exist")


def test_records_that_cannot_be_mapped_fail_alone_and_stay_out_of_the_bulk(shop):
    items = products(3) + [LoadItem("SKU-X", {"sku": "SKU-X", "name": "X", "price": "a lot"}, {})]
    outcomes = system(shop, BULK_THRESHOLD="1").load("product", items)
    assert outcomes[:3] == [None] * 3 and isinstance(outcomes[3], RecordError)
    (bulk,) = [request for request in shop.requests if request.path.endswith("/async/bulk/V1/products")]
    assert [body["product"]["sku"] for body in bulk.json()] == ["SKU-000", "SKU-001", "SKU-002"]


def test_a_shop_without_the_bulk_api_gets_direct_calls(shop, caplog):
    shop.bulks.enabled = False
    with caplog.at_level(logging.WARNING, logger="pipeline.systems.magento2.load"):
        assert system(shop, BULK_THRESHOLD="1").load("product", products(3)) == [None] * 3
    assert calls(shop, "PUT", "/V1/products/") == 3
    assert caplog.messages == [
        "Magento refused the bulk of 3 product records (magento2 answered HTTP 404 to POST "
        f"{shop.base_url}/async/bulk/V1/products: Request does not match any route.); loading them directly."]


def test_a_body_magento_cannot_read_refuses_the_bulk_so_each_record_is_sent_directly(shop):
    items = products(3)
    items[1] = LoadItem(items[1].key, items[1].data, {"colour": "red"})
    outcomes = system(shop, BULK_THRESHOLD="1").load("product", items)
    assert outcomes[0] is None and outcomes[2] is None
    assert str(outcomes[1]).endswith('"colour" is not supported. Correct the field name and try again.')
    assert shop.violations == [
        'POST /async/bulk/V1/products: item 1: "colour" is not supported. Correct the field name and try '
        'again.',
        'PUT /V1/products/SKU-001: "colour" is not supported. Correct the field name and try again.']
    shop.violations.clear()


def test_a_bulk_whose_answer_was_lost_fails_the_load_as_a_whole_to_be_retried(shop):
    shop.drop_response_once("POST", "/rest/default/async/bulk/V1/products")
    with pytest.raises(RetryableError):
        system(shop, BULK_THRESHOLD="1").load("product", products(2))


# The emulator and the settings ---------------------------------------------------------------------

def test_the_emulators_bulk_status_answers_have_the_official_shapes(shop):
    shop.bulks.hold("SKU-000")
    shop.bulks.fail("SKU-001", RETRIABLY_FAILED, DEADLOCK)
    shop_system = system(shop, BULK_THRESHOLD="1", BULK_TIMEOUT_S="0.05")
    shop_system.load("product", products(3))
    (uuid,) = shop_system.bulks.submitted
    client = shop_system.client
    for path in (f"/V1/bulk/{uuid}/detailed-status", f"/V1/bulk/{uuid}/status",
                 f"/V1/bulk/{uuid}/operation-status/4"):
        assert shop.schema.check_answer("GET", path, client.get(path)) == [], path
    assert client.get(f"/V1/bulk/{uuid}/operation-status/1") == 1
    detailed = client.get(f"/V1/bulk/{uuid}/detailed-status")
    assert [(op["id"], op["status"], op["result_message"]) for op in detailed["operations_list"]] == [
        (0, 4, None), (1, 2, DEADLOCK), (2, 1, None)]
    # The check is strict: the short status's schema has no room for the detailed operations.
    assert shop.schema.check_answer("GET", f"/V1/bulk/{uuid}/detailed-status", {**detailed, "extra": 1}) == [
        "body: 'extra' is not declared."]
    assert "operations_list.0: 'topic_name' is not declared." in shop.schema.check_answer(
        "GET", f"/V1/bulk/{uuid}/status", detailed)


def test_bulk_settings_have_defaults_and_bad_values_are_reported_by_name():
    base = {"PIPELINE_SHOP_URL": "https://shop.test/rest/default", "PIPELINE_SHOP_TOKEN": "t",
            "PIPELINE_BROKER_URL": "stub://"}
    config = Magento2System.from_env("shop", base).config
    assert (config.bulk_threshold, config.bulk_poll_s, config.bulk_timeout_s) == (200, 2.0, 480.0)
    with pytest.raises(ConfigError) as raised:
        Magento2System.from_env("shop", {**base, "PIPELINE_SHOP_BULK_THRESHOLD": "-1",
                                         "PIPELINE_SHOP_BULK_TIMEOUT_S": "900"})
    assert str(raised.value) == ("Invalid Magento 2 connection 'shop':\n"
                                 "  PIPELINE_SHOP_BULK_THRESHOLD='-1' must be at least 0.\n"
                                 "  PIPELINE_SHOP_BULK_TIMEOUT_S='900' must be from 0.01 to 540.0.")
