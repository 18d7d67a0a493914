"""VAT into NetSuite (``TAX_MODE=code``): each line carries the tax code of its rate, NetSuite computes the tax.

A VAT account (SuiteTax, or legacy tax with VAT codes) wants a ``taxCode`` on every item line and
computes each line's tax from that code's rate; it refuses a line without one (CONTRACTS 4.8a). So:

* a product line carries the code of its ``tax_percent`` (``TAX_CODES``: rate -> code id);
* its discount line carries the same code: Magento taxes the discounted price, and the negative
  line takes its share of tax back;
* the shop's ``tax_amount`` rarely equals the sum of NetSuite's per-line tax to the cent (Magento
  rounds with a running delta across lines, NetSuite each line on its own; shipping tax has no
  canonical field). The difference goes on one line of ``TAX_ITEM`` at the 0 % code, so the order's
  total is the shop's grand total to the cent and the difference stays visible on the order.

NetSuite's per-line computation is taken as ``amount x rate``, rounded half up to the cent per line
(the account's "round per line" setting, NetSuite's default [derived]).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pipeline.errors import RecordError
from pipeline.systems.netsuite.config import LoadSettings

CENT = Decimal("0.01")
ZERO = Decimal(0)


def line_code(data: dict, index: int, settings: LoadSettings) -> tuple[dict, Decimal]:
    """``({"id": tax code}, rate)`` for the order's line ``index``, from its ``tax_percent``."""
    line = data["lines"][index]
    rate = line.get("tax_percent")
    if rate is None:
        if Decimal(str(line.get("tax") or 0)):
            raise RecordError(f"Order {data['order_number']!r}: line {index} ({line['sku']}) has tax but no "
                              f"tax_percent, which TAX_MODE=code needs to pick its NetSuite tax code: map "
                              f"lines.tax_percent.", {f"lines.{index}.tax_percent": ["Missing."]})
        rate = ZERO
    rate = Decimal(str(rate))
    code = settings.tax_codes.get(rate.normalize() if rate else ZERO)
    if code is None:
        raise RecordError(f"Order {data['order_number']!r}: line {index} ({line['sku']}) is taxed at {rate:f} %, "
                          f"which {settings.var('TAX_CODES')} does not map to a NetSuite tax code: add "
                          f"'{rate.normalize():f}=<tax code id>'.",
                          {f"lines.{index}.tax_percent": [f"Not in {settings.var('TAX_CODES')}."]})
    return {"id": code}, rate


def line_tax(amount: Decimal, rate: Decimal) -> Decimal:
    """The tax NetSuite computes for one line."""
    return (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def rounding_line(data: dict, computed: Decimal, settings: LoadSettings) -> dict | None:
    """The tax item line at the 0 % code for what the shop's tax differs from NetSuite's; None if nothing."""
    difference = Decimal(str(data.get("tax_amount") or 0)) - computed
    if not difference:
        return None
    if settings.tax_item is None:
        raise RecordError(f"Order {data['order_number']!r}: its tax amount differs from NetSuite's per-line tax by "
                          f"{difference:f}, but {settings.var('TAX_ITEM')} is not set: NetSuite needs an item to "
                          f"carry the difference, or the order's total would be wrong.",
                          {"tax_amount": [f"Set {settings.var('TAX_ITEM')}."]})
    return {"item": {"id": settings.tax_item}, "amount": float(difference), "taxCode": {"id": settings.tax_codes[ZERO]},
            "description": "Tax rounding: the shop's tax amount less NetSuite's per-line tax"}
