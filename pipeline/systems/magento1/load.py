"""Upserts of customers, products and stock into Magento 1, each safe to repeat.

* customer: ``customer.list`` by email within the website (Magento's own uniqueness rule), then
  ``customer.update`` of the one found or ``customer.create``; then its address book
  (``addresses``, regions resolved by the shop's directory);
* product: ``catalog_product.update`` by SKU, and ``catalog_product.create`` when Magento answers
  fault 101 ``product_not_exists``: one call for the common case (a known SKU) instead of an
  ``info`` before each update;
* inventory: ``cataloginventory_stock_item.update`` by SKU (Magento 1 has one stock per product).
"""

from __future__ import annotations

from pipeline.errors import NotFoundError, RecordError
from pipeline.systems.base import LoadItem
from pipeline.systems.magento1 import addresses, payloads
from pipeline.systems.magento1.client import Magento1Client
from pipeline.systems.magento1.regions import RegionDirectory


def website_of(item: LoadItem, default: int) -> int:
    """The target website: the mapping's ``website_id``, a numeric canonical ``website``, or the setting."""
    if item.native.get("website_id") is not None:
        return int(item.native["website_id"])
    website = str(item.data.get("website") or "")
    return int(website) if website.isdigit() else default


def load_customer(client: Magento1Client, regions: RegionDirectory, item: LoadItem,
                  default_website: int) -> None:
    """Create or update the customer with this email in the target website, then its addresses."""
    website = website_of(item, default_website)
    body = payloads.customer(item.data, website, item.native)
    existing = find_customer(client, item.data["email"], website)
    if existing is None:
        customer_id = client.call("customer.create", body)
    else:
        customer_id = existing["customer_id"]
        client.call("customer.update", customer_id, body)
    if item.data.get("addresses") is not None:
        addresses.write_addresses(client, regions, customer_id, item.data["addresses"], item.key)


def find_customer(client: Magento1Client, email: str, website_id: int) -> dict | None:
    found = client.call("customer.list", {"email": email, "website_id": str(website_id)}) or []
    return found[0] if found else None


def load_product(client: Magento1Client, item: LoadItem) -> None:
    """Update the product with this SKU, or create it."""
    sku = item.data["sku"]
    body = payloads.product(item.data, item.native)
    try:
        client.call("catalog_product.update", sku, body, None, "sku")
    except NotFoundError:
        kind = item.native.get("type") or item.data.get("type") or "simple"
        attribute_set = item.native.get("set") or _numeric(item.data.get("attribute_set")) \
            or payloads.DEFAULT_ATTRIBUTE_SET
        client.call("catalog_product.create", kind, attribute_set, sku, payloads.new_product(body))


def load_stock_item(client: Magento1Client, item: LoadItem) -> None:
    """Set the stock of the SKU."""
    source = item.data.get("source_code") or "default"
    if source != "default":
        raise RecordError(f"Inventory record {item.key!r} names source {source!r}, but Magento 1 keeps one "
                          "stock per product (source 'default').", {"source_code": ["Not 'default'."]})
    client.call("cataloginventory_stock_item.update", item.data["sku"],
                payloads.stock(item.data, item.native))


def _numeric(value: object) -> int | None:
    return int(value) if str(value or "").isdigit() else None
