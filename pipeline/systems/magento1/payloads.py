"""Canonical entities (``LoadItem.data``) as Magento 1 API arguments.

A mapping's ``target_fields`` (``LoadItem.native``) are merged over what is built here, so they
can set any attribute (``tax_class_id``, ``taxvat``, a custom attribute code). A few native keys
steer the call instead of being attributes: ``website_id`` (the customer's website), ``set`` and
``type`` (a new product's attribute set and type).
"""

from __future__ import annotations

from pipeline.systems.carrying import copy_into
from pipeline.systems.magento1.carried import CARRIES
# Magento 1 keeps the EAV option ids and customer fields Magento 2 inherited from it.
from pipeline.systems.magento2.payloads import STATUSES, VISIBILITIES, customer_core, number

#: Canonical gender -> Magento's customer gender option.
GENDERS = {"male": 1, "m": 1, "1": 1, "female": 2, "f": 2, "2": 2}
#: Native keys that are arguments of the product calls, not attributes.
PRODUCT_CONTROL = ("set", "type")
#: The "Default" attribute set of a Magento 1 install's products.
DEFAULT_ATTRIBUTE_SET = 4


def customer(data: dict, website_id: int, native: dict) -> dict:
    """``customerData`` of ``customer.create`` / ``customer.update``."""
    out = customer_core(data, website_id, GENDERS, CARRIES["customer"])
    out.update(data.get("custom_attributes") or {})
    out.update(native)
    return out


def product(data: dict, native: dict) -> dict:
    """``productData`` of ``catalog_product.create`` / ``update`` (attributes by code)."""
    out: dict = copy_into({}, data, CARRIES["product"])
    for name in ("price", "special_price", "weight"):
        if data.get(name) is not None:
            out[name] = number(data[name], name)
    if data.get("status"):
        out["status"] = STATUSES[data["status"]]
    if data.get("visibility"):
        out["visibility"] = VISIBILITIES[data["visibility"]]
    if data.get("website_ids"):
        out["website_ids"] = [int(number(value, "website_ids")) for value in data["website_ids"]]
    if data.get("categories"):
        # The save reads "categories"; "category_ids" is only what list calls return.
        out["categories"] = [int(number(value, "categories")) for value in data["categories"]]
    out.update(data.get("custom_attributes") or {})
    out.update({key: value for key, value in native.items() if key not in PRODUCT_CONTROL})
    return out


def new_product(body: dict) -> dict:
    """``body`` completed with what a create needs and the canonical product may not say.

    Magento 1 validates every required attribute of the set on create (``Attribute "x" is
    invalid.``). Texts fall back to the name and the options to the admin form's defaults; price,
    weight and tax class are left to the mapping, since a guess there sells at a wrong price.
    """
    out = dict(body)
    out.setdefault("description", out["name"])
    out.setdefault("short_description", out["description"])
    out.setdefault("status", STATUSES["enabled"])
    out.setdefault("visibility", VISIBILITIES["catalog_search"])
    return out


def stock(data: dict, native: dict) -> dict:
    """``cataloginventory_stock_item.update`` data: quantity and stock status."""
    quantity = number(data["quantity"], "quantity")
    in_stock = data.get("is_in_stock")
    return {"qty": quantity, "is_in_stock": int(bool(in_stock if in_stock is not None else quantity > 0)),
            **native}


