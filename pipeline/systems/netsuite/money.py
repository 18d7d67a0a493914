"""An order's money as NetSuite needs it to reach the shop's grand total to the cent (CONTRACTS 4.8a).

NetSuite computes a sales order's total itself: the sum of its item lines' amounts, the header
discount (``discountItem`` with ``discountRate``), the shipping cost and the tax. So every part of
the shop's total must arrive as one of those:

* each product line: ``rate`` (the price), ``quantity`` and ``amount`` (the row total);
* a line's discount: a line of the account's discount item right after it, amount negative
  (NetSuite's usual way: the discount shows on the line it belongs to);
* what the order's discount has beyond its lines' (a shipping or cart discount): the header
  ``discountItem`` and a negative ``discountRate``;
* tax, per account (``TAX_MODE``): ``item``, one line of the account's tax item with the shop's tax
  amount, so the total does not depend on how the account computes tax (US sales tax); ``code``
  (VAT), a tax code on every line, NetSuite computing the tax, and the rounding difference on a
  tax item line (``vat``);
* shipping: ``shippingCost``.

A discount or tax the account has no item for fails the record, naming the variable to set:
leaving it out would load an order whose total is wrong.
"""

from __future__ import annotations

from decimal import Decimal

from pipeline.errors import RecordError
from pipeline.systems.carrying import copy_into
from pipeline.systems.netsuite import vat
from pipeline.systems.netsuite.carried import CARRIES
from pipeline.systems.netsuite.config import LoadSettings

CENT = Decimal("0.01")


def amount(value: object) -> Decimal:
    return Decimal(str(value or 0))


def lines(data: dict, item_ids: dict[str, str], settings: LoadSettings) -> list[dict]:
    """The item sublist: product lines, each followed by its discount line, then the tax line."""
    out, computed_tax = [], Decimal(0)
    for index, line in enumerate(data.get("lines") or []):
        taxed = [product_line(line, item_ids[line["sku"]])]
        discount = abs(amount(line.get("discount")))
        if discount:
            item = _required(settings.discount_item, settings, "DISCOUNT_ITEM", data, f"lines.{index}.discount")
            taxed.append({"item": {"id": item}, "amount": float(-discount), "description": f"Discount on {line['sku']}"})
        if settings.tax_mode == "code":
            code, rate = vat.line_code(data, index, settings)
            for one in taxed:
                one["taxCode"] = code
                computed_tax += vat.line_tax(amount(one["amount"]), rate)
        out += taxed
    out += _tax_lines(data, computed_tax, settings)
    return out


def _tax_lines(data: dict, computed_tax: Decimal, settings: LoadSettings) -> list[dict]:
    if settings.tax_mode == "code":
        rounding = vat.rounding_line(data, computed_tax, settings)
        return [rounding] if rounding else []
    tax = amount(data.get("tax_amount"))
    if not tax:
        return []
    item = _required(settings.tax_item, settings, "TAX_ITEM", data, "tax_amount")
    return [{"item": {"id": item}, "amount": float(tax), "description": "Tax"}]


def product_line(line: dict, item_id: str) -> dict:
    quantity, price = amount(line["qty"]), amount(line.get("price"))
    # The row total as the shop has it; price x quantity when the mapping does not give it.
    row_total = amount(line["row_total"]) if line.get("row_total") is not None else (price * quantity)
    out = {"item": {"id": item_id}, "quantity": float(quantity), "rate": float(price),
           "amount": float(row_total.quantize(CENT))}
    return copy_into(out, line, CARRIES["order"], part="lines")


def header_discount(data: dict, settings: LoadSettings) -> dict:
    """``discountItem`` and ``discountRate`` for the part of the order's discount no line carries."""
    lines_discount = sum((abs(amount(line.get("discount"))) for line in data.get("lines") or []), Decimal(0))
    rest = abs(amount(data.get("discount_amount"))) - lines_discount
    if rest <= 0:
        return {}
    item = _required(settings.discount_item, settings, "DISCOUNT_ITEM", data, "discount_amount")
    return {"discountItem": {"id": item}, "discountRate": float(-rest)}


def _required(value: str | None, settings: LoadSettings, name: str, data: dict, field: str) -> str:
    if value is None:
        raise RecordError(f"Order {data['order_number']!r} has {field.split('.')[-1].replace('_', ' ')} "
                          f"({field}), but {settings.var(name)} is not set: NetSuite needs an item to carry "
                          f"it, or the order's total would be wrong.", {field: [f"Set {settings.var(name)}."]})
    return value
