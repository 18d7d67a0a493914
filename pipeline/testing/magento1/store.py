"""The emulated shop's tables, kept as Magento 1 keeps them: every value a string, as MySQL gives it.

Decimal columns read ``"12.5000"`` (``decimal(12,4)``), flags ``"1"``/``"0"``, dates UTC
``YYYY-MM-DD HH:MM:SS``, a street its lines joined by ``\\n``; NULL is None. Seeding helpers take
Python values and store them that way.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

#: Columns stored as ``decimal(12,4)``.
DECIMAL_COLUMNS = frozenset({
    "adjustment_negative", "adjustment_positive", "amount_ordered", "amount_paid", "base_grand_total",
    "discount_amount", "grand_total", "price", "qty", "qty_canceled", "qty_invoiced", "qty_ordered",
    "qty_refunded", "qty_shipped", "row_total", "shipping_amount", "shipping_refunded", "special_price", "subtotal",
    "tax_amount", "tax_percent",
    "total_invoiced", "total_paid", "total_qty", "total_qty_ordered", "total_refunded", "weight",
})
#: Fields that are lists in the tables (ids, kept as lists of strings).
LIST_COLUMNS = frozenset({"website_ids", "category_ids"})


def text(name: str, value: object) -> object:
    """A Python value as Magento 1's database gives it back."""
    if value is None or isinstance(value, (dict, str)):
        return value
    if isinstance(value, list):
        if name == "street":
            return "\n".join(str(line) for line in value)
        return [text(name, item) for item in value] if name not in LIST_COLUMNS else [str(v) for v in value]
    if isinstance(value, bool):
        return "1" if value else "0"
    if name in DECIMAL_COLUMNS:
        return f"{Decimal(str(value)):.4f}"
    return str(value)


def row(values: dict) -> dict:
    return {name: text(name, value) for name, value in values.items()}


def amount(value: object) -> Decimal:
    return Decimal(str(value or 0))


@dataclass
class Tables:
    """Every emulated table, by entity id (products by SKU), and the id sequences."""

    customers: dict[int, dict] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    orders: dict[int, dict] = field(default_factory=dict)
    invoices: dict[int, dict] = field(default_factory=dict)
    shipments: dict[int, dict] = field(default_factory=dict)
    creditmemos: dict[int, dict] = field(default_factory=dict)
    ids: dict[str, itertools.count] = field(default_factory=dict)

    def next_id(self, sequence: str, start: int = 1) -> int:
        return next(self.ids.setdefault(sequence, itertools.count(start)))

    def increment_id(self, sequence: str) -> str:
        # Each document type has its own sequence, prefixed by the store id (1) as Magento 1 does.
        return str(self.next_id(f"increment:{sequence}", 100000001))

    def order_by_increment(self, increment_id: object) -> dict | None:
        wanted = str(increment_id)
        return next((order for order in self.orders.values() if order["increment_id"] == wanted), None)

    def product(self, key: object) -> dict | None:
        """A product by SKU or, failing that, by id (``getIdBySku`` first, as Magento 1 does)."""
        found = self.products.get(str(key))
        if found is None:
            found = next((p for p in self.products.values() if p["entity_id"] == str(key)), None)
        return found


def customer_row(tables: Tables, fields: dict, now: str) -> dict:
    """A customer; ``addresses`` (``default_billing``/``default_shipping`` flags on each) are kept aside."""
    entity_id = tables.next_id("customer")
    addresses = fields.pop("addresses", None) or []
    values = {"entity_id": entity_id, "website_id": 1, "group_id": 1, "store_id": 1, "is_active": True,
              "created_in": "Default Store View", "created_at": now, "updated_at": now, **fields}
    customer = row(values)
    customer["addresses"] = []
    for address in addresses:
        flags = {flag: address.pop(flag, False) for flag in ("default_billing", "default_shipping")}
        stored = row({"entity_id": tables.next_id("customer_address"), "parent_id": entity_id,
                      "created_at": now, "updated_at": now, **address})
        customer["addresses"].append(stored)
        customer.update({flag: stored["entity_id"] for flag, on in flags.items() if on})
    return customer


def product_row(tables: Tables, sku: str, fields: dict, now: str) -> dict:
    values = {"entity_id": tables.next_id("product"), "sku": sku, "type_id": "simple", "attribute_set_id": 4,
              "name": sku, "price": 10, "status": 1, "visibility": 4, "tax_class_id": 2, "weight": 1,
              "description": sku, "short_description": sku, "website_ids": [1], "category_ids": [],
              "created_at": now, "updated_at": now, **fields}
    product = row(values)
    product["stock"] = row({"item_id": product["entity_id"], "qty": fields.get("qty", 100),
                            "is_in_stock": fields.get("is_in_stock", True)})
    product.pop("qty", None)
    product.pop("is_in_stock", None)
    return product


