"""Canonical entities (``LoadItem.data``) turned into Magento 2 request objects.

Mapping files may add target-native fields (``LoadItem.native``): they are merged over what is
built here, ``custom_attributes`` by attribute code and objects (``extension_attributes``,
``arguments``) key by key.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pipeline.errors import RecordError
from pipeline.systems.carrying import copy_into
from pipeline.systems.magento2.carried import CARRIES

#: Canonical gender -> Magento's customer gender option (1 male, 2 female, 3 not specified).
GENDERS = {"male": 1, "m": 1, "1": 1, "female": 2, "f": 2, "2": 2, "not specified": 3, "3": 3}
#: Canonical product status and visibility -> Magento's option ids.
STATUSES = {"enabled": 1, "disabled": 2}
VISIBILITIES = {"not_visible_individually": 1, "catalog": 2, "search": 3, "catalog_search": 4}


def number(value: object, where: str) -> int | float:
    """A decimal string as a JSON number: an int when whole (quantities), else a float."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{where}: {value!r} is not a number.", {where: ["Not a number."]}) from None
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def custom_attributes(values: dict) -> list[dict]:
    """``{code: value}`` as Magento's ``[{attribute_code, value}]``; values are strings there."""
    return [{"attribute_code": code, "value": _attribute_value(value)} for code, value in values.items()]


def _attribute_value(value: object) -> str:
    if isinstance(value, list):
        # Multiselect attributes take a comma-separated list of option ids.
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def merge_native(payload: dict, native: dict) -> dict:
    """``payload`` with the mapping's target-native fields laid over it."""
    merged = dict(payload)
    for name, value in native.items():
        if name == "custom_attributes":
            extra = custom_attributes(value) if isinstance(value, dict) else list(value or [])
            merged[name] = merge_attributes(merged.get(name) or [], extra)
        elif isinstance(value, dict) and isinstance(merged.get(name), dict):
            # extension_attributes, arguments, ...: one level deep, the mapping's keys win.
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return merged


def merge_attributes(current: list[dict], extra: list[dict]) -> list[dict]:
    """Two ``custom_attributes`` lists as one; ``extra`` wins for a code in both."""
    by_code = {attribute["attribute_code"]: attribute for attribute in current}
    by_code.update({attribute["attribute_code"]: attribute for attribute in extra})
    return list(by_code.values())


def customer_core(data: dict, website_id: int, genders: dict = GENDERS,
                  carries: dict = CARRIES["customer"]) -> dict:
    """The customer fields Magento 1 and 2 share: names, email, website, birthday, gender, group.

    ``carries``: the system's customer table, whose ``Copy`` entries (names, email, birthday) it copies.
    """
    out: dict = copy_into({"website_id": website_id}, data, carries)
    if data.get("gender"):
        out["gender"] = option(genders, data["gender"], "gender")
    group = data.get("group")
    if group:
        if not str(group).isdigit():
            raise RecordError(f"group: {group!r} is not a Magento customer group id; map it to the id "
                              "(a value map) or set target_fields.group_id.",
                              {"group": ["Not a customer group id."]})
        out["group_id"] = int(group)
    return out


def customer(data: dict, website_id: int) -> dict:
    """A ``customer-data-customer-interface`` object (without ``id``)."""
    out = customer_core(data, website_id)
    if data.get("is_subscribed") is not None:
        out["extension_attributes"] = {"is_subscribed": bool(data["is_subscribed"])}
    if data.get("custom_attributes"):
        out["custom_attributes"] = custom_attributes(data["custom_attributes"])
    return out


def address(data: dict, region: dict | None) -> dict:
    """A ``customer-data-address-interface`` object; ``region`` as the directory resolved it."""
    out = copy_into({}, data, CARRIES["customer"], part="addresses")
    if region is not None:
        out["region"] = region
        if region.get("region_id"):
            out["region_id"] = region["region_id"]
    return out


def product(data: dict) -> dict:
    """A ``catalog-data-product-interface`` object."""
    out: dict = copy_into({"type_id": data.get("type") or "simple"}, data, CARRIES["product"])
    if data.get("price") is not None:
        out["price"] = number(data["price"], "price")
    if data.get("weight") is not None:
        out["weight"] = number(data["weight"], "weight")
    if data.get("status"):
        out["status"] = STATUSES[data["status"]]
    if data.get("visibility"):
        out["visibility"] = VISIBILITIES[data["visibility"]]
    if str(data.get("attribute_set") or "").isdigit():
        out["attribute_set_id"] = int(data["attribute_set"])
    extension = _product_extension(data)
    if extension:
        out["extension_attributes"] = extension
    attributes = dict(data.get("custom_attributes") or {})
    for name in ("description", "special_price"):
        if data.get(name) is not None:
            attributes.setdefault(name, data[name])
    if attributes:
        out["custom_attributes"] = custom_attributes(attributes)
    return out


def _product_extension(data: dict) -> dict:
    extension: dict = {}
    if data.get("website_ids"):
        extension["website_ids"] = [int(number(value, "website_ids")) for value in data["website_ids"]]
    if data.get("categories"):
        extension["category_links"] = [{"category_id": str(category), "position": position}
                                       for position, category in enumerate(data["categories"])]
    return extension


def source_item(data: dict) -> dict:
    """An MSI ``inventory-api-data-source-item-interface`` object."""
    quantity = number(data["quantity"], "quantity")
    in_stock = data.get("is_in_stock")
    return copy_into({"source_code": data.get("source_code") or "default", "quantity": quantity,
                      "status": int(in_stock if in_stock is not None else quantity > 0)}, data, CARRIES["inventory"])


def stock_item(data: dict) -> dict:
    """A partial legacy ``catalog-inventory-data-stock-item-interface`` object."""
    quantity = number(data["quantity"], "quantity")
    in_stock = data.get("is_in_stock")
    return {"qty": quantity, "is_in_stock": bool(in_stock if in_stock is not None else quantity > 0)}


def option(options: dict, value: object, where: str) -> int:
    """``value`` as one of Magento's option ids, or a RecordError listing the known ones."""
    try:
        return options[str(value).strip().lower()]
    except KeyError:
        known = ", ".join(sorted(options))
        raise RecordError(f"{where}: {value!r} is not one of {known}.",
                          {where: [f"Must be one of: {known}."]}) from None
