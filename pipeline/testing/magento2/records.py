"""The emulator's tables and the records Magento would store: customers, products, stock, orders.

Records are kept in the shape the REST API returns them (snake_case keys, ids as integers, dates
as ``YYYY-MM-DD HH:MM:SS`` UTC), so that handlers answer them as they are.
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from pipeline.testing.directory import COUNTRIES
from pipeline.testing.magento2.responses import REQUIRED_FIELD, bad_request

#: Magento's default attribute set of products.
DEFAULT_ATTRIBUTE_SET = 4
#: Street lines a customer address may have: ``customer/address/street_lines``, 2 by default (the
#: street attribute's multiline_count, checked by Eav's Multiline data model on save).
STREET_LINES = 2


@dataclass
class Tables:
    """Everything the emulated shop stores, by id (products and stock by SKU)."""

    customers: dict[int, dict] = field(default_factory=dict)
    orders: dict[int, dict] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    stock_items: dict[str, dict] = field(default_factory=dict)
    source_items: dict[tuple[str, str], dict] = field(default_factory=dict)
    sources: set[str] = field(default_factory=lambda: {"default"})
    invoices: dict[int, dict] = field(default_factory=dict)
    shipments: dict[int, dict] = field(default_factory=dict)
    creditmemos: dict[int, dict] = field(default_factory=dict)
    #: (document table, document id) -> its comments.
    comments: dict[tuple[str, int], list[dict]] = field(default_factory=lambda: defaultdict(list))
    _counters: dict[str, itertools.count] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        return next(self._counters.setdefault(table, itertools.count(1)))

    def increment_id(self, table: str) -> str:
        return f"{self.next_id(table + '.increment'):09d}"


def customer_record(tables: Tables, body: dict, now: str, existing: dict | None = None) -> dict:
    """A stored customer from a request's ``customer`` object (new, or over ``existing``)."""
    defaults = {"group_id": 1, "store_id": 1, "created_in": "Default Store View",
                "disable_auto_group_change": 0, "created_at": now}
    record = {**defaults, **(existing or {}), **copy.deepcopy(body), "updated_at": now}
    record["id"] = existing["id"] if existing else tables.next_id("customers")
    record["addresses"] = _addresses(tables, record, body.get("addresses"), (existing or {}).get("addresses"))
    return record


def _addresses(tables: Tables, customer: dict, wanted: list[dict] | None,
               stored: list[dict] | None) -> list[dict]:
    if wanted is None:
        return list(stored or [])
    # A new list replaces the addresses: the defaults are what its flags say.
    customer.pop("default_billing", None)
    customer.pop("default_shipping", None)
    out = []
    for address in copy.deepcopy(wanted):
        _check_region(address)
        _check_street(address)
        address["id"] = address.get("id") or tables.next_id("addresses")
        address["customer_id"] = customer["id"]
        for flag in ("default_billing", "default_shipping"):
            if address.get(flag):
                customer[flag] = str(address["id"])
        out.append(address)
    return out


def _check_region(address: dict) -> None:
    country = COUNTRIES.get(address.get("country_id") or "")
    if country and country["required"] and not address.get("region_id"):
        raise bad_request(REQUIRED_FIELD, {"fieldName": "regionId"})


def _check_street(address: dict) -> None:
    # Eav\Model\Attribute\Data\Multiline::validateValue; the address resource model's validator
    # throws its messages as one Validator\Exception ([derived]: rendered, without parameters).
    if len(address.get("street") or []) > STREET_LINES:
        raise bad_request(f'"Street Address" cannot contain more than {STREET_LINES} lines.')


def product_record(tables: Tables, body: dict, now: str, existing: dict | None = None) -> dict:
    record = copy.deepcopy(existing) if existing else {
        "id": tables.next_id("products"), "attribute_set_id": DEFAULT_ATTRIBUTE_SET, "status": 1,
        "visibility": 4, "type_id": "simple", "created_at": now, "product_links": [], "options": [],
        "media_gallery_entries": [], "tier_prices": [], "custom_attributes": [],
        "extension_attributes": {"website_ids": [1]}}
    extension = {**record.get("extension_attributes", {}), **body.get("extension_attributes", {})}
    both = record.get("custom_attributes", []) + body.get("custom_attributes", [])
    attributes = {attribute["attribute_code"]: attribute for attribute in both}
    record.update({**copy.deepcopy(body), "updated_at": now, "extension_attributes": extension,
                   "custom_attributes": list(attributes.values())})
    for required in ("name", "price"):
        if record.get(required) is None:
            raise bad_request('The "%1" attribute value is empty. Set the attribute and try again.',
                              [required])
    return record


def stock_item(tables: Tables, product: dict) -> dict:
    """The product's legacy stock item, created on first use."""
    sku = product["sku"]
    if sku not in tables.stock_items:
        tables.stock_items[sku] = {"item_id": tables.next_id("stock_items"), "product_id": product["id"],
                                   "stock_id": 1, "qty": 0, "is_in_stock": False, "is_qty_decimal": False,
                                   "manage_stock": True, "low_stock_date": None}
    return tables.stock_items[sku]


