"""Lifecycle events Magento 2 carries as a target: a product disabled (and its stock zeroed).

A product the source made inactive arrives as an upsert with ``status: disabled``. When the shop
had it enabled, the load is the ``disabled`` event (its own outcome and count); a product created
disabled, or one already disabled, is an ordinary load. With ``DISABLED_STOCK=zero`` the disabled
product's stock is set to 0 and out of stock on every source too, so nothing sells from stock the
catalogue no longer shows (Magento keeps selling an out-of-catalogue SKU through a direct link).
"""

from __future__ import annotations

from urllib.parse import quote

from pipeline.errors import NotFoundError
from pipeline.systems.base import LoadItem
from pipeline.systems.lifecycle import Applied
from pipeline.systems.magento2 import load
from pipeline.systems.magento2.client import Magento2Client
from pipeline.systems.magento2.search import SearchCriteria

#: Magento's ``status`` of an enabled product.
ENABLED = 1


def load_product(client: Magento2Client, item: LoadItem, *, zero_stock: bool, inventory_api: str) -> Applied | None:
    """Upsert the product; disabling one the shop had enabled is the ``disabled`` event."""
    if item.data.get("status") != "disabled":
        load.load_product(client, item)
        return None
    sku = item.data["sku"]
    before = _stored_product(client, sku)
    load.load_product(client, item)
    if before is None or before.get("status") != ENABLED:
        return None
    detail = f"Product {sku!r} disabled in the shop"
    if zero_stock:
        sources = _zero_stock(client, sku, inventory_api)
        detail += f"; its stock set to 0 on {sources}"
    return Applied("disabled", detail + ".")


def _stored_product(client: Magento2Client, sku: str) -> dict | None:
    try:
        return client.get(f"/V1/products/{quote(sku, safe='')}")
    except NotFoundError:
        return None


def _zero_stock(client: Magento2Client, sku: str, inventory_api: str) -> str:
    """Set the SKU's stock to 0, out of stock; returns where, for the operator."""
    if inventory_api == "legacy":
        quoted = quote(sku, safe="")
        stock = client.get(f"/V1/stockItems/{quoted}")
        client.put(f"/V1/products/{quoted}/stockItems/{stock['item_id']}",
                   {"stockItem": {"qty": 0, "is_in_stock": False}})
        return "the default stock"
    criteria = SearchCriteria(page_size=100).where("sku", sku)
    found = client.get("/V1/inventory/source-items", criteria.params(current_page=1)).get("items") or []
    codes = sorted({row["source_code"] for row in found}) or ["default"]
    client.post("/V1/inventory/source-items", {"sourceItems": [
        {"sku": sku, "source_code": code, "quantity": 0, "status": 0} for code in codes]})
    return "source" + ("s " if len(codes) > 1 else " ") + ", ".join(codes)


#: What ``apply_missing`` can do to records a full run no longer finds in the source.
MISSING_ACTIONS = {"product": ("delete", "disable"), "customer": ("delete",)}


def remove_product(client: Magento2Client, sku: str, action: str, *, zero_stock: bool,
                   inventory_api: str) -> Applied:
    """Delete or disable a product gone from the source; one already gone is reported, not failed."""
    path = f"/V1/products/{quote(sku, safe='')}"
    if action == "delete":
        try:
            client.call("DELETE", path)
        except NotFoundError:
            return Applied("deleted", f"Product {sku!r} was no longer in the shop.")
        return Applied("deleted", f"Product {sku!r} deleted from the shop: the source no longer has it.")
    if _stored_product(client, sku) is None:
        # PUT would create it: a product gone from both ends stays gone.
        return Applied("disabled", f"Product {sku!r} was no longer in the shop: nothing to disable.")
    client.put(path, {"product": {"sku": sku, "status": 2}})
    detail = f"Product {sku!r} disabled in the shop: the source no longer has it"
    if zero_stock:
        detail += f"; its stock set to 0 on {_zero_stock(client, sku, inventory_api)}"
    return Applied("disabled", detail + ".")


def remove_customer(client: Magento2Client, email: str, website_id: int) -> Applied:
    """Delete the customer with this email (in the connection's website), gone from the source."""
    found = load.find_customer(client, email, website_id)
    if found is None:
        return Applied("deleted", f"Customer {email!r} was no longer in the shop.")
    try:
        client.call("DELETE", f"/V1/customers/{found['id']}")
    except NotFoundError:
        return Applied("deleted", f"Customer {email!r} was no longer in the shop.")
    return Applied("deleted", f"Customer {email!r} deleted from the shop: the source no longer has them.")
