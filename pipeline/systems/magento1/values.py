"""Magento 1's string values as typed, JSON-safe ones.

Every value of an XML-RPC answer is a string (PHP reads them from MySQL that way): ``"12.5000"``,
``"1"``, ``"2024-05-01 10:00:00"``. Fields are converted by name, from the tables below, so that
strings that only look numeric stay strings: postcodes, telephones, increment ids such as
``"000000001"``, VAT numbers. Amounts and quantities become numbers, ints when whole (a
``decimal(12,4)`` column has at most 12 digits, which a float's shortest repr keeps exactly), dates
become ISO 8601 UTC (Magento 1 stores UTC), and a street becomes its list of lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

MAGENTO_TIME = "%Y-%m-%d %H:%M:%S"

#: Ids and codes that are whole numbers.
INTEGERS = frozenset({
    "address_id", "attribute_set_id", "billing_address_id", "comment_id", "creditmemo_id",
    "customer_address_id",
    "customer_group_id", "customer_id", "default_billing", "default_shipping", "entity_id", "gender",
    "group_id", "invoice_id", "item_id", "order_id", "order_item_id", "parent_id", "parent_item_id",
    "payment_id", "product_id", "quote_id", "quote_item_id", "region_id", "set", "shipment_id",
    "shipping_address_id", "stock_id", "store_id", "tax_class_id", "total_item_count", "track_id",
    "visibility", "website_id",
})
#: Amounts, quantities, weights and rates.
DECIMALS = frozenset({
    "adjustment_negative", "adjustment_positive", "amount_ordered", "amount_paid", "amount_refunded",
    "base_amount_ordered", "base_discount_amount", "base_grand_total", "base_price", "base_row_total",
    "base_shipping_amount", "base_subtotal", "base_tax_amount", "cost", "discount_amount", "discount_percent",
    "grand_total", "max_sale_qty", "min_qty", "min_sale_qty", "notify_stock_qty", "original_price", "price",
    "qty", "qty_canceled", "qty_increments", "qty_invoiced", "qty_ordered", "qty_refunded", "qty_shipped",
    "row_total", "row_weight", "shipping_amount", "shipping_tax_amount", "special_price", "subtotal",
    "subtotal_incl_tax", "tax_amount", "tax_percent", "total_due", "total_invoiced",
    "total_offline_refunded",
    "total_paid", "total_qty", "total_qty_ordered", "total_refunded", "weight",
})
#: Flags stored as 0/1.
BOOLEANS = frozenset({
    "customer_is_guest", "email_sent", "is_active", "is_default_billing", "is_default_shipping",
    "is_in_stock", "is_qty_decimal", "is_virtual", "is_visible_on_front", "manage_stock",
    "use_config_manage_stock",
})
#: Date and time columns (UTC in Magento 1's database).
DATETIMES = frozenset({"created_at", "order_created_at", "updated_at", "special_from_date",
                       "special_to_date"})
#: Calendar dates that Magento 1 stores with a midnight time.
DATES = frozenset({"dob"})
#: Lists of ids.
ID_LISTS = frozenset({"categories", "category_ids", "website_ids", "websites"})
#: Per resource, fields whose type differs there (a product's status is 1/2, an order's a code).
EXTRA_INTEGERS = {"product": frozenset({"status"})}


def convert(record: dict, kind: str = "") -> dict:
    """A record with its fields typed, nested records and lists of records included.

    >>> convert({"customer_id": "7", "grand_total": "12.5000", "qty": "2.0000", "postcode": "01234",
    ...          "created_at": "2024-05-01 10:00:00", "street": "Main St 1\\nFloor 2"})
    {'customer_id': 7, 'grand_total': 12.5, 'qty': 2, 'postcode': '01234', \
'created_at': '2024-05-01T10:00:00+00:00', 'street': ['Main St 1', 'Floor 2']}
    """
    integers = INTEGERS | EXTRA_INTEGERS.get(kind, frozenset())
    return {name: _value(name, value, integers) for name, value in record.items()}


def _value(name: str, value: Any, integers: frozenset) -> Any:
    if isinstance(value, dict):
        return convert(value)
    if isinstance(value, list):
        if name in ID_LISTS:
            return [_number(item, int) for item in value]
        return [convert(item) if isinstance(item, dict) else item for item in value]
    if not isinstance(value, str):
        return value
    if name in integers:
        return _number(value, int)
    if name in DECIMALS:
        return _number(value, int)
    if name in BOOLEANS:
        return None if value == "" else value not in ("0", "false")
    if name in DATETIMES:
        return iso_time(value)
    if name in DATES:
        return value[:10] if value[:4].isdigit() and not value.startswith("0000") else None
    if name == "street":
        return [line.strip() for line in value.split("\n") if line.strip()]
    return value


def _number(value: Any, kind: type) -> Any:
    # ``kind`` int: whole numbers as ints, the rest as floats (ids are always whole).
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        # Not what the column promises: passed on as it is, for the mapping to reject with its name.
        return value
    return int(number) if kind is int and number.is_integer() else number


def iso_time(value: str) -> str | None:
    """Magento 1's UTC ``YYYY-MM-DD HH:MM:SS`` as ISO 8601 (``+00:00``); MySQL's zero date as None."""
    if not value or value.startswith("0000"):
        return None
    try:
        moment = dt.datetime.strptime(value[:19], MAGENTO_TIME)
    except ValueError:
        return value
    return moment.replace(tzinfo=dt.timezone.utc).isoformat()
