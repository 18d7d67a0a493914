"""Reconciliation under VAT (``TAX_MODE=code``): NetSuite computes each line's tax from its tax code.

Magento 2 orders in EUR and GBP, with lines at mixed rates (21/9 %, 20/0 %, 19/7 %), line and cart
discounts, a shipping discount and taxed shipping, go through real workers into the NetSuite
emulator as a VAT account: it refuses a line without a tax code and taxes each line at its code's
rate, rounded per line. Each order's NetSuite total must be Magento's ``grand_total`` to the cent;
what Magento's tax differs from NetSuite's per-line tax by (its rounding, and shipping tax) is on
one tax item line at the 0 % code. Every mapped field is checked or listed below with why.

Fields checked / fields mapped: magento2_to_netsuite_order 38 / 41 (``pytest -s`` prints them);
magento1_to_netsuite_order: money and each line's rate (the rest as in ``test_reconciliation``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.mapping import Mapper, load_mapping
from pipeline.testing.netsuite import NetSuiteEmulator
from pipeline.testing.netsuite.store import TAX_CODES
from tests.conftest import MAPPINGS
from tests.integration.reconciliation import account, checked_paths, compare, money, run, shop  # noqa: F401 (fixture)
from tests.integration.test_netsuite_magento2_integrations import connect, m2_address, seed_magento_order
from tests.integration.test_reconciliation import ORDER_UNCHECKED, netsuite_order, order_expected

UNCHECKED = {
    **{name: why for name, why in ORDER_UNCHECKED.items() if name != "lines.tax_percent"},
    "lines.tax": "NetSuite computes each line's tax from its code; Magento's differs by its rounding, which the "
                 "order's rounding line carries: tax_amount is checked to the cent",
}


@pytest.fixture
def vat_erp():
    with NetSuiteEmulator(vat=True) as emulator:
        yield emulator
    assert emulator.violations == [], "a body carried fields NetSuite would have dropped"


def netsuite_vat_order(erp: NetSuiteEmulator, order: dict) -> dict:
    """The order in entity terms: NetSuite's own tax added, each product line's rate from its tax code."""
    found = netsuite_order(erp, order)
    found["tax_amount"] += money(order["taxTotal"])
    rates = {code_id: Decimal(rate) for code_id, (_, rate) in TAX_CODES.items()}
    products = [line for line in order["item"]["items"] if line["item"]["id"] in erp.store.records["inventoryItem"]]
    for number, line in enumerate(products):
        found[f"lines.{number}.tax_percent"] = rates[line["taxCode"]["id"]]
    return found


def vat_expected(entity: dict) -> dict:
    expected = order_expected(entity)
    for number, line in enumerate(entity["lines"]):
        expected[f"lines.{number}.tax_percent"] = Decimal(line["tax_percent"])
    return expected


def item(sku: str, name: str, qty: int, price: str, rate: int, tax: str, discount: str = "0", **more) -> dict:
    row_total = float(Decimal(price) * qty)
    return {"sku": sku, "name": name, "qty_ordered": qty, "price": float(price), "row_total": row_total,
            "discount_amount": float(discount), "tax_amount": float(tax), "tax_percent": rate, **more}


def test_vat_orders_reach_netsuite_with_a_tax_code_per_line_and_each_total_is_magentos_grand_total(
        pipeline_env, workers, runs, vat_erp, shop):
    env = connect(pipeline_env, vat_erp, shop)
    for sku in ("WS12-M-Orange", "BOOK-NL", "MUG-LOGO", "CARD-GIFT", "TEA-DE", "CUP-DE"):
        vat_erp.store.add("inventoryItem", {"itemId": sku})
    amsterdam = {**m2_address("billing", "Jan", "de Vries", ["Keizersgracht 123"], "Amsterdam", "1015 CJ", "NL",
                              "+31 20 555 0123"), "company": "De Vries B.V."}
    leeds = m2_address("billing", "Ada", "Byron", ["1 Park Row"], "Leeds", "LS1 5HD", "GB", "0113 496 0000")
    berlin = m2_address("billing", "Lena", "Schmidt", ["Unter den Linden 5"], "Berlin", "10117", "DE", "+49 30 1234",
                        ("BER", "Berlin", 82))
    # EUR, NL: a configurable tee at 21 % less 4.50 (tax 8.505 -> 8.51), a book at 9 % (0.83); NetSuite's
    # per-line tax is 9.45 - 0.95 + 0.83 = 9.33, so a 0.01 rounding line. 45 - 4.50 + 9.18 + 9.34 + 5 = 64.02.
    seed_magento_order(shop, "jan.de.vries@example.nl", "Jan", "de Vries", [
        item("WS12-M-Orange", "Radiant Tee", 2, "22.50", 21, "8.51", "4.50", product_type="configurable",
             child={"name": "Radiant Tee-M-Orange", "product_type": "simple"}),
        item("BOOK-NL", "Kookboek", 2, "4.59", 9, "0.83")], amsterdam, order_currency_code="EUR", subtotal=54.18,
        discount_amount=-4.5, tax_amount=9.34, shipping_amount=5, grand_total=64.02)
    # GBP: 10 % off the mug at 20 %, a zero-rated card, 1.00 off shipping, shipping taxed at 20 % (0.79, on
    # the rounding line: the order has no shipping tax field). 29.97 + 2.50 - 4.00 + 6.18 + 4.95 = 39.60.
    seed_magento_order(shop, "ada@example.co.uk", "Ada", "Byron", [
        item("MUG-LOGO", "Logo Mug", 3, "9.99", 20, "5.39", "3.00"),
        item("CARD-GIFT", "Gift card", 1, "2.50", 0, "0")], leeds, order_currency_code="GBP", subtotal=32.47,
        discount_amount=-4.0, tax_amount=6.18, shipping_amount=4.95, grand_total=39.6)
    # EUR, DE: 19 % and 7 %, Magento taxing per unit (3 x 0.23 = 0.69 where NetSuite has 0.70): a
    # rounding line of -0.01. 10.05 + 10.05 + 2.60 + 3.90 = 26.60.
    seed_magento_order(shop, "lena@example.de", "Lena", "Schmidt", [
        item("TEA-DE", "Teekanne", 1, "10.05", 19, "1.91"),
        item("CUP-DE", "Tasse", 3, "3.35", 7, "0.69")], berlin, order_currency_code="EUR", subtotal=20.1,
        tax_amount=2.6, shipping_amount=3.9, grand_total=26.6)
    workers.start(threads=4)

    assert run(env, runs, "magento2_to_netsuite_order").counts == {"extracted": 3, "loaded": 3, "skipped": 0,
                                                                    "failed": 0}
    spec = load_mapping(MAPPINGS / "magento2_to_netsuite_order.yaml")
    mapper = Mapper(spec)
    stored = {order["otherRefNum"]: order for order in vat_erp.store.records["salesOrder"].values()}
    failures: list[str] = []
    compared: set[str] = set()
    rounding = {}
    for source in shop.tables.orders.values():
        entity = mapper.map(source).data
        order = stored[entity["order_number"]]
        compared |= compare(netsuite_vat_order(vat_erp, order), vat_expected(entity), entity["order_number"],
                            failures)
        # The point of it all: NetSuite's own total is the shop's grand total, to the cent.
        assert money(order["total"]) == money(source["grand_total"])
        assert all(line.get("taxCode") for line in order["item"]["items"])
        rounding[source["order_currency_code"], money(order["taxTotal"])] = [
            money(line["amount"]) for line in order["item"]["items"] if line["item"]["id"] == "12"]
    assert failures == []
    # NetSuite computed the tax; only Magento's difference travels on the tax item, at the 0 % code.
    assert rounding == {("EUR", Decimal("9.33")): [Decimal("0.01")], ("GBP", Decimal("5.39")): [Decimal("0.79")],
                        ("EUR", Decimal("2.61")): [Decimal("-0.01")]}
    account(checked_paths(compared), UNCHECKED, spec)


def test_magento1_vat_orders_carry_their_item_rates_and_each_total_is_magentos_grand_total(
        pipeline_env, workers, runs, vat_erp):
    """Magento 1's order items give ``tax_percent`` too; every other field is checked by
    ``test_reconciliation``'s Magento 1 test (one mapping shape), so here: money and rates."""
    from pipeline.testing.magento1 import Magento1Emulator
    from tests.integration.test_magento1_integrations import connect as connect_magento1

    with Magento1Emulator() as shop:
        env = connect_magento1(pipeline_env, shop, vat_erp)
        for sku in ("MUG-LOGO", "CARD-GIFT", "TEA-DE", "CUP-DE"):
            vat_erp.store.add("inventoryItem", {"itemId": sku})
        # GBP: 10 % off the mug at 20 % (5.39 both ways), a zero-rated card; 29.97 - 3 + 2.50 + 5.39 + 5.
        gbp = shop.add_order(customer_email="ada@example.co.uk", currency="GBP",
                             items=[{"sku": "MUG-LOGO", "qty_ordered": 3, "price": 9.99},
                                    {"sku": "CARD-GIFT", "qty_ordered": 1, "price": 2.5}])
        # EUR: 19 % and 7 %, Magento taxing per unit (0.69 where NetSuite has 0.70); 20.10 + 2.60 + 5.
        eur = shop.add_order(customer_email="lena@example.de", currency="EUR",
                             items=[{"sku": "TEA-DE", "qty_ordered": 1, "price": 10.05},
                                    {"sku": "CUP-DE", "qty_ordered": 3, "price": 3.35}])
        with shop.lock:
            gbp.update(discount_amount="-3.0000", tax_amount="5.3900", grand_total="39.8600")
            gbp["items"][0].update(discount_amount="3.0000", tax_amount="5.3900", tax_percent="20.0000")
            eur.update(tax_amount="2.6000", grand_total="27.7000")
            eur["items"][0].update(tax_amount="1.9100", tax_percent="19.0000")
            eur["items"][1].update(tax_amount="0.6900", tax_percent="7.0000")
        workers.start(threads=2)

        assert run(env, runs, "magento1_to_netsuite_order").counts == {"extracted": 2, "loaded": 2, "skipped": 0,
                                                                        "failed": 0}
        stored = {order["otherRefNum"]: order for order in vat_erp.store.records["salesOrder"].values()}
        found = {}
        for source in (gbp, eur):
            order = stored[source["increment_id"]]
            assert money(order["total"]) == money(source["grand_total"])
            found[source["increment_id"]] = (
                [str(TAX_CODES[line["taxCode"]["id"]][1]) for line in order["item"]["items"]],
                [money(line["amount"]) for line in order["item"]["items"] if line["item"]["id"] == "12"])
        # Per line its rate's code (the mug's discount line the mug's), and the rounding line at 0 %.
        assert found == {gbp["increment_id"]: (["20", "20", "0"], []),
                         eur["increment_id"]: (["19", "7", "0"], [Decimal("-0.01")])}