def order_record(tables: Tables, seed: dict, now: str) -> dict:
    """A full order (items, addresses, payment, shipping assignment) from a test's short description."""
    order_id = tables.next_id("orders")
    items = _order_items(tables, order_id, seed.pop("items", [{"sku": "SKU-1"}]))
    lines = [item for item in items if not item.get("parent_item_id")]
    subtotal = sum(item["row_total"] for item in lines)
    email = seed.get("customer_email", "jdoe@example.com")
    billing = _order_address(tables, order_id, "billing", email)
    shipping = {"address": _order_address(tables, order_id, "shipping", email), "method": "flatrate_flatrate",
                "total": {"shipping_amount": 5, "shipping_incl_tax": 5, "shipping_tax_amount": 0}}
    order = {
        "entity_id": order_id, "increment_id": tables.increment_id("orders"), "state": "new",
        "status": "pending", "created_at": now, "updated_at": now, "customer_email": email,
        "customer_firstname": "Jane", "customer_lastname": "Doe", "customer_is_guest": 1, "store_id": 1,
        "order_currency_code": "USD", "base_currency_code": "USD", "subtotal": subtotal, "shipping_amount": 5, "tax_amount": 0,
        "grand_total": subtotal + 5, "base_grand_total": subtotal + 5,
        "total_qty_ordered": sum(item["qty_ordered"] for item in lines), "items": items,
        "billing_address": billing, "status_histories": [],
        "payment": {"entity_id": order_id, "parent_id": order_id, "method": "checkmo",
                    "amount_ordered": subtotal + 5},
        "extension_attributes": {"shipping_assignments": [{"shipping": shipping, "items": items}]},
    }
    order.update(seed)
    return order


def _order_address(tables: Tables, order_id: int, kind: str, email: str) -> dict:
    return {"address_type": kind, "entity_id": tables.next_id("order_addresses"), "parent_id": order_id,
            "firstname": "Jane", "lastname": "Doe", "street": ["123 Oak Ave"], "city": "Purchase",
            "region": "New York", "region_code": "NY", "region_id": 43, "postcode": "10577",
            "country_id": "US", "telephone": "512-555-1111", "email": email}


def _order_items(tables: Tables, order_id: int, seeds: list[dict]) -> list[dict]:
    items = []
    for seed in copy.deepcopy(seeds):
        child = seed.pop("child", None)
        item = _order_item(tables, order_id, seed)
        items.append(item)
        if child is not None:
            # A configurable line: the child carries the same SKU and points at its parent.
            child_seed = {"sku": item["sku"], "qty_ordered": item["qty_ordered"], "price": 0, **child,
                          "parent_item_id": item["item_id"]}
            items.append(_order_item(tables, order_id, child_seed))
    return items


def _order_item(tables: Tables, order_id: int, seed: dict) -> dict:
    qty, price = seed.get("qty_ordered", 1), seed.get("price", 10)
    return {"item_id": tables.next_id("order_items"), "order_id": order_id, "name": seed.get("sku", "Item"),
            "product_type": "simple", "qty_ordered": qty, "qty_invoiced": 0, "qty_shipped": 0,
            "qty_refunded": 0, "price": price, "row_total": qty * price, **seed}


#: Columns a getList filter may name on each table, beyond those its stored rows show (Magento's
#: database columns; an EAV entity's attributes). Anything else is refused (``searching.check_fields``).
COLUMNS = {
    "customers": ("entity_id", "email", "firstname", "lastname", "middlename", "prefix", "suffix", "dob",
                  "gender", "group_id", "website_id", "store_id", "created_at", "updated_at", "created_in",
                  "is_active", "taxvat", "default_billing", "default_shipping", "confirmation"),
    "products": ("entity_id", "sku", "name", "price", "status", "visibility", "type_id", "attribute_set_id",
                 "created_at", "updated_at", "weight", "description", "short_description", "url_key",
                 "special_price", "cost", "category_id", "store_id", "website_id"),
    "orders": ("entity_id", "increment_id", "state", "status", "customer_email", "customer_id",
               "customer_firstname", "customer_lastname", "created_at", "updated_at", "store_id",
               "grand_total", "base_grand_total", "subtotal", "order_currency_code", "customer_group_id",
               "quote_id"),
    "invoices": ("entity_id", "order_id", "increment_id", "state", "created_at", "updated_at", "grand_total",
                 "store_id"),
    "shipments": ("entity_id", "order_id", "increment_id", "created_at", "updated_at", "store_id",
                  "customer_id"),
    "creditmemos": ("entity_id", "order_id", "increment_id", "state", "created_at", "updated_at",
                    "grand_total", "store_id", "creditmemo_status"),
    "source_items": ("sku", "source_code", "quantity", "status"),
}
