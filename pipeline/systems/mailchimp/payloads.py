"""Canonical records as Mailchimp objects: audience members, store products and store orders.

Empty values are left out rather than sent blank: on an existing member or order, a field we
omit keeps its value, while a blank one would erase it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from pipeline.errors import RecordError
from pipeline.systems.base import LoadItem
from pipeline.systems.carrying import copy_into
from pipeline.systems.mailchimp.carried import CARRIES, ORDER_ADDRESS
from pipeline.systems.mailchimp.client import subscriber_hash

#: Status of a new member who declined the newsletter in the shop: a contact who gets no campaigns,
#: and no opt-in mail either (``pending`` would ask them again for what they refused).
DECLINED_STATUS = "transactional"


def member(item: LoadItem, status_if_new: str) -> tuple[dict, list[dict]]:
    """The ``PUT /lists/{id}/members/{hash}`` body of a customer, and the tags to set after it.

    ``item.native`` may add merge fields (``merge_fields: {...}`` or upper-case names such as
    ``GENDER``), ``tags`` (names, or ``{name, status}`` to remove one) and member fields
    (``language``, ``vip``, ``status_if_new``, ...).
    """
    data, native = item.data, dict(item.native)
    tags = tag_list(native.pop("tags", None))
    declined = data.get("is_subscribed") is False
    body = copy_into({"status_if_new": DECLINED_STATUS if declined else status_if_new}, data, CARRIES["customer"])
    merge = merge_fields(data, body.pop("merge_fields", {}))
    merge.update(native.pop("merge_fields", None) or {})
    merge.update({name: native.pop(name) for name in list(native) if name.isupper()})
    if merge:
        body["merge_fields"] = merge
    body.update(native)
    return body, tags


def tag_list(tags: object) -> list[dict]:
    """Tags as the tags endpoint wants them: a name alone means ``active``."""
    if not tags:
        return []
    if isinstance(tags, str):
        tags = [tags]
    return [tag if isinstance(tag, dict) else {"name": str(tag), "status": "active"} for tag in tags]


def merge_fields(data: dict, copied: dict) -> dict:
    """``copied`` (FNAME, LNAME as the table copies them), ADDRESS, PHONE and BIRTHDAY; empty ones left out."""
    merge = dict(copied)
    address = _main_address(data.get("addresses") or [])
    if address:
        merge["ADDRESS"] = merge_address(address)
        merge["PHONE"] = address.get("telephone")
    if data.get("dob"):
        # Birthday merge fields hold month and day only.
        merge["BIRTHDAY"] = dt.date.fromisoformat(data["dob"]).strftime("%m/%d")
    return {name: value for name, value in merge.items() if value}


def _main_address(addresses: list[dict]) -> dict | None:
    return next((one for one in addresses if one.get("default_billing")), addresses[0] if addresses else None)


def merge_address(address: dict) -> dict | None:
    """An address merge field, or None when Mailchimp would refuse it as incomplete."""
    street = [line for line in address.get("street") or [] if line]
    if not (street and address.get("city") and address.get("postcode")):
        return None
    return {"addr1": street[0], "addr2": ", ".join(street[1:]), "city": address["city"],
            "state": address.get("region") or "", "zip": address["postcode"],
            "country": address.get("country_code") or ""}


def product(item: LoadItem) -> dict:
    """A store product with one variant, both identified by the SKU."""
    data = item.data
    variant = {"id": data["sku"], "title": data["name"], "sku": data["sku"]}
    if data.get("price") is not None:
        variant["price"] = money(data["price"])
    body = copy_into({"id": data["sku"], "title": data["name"], "variants": [variant]}, data, CARRIES["product"])
    body.update(item.native)
    return body


def line_product(line: dict) -> dict:
    """The smallest product an order line can refer to (Mailchimp wants products before orders)."""
    title = line.get("name") or line["sku"]
    variant = {"id": line["sku"], "title": title, "sku": line["sku"], "price": money(line["price"])}
    return {"id": line["sku"], "title": title, "variants": [variant]}


def order(item: LoadItem) -> dict:
    """A store order; its ``customer`` is created or updated by Mailchimp along with it.

    ``item.native`` may set ``customer_id`` (default: the email's subscriber hash, so that a
    guest's orders and a registered customer's are one Mailchimp customer), ``opt_in_status``
    (default false: an order is no newsletter consent) and order fields such as
    ``financial_status``, ``fulfillment_status`` or ``order_url``.
    """
    data, native = item.data, dict(item.native)
    body = {"customer": _customer(data, native), "order_total": money(data["grand_total"]),
            "lines": [_line(data["order_number"], number, line, line_id)
                      for number, (line, line_id) in enumerate(_with_ids(data.get("lines") or []), start=1)]}
    optional = {"tax_total": data.get("tax_amount"), "shipping_total": data.get("shipping_amount"),
                "discount_total": data.get("discount_amount")}
    for name, value in optional.items():
        if value is not None:
            # Magento writes discounts as negative amounts; Mailchimp wants what was taken off.
            body[name] = abs(money(value))
    copy_into(body, data, CARRIES["order"])
    for kind in ("billing_address", "shipping_address"):
        if data.get(kind):
            body[kind] = order_address(data[kind])
    body.update(native)
    return body


def order_changes(body: dict) -> dict:
    """The PATCH body of an order: its customer is fixed at creation (3.0.55's PATCH takes no
    customer id or address), but its names and opt-in may change."""
    changes = {name: value for name, value in body.items() if name != "id"}
    changes["customer"] = {name: value for name, value in body["customer"].items()
                           if name not in ("id", "email_address")}
    return changes


def _customer(data: dict, native: dict) -> dict:
    email = data["customer_email"]
    customer = {"id": str(native.pop("customer_id", None) or subscriber_hash(email)), "email_address": email,
                "opt_in_status": bool(native.pop("opt_in_status", False))}
    billing = data.get("billing_address") or {}
    first, last = billing.get("first_name"), billing.get("last_name")
    if not (first or last) and data.get("customer_name"):
        first, _, last = data["customer_name"].partition(" ")
    customer.update({name: value for name, value in (("first_name", first), ("last_name", last)) if value})
    return customer


def _with_ids(lines: list[dict]) -> list[tuple[dict, str]]:
    """Each line with its Mailchimp line id: its SKU (``SKU#2`` for a second line of one SKU).

    Ids follow the SKU, not the position, so that they stay stable when another line is removed:
    the load then changes each line by its id and deletes the ids Mailchimp has beyond these.
    """
    seen: dict[str, int] = {}
    out = []
    for line in lines:
        seen[line["sku"]] = seen.get(line["sku"], 0) + 1
        out.append((line, line["sku"] if seen[line["sku"]] == 1 else f"{line['sku']}#{seen[line['sku']]}"))
    return out


def _line(order_number: str, number: int, line: dict, line_id: str) -> dict:
    quantity = Decimal(line["qty"])
    if quantity != quantity.to_integral_value():
        raise RecordError(f"Order {order_number!r} line {number} ({line['sku']}) has quantity {line['qty']}: "
                          "Mailchimp counts whole items only.", {f"lines.{number - 1}.qty": ["Not whole."]})
    body = {"id": line_id, "product_id": line["sku"], "product_variant_id": line["sku"],
            "quantity": int(quantity), "price": money(line["price"])}
    if line.get("discount") is not None:
        body["discount"] = abs(money(line["discount"]))
    return body


def order_address(address: dict) -> dict:
    street = [line for line in address.get("street") or [] if line]
    name = " ".join(part for part in (address.get("first_name"), address.get("last_name")) if part)
    fields = copy_into({"name": name, "address1": street[0] if street else None,
                        "address2": ", ".join(street[1:])}, address, ORDER_ADDRESS)
    return {key: value for key, value in fields.items() if value}


def money(value: str | int | float) -> float:
    """A canonical amount (an exact decimal string) as the JSON number Mailchimp wants."""
    try:
        return float(Decimal(str(value)))
    except InvalidOperation:
        raise RecordError(f"Not a valid amount: {value!r}.") from None