def order_row(tables: Tables, seed: dict, now: str) -> dict:
    """An order from a short description (``items: [{"sku", "qty_ordered", "price"}]``, ``child`` for a
    configurable line); every field has a default."""
    entity_id = tables.next_id("order")
    stamp = seed.get("updated_at") or now
    seeds = seed.get("items") or [{"sku": "SKU-1", "qty_ordered": 1, "price": 10}]
    items = _order_items(tables, entity_id, seeds, stamp)
    subtotal = sum(amount(item["row_total"]) for item in items if not item["parent_item_id"])
    shipping = amount(seed.get("shipping_amount", 5))
    grand_total = subtotal + shipping
    email = seed.get("customer_email", "jane@example.com")
    currency = seed.get("currency", "EUR")
    values = {"entity_id": entity_id,
              "increment_id": seed.get("increment_id") or tables.increment_id("order"),
              "state": "processing", "status": "processing", "customer_id": seed.get("customer_id"),
              "customer_email": email, "customer_firstname": seed.get("customer_firstname", "Jane"),
              "customer_lastname": seed.get("customer_lastname", "Doe"), "customer_is_guest": False,
              "store_id": 1, "created_at": seed.get("created_at") or stamp, "updated_at": stamp,
              "order_currency_code": currency, "base_currency_code": currency,
              "subtotal": subtotal, "shipping_amount": shipping, "shipping_refunded": 0, "discount_amount": 0,
              "tax_amount": 0,
              "grand_total": grand_total, "base_grand_total": grand_total,
              # Paid online at checkout: the amount is there to refund once invoiced.
              "total_paid": seed.get("total_paid", 0), "total_invoiced": 0, "total_refunded": 0,
              "total_qty_ordered": sum(amount(item["qty_ordered"]) for item in items
                                       if not item["parent_item_id"]),
              "shipping_method": seed.get("shipping_method", "flatrate_flatrate"),
              "shipping_description": "Flat Rate - Fixed"}
    order = row(values)
    order["items"] = items
    order["billing_address"] = _address(tables, entity_id, "billing", seed.get("billing_address") or {}, seed)
    order["shipping_address"] = _address(tables, entity_id, "shipping", seed.get("shipping_address") or {},
                                         seed)
    order["payment"] = row({"entity_id": entity_id, "parent_id": entity_id,
                            "method": seed.get("payment", "checkmo"), "amount_ordered": grand_total})
    order["status_history"] = []
    return order


def _order_items(tables: Tables, order_id: int, seeds: list[dict], stamp: str) -> list[dict]:
    items = []
    for seed in seeds:
        parent = _item(tables, order_id, seed, None, stamp)
        items.append(parent)
        if seed.get("child"):
            child = {"sku": seed["sku"], "qty_ordered": seed.get("qty_ordered", 1), "price": 0,
                     "product_type": "simple", **seed["child"]}
            items.append(_item(tables, order_id, child, parent["item_id"], stamp))
    return items


def _item(tables: Tables, order_id: int, seed: dict, parent_id: str | None, stamp: str) -> dict:
    qty, price = amount(seed.get("qty_ordered", 1)), amount(seed.get("price", 10))
    values = {"item_id": tables.next_id("order_item"), "order_id": order_id, "parent_item_id": parent_id,
              "product_id": seed.get("product_id"), "sku": seed["sku"], "name": seed.get("name", seed["sku"]),
              "product_type": seed.get("product_type", "configurable" if seed.get("child") else "simple"),
              "qty_ordered": qty, "qty_invoiced": 0, "qty_shipped": 0, "qty_refunded": 0, "qty_canceled": 0,
              "price": price, "row_total": qty * price, "tax_amount": 0, "tax_percent": 0, "discount_amount": 0,
              "created_at": stamp, "updated_at": stamp}
    return row(values)


def _address(tables: Tables, order_id: int, kind: str, fields: dict, seed: dict) -> dict:
    values = {"entity_id": tables.next_id("order_address"), "parent_id": order_id, "address_type": kind,
              "firstname": seed.get("customer_firstname", "Jane"),
              "lastname": seed.get("customer_lastname", "Doe"),
              "street": ["1 Main Street"], "city": "Berlin", "region": None, "postcode": "10115",
              "country_id": "DE", "telephone": "+49 30 123456", "email": seed.get("customer_email"), **fields}
    return row(values)
