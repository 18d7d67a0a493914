"""Canonical entities (``LoadItem.data``) as Magento 1 API arguments.

A mapping's ``target_fields`` (``LoadItem.native``) are merged over what is built here, so they
can set any attribute (``tax_class_id``, ``taxvat``, a custom attribute code). A few native keys
steer the call instead of being attributes: ``website_id`` (the customer's website), ``set`` and
``type`` (a new product's attribute set and type).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pipeline.errors import RecordError

#: Canonical gender -> Magento's customer gender option.
GENDERS = {"male": 1, "m": 1, "1": 1, "female": 2, "f": 2, "2": 2}
STATUSES = {"enabled": 1, "disabled": 2}
VISIBILITIES = {"not_visible_individually": 1, "catalog": 2, "search": 3, "catalog_search": 4}
#: Native keys that are arguments of the product calls, not attributes.
PRODUCT_CONTROL = ("set", "type")
#: The "Default" attribute set of a Magento 1 install's products.
DEFAULT_ATTRIBUTE_SET = 4


def number(value: object, where: str) -> int | float:
    """A decimal string as a number: an int when whole (quantities), else a float."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{where}: {value!r} is not a number.", {where: ["Not a number."]}) from None
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def customer(data: dict, website_id: int, native: dict) -> dict:
    """``customerData`` of ``customer.create`` / ``customer.update``."""
    out: dict = {"email": data["email"], "firstname": data["first_name"], "lastname": data["last_name"],
                 "website_id": website_id}
    if data.get("dob"):
        out["dob"] = data["dob"]
    if data.get("gender"):
        out["gender"] = _option(GENDERS, data["gender"], "gender")
    group = data.get("group")
    if group:
        if not str(group).isdigit():
            raise RecordError(f"group: {group!r} is not a Magento customer group id; map it to the id "
                              "(a value map) or set target_fields.group_id.",
                              {"group": ["Not a customer group id."]})
        out["group_id"] = int(group)
    out.update(data.get("custom_attributes") or {})
    out.update(native)
    return out


def product(data: dict, native: dict) -> dict:
    """``productData`` of ``catalog_product.create`` / ``update`` (attributes by code)."""
    out: dict = {"name": data["name"]}
    for name in ("price", "special_price", "weight"):
        if data.get(name) is not None:
            out[name] = number(data[name], name)
    if data.get("status"):
        out["status"] = STATUSES[data["status"]]
    if data.get("visibility"):
        out["visibility"] = VISIBILITIES[data["visibility"]]
    if data.get("description") is not None:
        out["description"] = data["description"]
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


def _option(options: dict, value: object, where: str) -> int:
    try:
        return options[str(value).strip().lower()]
    except KeyError:
        known = ", ".join(sorted(options))
        raise RecordError(f"{where}: {value!r} is not one of {known}.",
                          {where: [f"Must be one of: {known}."]}) from None
