"""Canonical entities -> NetSuite record payloads (REST field names, camelCase).

Amounts travel as strings (exact decimals); NetSuite wants JSON numbers. The mapping's
``target_fields`` (``LoadItem.native``: ``subsidiary``, ``customForm``, ``custbody_*``, ...) are
merged last, so they override whatever is derived here.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

#: What NetSuite accepts in ``eid:<external id>`` paths.
EXTERNAL_ID_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
#: Native keys that steer the load and are not record fields.
CONTROL_KEYS = ("customerExternalId",)


def external_id(value: str) -> str:
    """``value`` when NetSuite accepts it as an external id, else a readable slug plus a digest.

    >>> external_id("000000003")
    '000000003'
    >>> external_id("Jane.Doe@example.com")
    'Jane_Doe_example_com-ebbacfe6629a'
    """
    value = str(value).strip()
    if EXTERNAL_ID_SHAPE.match(value):
        return value
    # The digest keeps distinct values distinct ("a.b@x" and "a_b@x" share a slug).
    slug = re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_")[:60]
    return f"{slug}-{hashlib.sha256(value.encode()).hexdigest()[:12]}"


def customer_payload(data: dict, native: dict) -> dict:
    """A customer record from the canonical customer."""
    payload = {"email": data["email"], "firstName": data.get("first_name"), "lastName": data.get("last_name"),
               "isPerson": True}
    addresses = data.get("addresses") or []
    if addresses:
        payload["addressBook"] = {"items": [_address_book_line(address) for address in addresses]}
    return _finish(payload, data, native)


def order_customer_payload(order: dict, native: dict) -> dict:
    """The customer to create for an order whose buyer NetSuite does not know yet."""
    first, last = _buyer_names(order)
    payload = {"email": order["customer_email"], "firstName": first, "lastName": last, "isPerson": True}
    if "subsidiary" in native:
        # The customer must belong to the order's subsidiary, or NetSuite rejects the order.
        payload["subsidiary"] = native["subsidiary"]
    return _clean(payload)


def order_payload(data: dict, native: dict, *, customer_id: str, item_ids: dict[str, str]) -> dict:
    """A sales order from the canonical order; ``item_ids`` maps each line's SKU to an item id."""
    payload = {
        "entity": {"id": customer_id},
        "tranDate": (data.get("created_at") or "")[:10] or None,
        "otherRefNum": data["order_number"],
        "email": data.get("customer_email"),
        "shippingCost": _number(data.get("shipping_amount")),
        "billingAddress": _address(data.get("billing_address")),
        "shippingAddress": _address(data.get("shipping_address")),
        "item": {"items": [_order_line(line, item_ids[line["sku"]]) for line in data.get("lines") or []]},
    }
    return _finish(payload, data, native)


def _order_line(line: dict, item_id: str) -> dict:
    return _clean({"item": {"id": item_id}, "quantity": _number(line["qty"]),
                   "rate": _number(line.get("price")), "amount": _number(line.get("row_total")),
                   "description": line.get("name")})


def _address_book_line(address: dict) -> dict:
    return _clean({"defaultBilling": address.get("default_billing"),
                   "defaultShipping": address.get("default_shipping"),
                   "addressBookAddress": _address(address)})


def _address(address: dict | None) -> dict | None:
    if not address:
        return None
    street = list(address.get("street") or []) + [None, None, None]
    addressee = " ".join(part for part in (address.get("first_name"), address.get("last_name")) if part)
    return _clean({"addressee": addressee or address.get("company"),
                   "addr1": street[0], "addr2": street[1], "addr3": street[2], "city": address.get("city"),
                   "state": address.get("region"), "zip": address.get("postcode"),
                   "country": {"id": address["country_code"]}, "addrPhone": address.get("telephone")})


def _buyer_names(order: dict) -> tuple[str | None, str | None]:
    billing = order.get("billing_address") or {}
    if billing.get("first_name") or billing.get("last_name"):
        return billing.get("first_name"), billing.get("last_name")
    name = (order.get("customer_name") or "").split(None, 1)
    if len(name) == 2:
        return name[0], name[1]
    # NetSuite requires a name for a person: the address's local part is better than nothing.
    return None, (name[0] if name else order["customer_email"].split("@")[0])


def _finish(payload: dict, data: dict, native: dict) -> dict:
    payload = _clean(payload)
    payload.update(data.get("custom_attributes") or {})
    payload.update({key: value for key, value in native.items() if key not in CONTROL_KEYS})
    return payload


def _number(value: object) -> float | None:
    return None if value in (None, "") else float(Decimal(str(value)))


def _clean(payload: dict) -> dict:
    # NetSuite reads null as "clear this field": leave out what the entity does not say.
    return {key: value for key, value in payload.items() if value is not None}
