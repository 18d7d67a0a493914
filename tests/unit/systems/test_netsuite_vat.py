"""VAT into NetSuite (TAX_MODE=code): a tax code per line, NetSuite's per-line tax, the rounding line.

The payloads are checked as built, then loaded into the NetSuite emulator as a VAT account, which
computes each line's tax from its code's rate and refuses a line without a code, as NetSuite does.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from pipeline.errors import ConfigError, RecordError
from pipeline.systems.base import LoadItem
from pipeline.systems.netsuite.config import LoadSettings, NetSuiteSettings
from pipeline.systems.netsuite.payloads import order_payload
from pipeline.testing.netsuite import NetSuiteEmulator
from tests.unit.systems.test_netsuite import make_system

#: A NL account's codes: 21 % standard, 9 % reduced, 0 % for the rounding line.
VAT = LoadSettings(discount_item="11", tax_item="12", tax_mode="code",
                   tax_codes={Decimal(21): "33", Decimal(9): "34", Decimal(0): "37"}, connection="erp")
ITEMS = {"TEE": "501", "BOOK": "502", "CARD": "503"}


def vat_order(tax_amount: str = "5.52") -> dict:
    # 3 x 8.26 at 21 % less 2.48, 2 x 4.59 at 9 %, a free card: Magento's tax is 4.68 + 0.83 = 5.51,
    # or a cent more after its running rounding delta; NetSuite's per-line tax is 5.20 - 0.52 + 0.83.
    # Its grand total: 24.78 - 2.48 + 9.18 + 5.52 + 4.95 = 41.95.
    return {"order_number": "000000201", "customer_email": "jan@example.nl", "currency": "EUR",
            "tax_amount": tax_amount, "shipping_amount": "4.95",
            "lines": [{"sku": "TEE", "qty": "3", "price": "8.26", "row_total": "24.78", "discount": "2.48",
                       "tax": "4.68", "tax_percent": "21.0000"},
                      {"sku": "BOOK", "qty": "2", "price": "4.59", "row_total": "9.18", "tax": "0.83",
                       "tax_percent": "9"},
                      {"sku": "CARD", "qty": "1", "price": "0", "row_total": "0", "tax": "0"}]}


def test_each_line_and_its_discount_carry_the_tax_code_of_the_lines_rate_and_rounding_goes_on_the_zero_code():
    lines = order_payload(vat_order(), {}, customer_id="7", item_ids=ITEMS, settings=VAT)["item"]["items"]
    assert [(line["item"]["id"], line["amount"], line["taxCode"]["id"]) for line in lines] == [
        ("501", 24.78, "33"), ("11", -2.48, "33"), ("502", 9.18, "34"), ("503", 0.0, "37"), ("12", 0.01, "37")]
    assert lines[-1]["description"] == "Tax rounding: the shop's tax amount less NetSuite's per-line tax"


def test_no_rounding_line_when_netsuites_per_line_tax_is_the_shops_and_a_negative_one_when_it_is_more():
    lines = order_payload(vat_order("5.51"), {}, customer_id="7", item_ids=ITEMS, settings=VAT)["item"]["items"]
    assert [line["item"]["id"] for line in lines] == ["501", "11", "502", "503"]
    lines = order_payload(vat_order("5.49"), {}, customer_id="7", item_ids=ITEMS, settings=VAT)["item"]["items"]
    assert (lines[-1]["item"], lines[-1]["amount"], lines[-1]["taxCode"]) == ({"id": "12"}, -0.02, {"id": "37"})


def test_item_mode_sends_no_tax_codes_and_one_tax_line_of_the_whole_amount():
    settings = LoadSettings(discount_item="11", tax_item="12", connection="erp")
    lines = order_payload(vat_order(), {}, customer_id="7", item_ids=ITEMS, settings=settings)["item"]["items"]
    assert not any("taxCode" in line for line in lines)
    assert (lines[-1]["item"], lines[-1]["amount"]) == ({"id": "12"}, 5.52)


def test_a_rate_without_a_code_or_a_taxed_line_without_a_rate_fails_the_order_naming_the_field():
    order = vat_order()
    order["lines"][1]["tax_percent"] = "5.5"
    with pytest.raises(RecordError) as raised:
        order_payload(order, {}, customer_id="7", item_ids=ITEMS, settings=VAT)
    assert str(raised.value) == ("Order '000000201': line 1 (BOOK) is taxed at 5.5 %, which PIPELINE_ERP_TAX_CODES "
                                 "does not map to a NetSuite tax code: add '5.5=<tax code id>'.")
    assert raised.value.problems == {"lines.1.tax_percent": ["Not in PIPELINE_ERP_TAX_CODES."]}
    del order["lines"][1]["tax_percent"]
    with pytest.raises(RecordError, match=r"line 1 \(BOOK\) has tax but no tax_percent"):
        order_payload(order, {}, customer_id="7", item_ids=ITEMS, settings=VAT)


def test_tax_codes_are_read_by_rate_and_code_mode_needs_a_zero_rate():
    env = {"PIPELINE_ERP_ACCOUNT": "1234567", "PIPELINE_ERP_CONSUMER_KEY": "ck", "PIPELINE_ERP_CONSUMER_SECRET": "cs",
           "PIPELINE_ERP_TOKEN_ID": "ti", "PIPELINE_ERP_TOKEN_SECRET": "ts", "PIPELINE_ERP_TAX_MODE": "code",
           "PIPELINE_ERP_TAX_CODES": "21.00=33, 9=34,0=37"}
    loads = NetSuiteSettings.from_env("erp", env).loads
    assert (loads.tax_mode, loads.tax_codes) == ("code", {Decimal(21): "33", Decimal(9): "34", Decimal(0): "37"})
    with pytest.raises(ConfigError) as raised:
        NetSuiteSettings.from_env("erp", {**env, "PIPELINE_ERP_TAX_CODES": "21=33,nine=34"})
    assert "PIPELINE_ERP_TAX_CODES must list 'tax rate=tax code id' pairs separated by commas, e.g. 21=5,9=6,0=7; " \
           "'nine=34' is not one." in str(raised.value)
    assert "must map each tax rate of the shop's orders, 0 included (its rounding line)" in str(raised.value)
    with pytest.raises(ConfigError, match="TAX_MODE must be one of: item, code; not 'vat'"):
        NetSuiteSettings.from_env("erp", {**env, "PIPELINE_ERP_TAX_MODE": "vat"})


@pytest.fixture
def vat_account():
    with NetSuiteEmulator(vat=True) as emulator:
        for sku in ITEMS:
            emulator.store.add("inventoryItem", {"itemId": sku})
        yield emulator
    assert emulator.violations == []


def test_a_vat_account_computes_each_lines_tax_and_the_total_is_the_shops_grand_total(vat_account):
    system = make_system(vat_account, TAX_CODES="21=33,9=34,0=37")
    assert system.load("order", [LoadItem("000000201", vat_order(), {})]) == [None]
    [order] = vat_account.store.records["salesOrder"].values()
    assert [line.get("tax1Amt") for line in order["item"]["items"]] == [5.2, -0.52, 0.83, 0.0, 0.0]
    assert order["taxTotal"] == 5.51  # NetSuite's own tax; the rounding line holds the 0.01 beyond it
    assert order["total"] == 41.95  # 24.78 - 2.48 + 9.18 + 0.01 + 5.51 + 4.95 = Magento's 31.48 + 5.52 + 4.95


def test_a_vat_account_refuses_a_line_without_a_tax_code_with_netsuites_error(vat_account):
    [outcome] = make_system(vat_account, TAX_MODE="item").load("order", [LoadItem("000000201", vat_order(), {})])
    assert str(outcome).endswith("USER_ERROR at item.items[0].taxCode: Please enter value(s) for: Tax Code.")
    vat_account.bearer_tokens.add("token-1")
    customer = vat_account.store.add("customer", {"email": "jan@example.nl"})
    answer = requests.post(vat_account.url + "/services/rest/record/v1/salesOrder", timeout=5,
                           headers={"Authorization": "Bearer token-1"},
                           json={"entity": {"id": customer}, "item": {"items": [{"item": {"id": "101"}}]}})
    assert answer.headers["Content-Type"] == "application/vnd.oracle.resource+json; type=error"
    assert answer.json() == {
        "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1", "title": "Bad Request",
        "status": 400, "o:errorDetails": [{"detail": "Please enter value(s) for: Tax Code",
                                           "o:errorCode": "USER_ERROR", "o:errorPath": "item.items[0].taxCode"}]}
    assert vat_account.store.records["salesOrder"] == {}
