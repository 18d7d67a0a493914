"""Canonical entities -> NetSuite record payloads (REST field names, camelCase).

Amounts travel as strings (exact decimals); NetSuite wants JSON numbers. The mapping's
``target_fields`` (``LoadItem.native``: ``subsidiary``, ``customForm``, ``custbody_*``, ...) are
merged last, so they override whatever is derived here.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from pipeline.errors import RecordError
from pipeline.systems.carrying import copy_into
from pipeline.systems.netsuite import money
from pipeline.systems.netsuite.carried import ADDRESS, CARRIES
from pipeline.systems.netsuite.config import LoadSettings

#: What NetSuite accepts in ``eid:<external id>`` paths.
EXTERNAL_ID_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
#: Native keys that steer the load and are not record fields.
CONTROL_KEYS = ("customerExternalId",)
#: Canonical order status -> ``orderStatus`` (only A and B may be set on a new order; C cancels).
ORDER_STATUSES = {"on_hold": "A", "pending": "A", "pending_approval": "A", "cancelled": "C", "canceled": "C"}
#: ``globalSubscriptionStatus``: soft opt-in and soft opt-out.
SUBSCRIBED, UNSUBSCRIBED = "1", "2"


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


def customer_payload(data: dict, native: dict, settings: LoadSettings = LoadSettings()) -> dict:
    """A customer record from the canonical customer (what ``carried.CARRIES["customer"]`` lists)."""
    payload = copy_into({"isPerson": True}, data, CARRIES["customer"])
    if data.get("group"):
        # The shop's group, mapped (value_maps) to a customer category's internal id.
        payload["category"] = {"id": str(data["group"])}
    if data.get("is_subscribed") is not None:
        payload["globalSubscriptionStatus"] = {"id": SUBSCRIBED if data["is_subscribed"] else UNSUBSCRIBED}
    for name, field_id, variable in (("dob", settings.dob_field, "DOB_FIELD"),
                                     ("gender", settings.gender_field, "GENDER_FIELD")):
        if data.get(name):
            if field_id is None:
                raise RecordError(f"Customer {data['email']!r} has {name}, but {settings.var(variable)} (the "
                                  f"customer custom field for it) is not set: set it, or list {name!r} under "
                                  f"the mapping's 'ignore'.", {name: [f"Set {settings.var(variable)}."]})
            payload[field_id] = str(data[name])
    addresses = data.get("addresses") or []
    if addresses:
        payload["addressBook"] = {"items": [_address_book_line(address) for address in addresses]}
        billing = next((one for one in addresses if one.get("default_billing")), addresses[0])
        if billing.get("company"):
            payload["companyName"] = billing["company"]
    return _finish(payload, data, native)


def order_customer_payload(order: dict, native: dict) -> dict:
    """The customer to create for an order whose buyer NetSuite does not know yet."""
    first, last = _buyer_names(order)
    payload = {"email": order["customer_email"], "firstName": first, "lastName": last, "isPerson": True}
    if "subsidiary" in native:
        # The customer must belong to the order's subsidiary, or NetSuite rejects the order.
        payload["subsidiary"] = native["subsidiary"]
    return _clean(payload)


def order_payload(data: dict, native: dict, *, customer_id: str, item_ids: dict[str, str],
                  currency_id: str | None = None, settings: LoadSettings = LoadSettings()) -> dict:
    """A sales order from the canonical order; ``item_ids`` maps each line's SKU to an item id.

    Its money follows ``money``: NetSuite's computed total is the shop's grand total.
    """
    payload = {
        "entity": {"id": customer_id},
        "tranDate": (data.get("created_at") or "")[:10] or None,
        "otherRefNum": data["order_number"],
        "currency": {"id": currency_id} if currency_id else None,
        "orderStatus": {"id": ORDER_STATUSES.get(str(data.get("status") or "").lower(), "B")}
        if data.get("status") else None,
        "shipMethod": _ship_method(data, settings),
        "shippingCost": _number(data.get("shipping_amount")),
        "billingAddress": _address(data.get("billing_address")),
        "shippingAddress": _address(data.get("shipping_address")),
        "item": {"items": money.lines(data, item_ids, settings)},
        **money.header_discount(data, settings),
    }
    return _finish(copy_into(payload, data, CARRIES["order"]), data, native)


def _ship_method(data: dict, settings: LoadSettings) -> dict | None:
    code = data.get("shipping_method")
    if not code:
        return None
    if code not in settings.ship_methods:
        raise RecordError(f"Order {data['order_number']!r} ships by {code!r}, which {settings.var('SHIP_METHODS')} "
                          f"does not map to a NetSuite ship item: add '{code}=<ship item id>'.",
                          {"shipping_method": [f"Not in {settings.var('SHIP_METHODS')}."]})
    return {"id": settings.ship_methods[code]}


def _address_book_line(address: dict) -> dict:
    return _clean({"defaultBilling": address.get("default_billing"),
                   "defaultShipping": address.get("default_shipping"),
                   "addressBookAddress": _address(address)})


def _address(address: dict | None) -> dict | None:
    if not address:
        return None
    street = list(address.get("street") or []) + [None, None, None]
    person = " ".join(part for part in (address.get("first_name"), address.get("last_name")) if part)
    # A company addresses the mail, for the attention of the person (NetSuite's two lines).
    company = address.get("company")
    return copy_into(_clean({"addressee": company or person or None,
                             "attention": person if company and person else None,
                             "addr1": street[0], "addr2": street[1], "addr3": street[2],
                             "country": {"id": address["country_code"]}}), address, ADDRESS)


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
