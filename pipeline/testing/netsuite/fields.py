"""The body fields each emulated record type knows, with their types, as a NetSuite account has them.

NetSuite publishes no static schema (each account serves its own metadata catalogue), so this is
hand-written from the REST API Browser's record pages (CONTRACTS 4.8, 4.8a): field names are
camelCase, references are ``{"id": ...}`` objects, enumerations ``{"id": "B"}`` (or the bare
code), sublists ``{"items": [...]}``. Custom fields (``custentity_*``, ``custbody_*``,
``custcol_*``, ``custitem_*``) belong to the account and are all accepted.

A field a record does not have is refused (400 ``INVALID_CONTENT``) when the request says
``X-NetSuite-PropertyNameValidation: Error``; otherwise NetSuite ignores it, and the emulator
notes it as a violation (the value never arrives: a client sending it loses data silently).
A value of the wrong type is always refused. [unverified] the wording of both refusals.
"""

from __future__ import annotations

import datetime as dt

from pipeline.testing.netsuite.store import NsError

#: A postal address (``billingAddress``, ``addressBookAddress``, ...).
ADDRESS = {"addressee": "string", "attention": "string", "addr1": "string", "addr2": "string",
           "addr3": "string", "city": "string", "state": "string", "zip": "string", "country": "enum",
           "addrPhone": "string", "override": "boolean", "addrText": "string"}
ADDRESS_BOOK_LINE = {"addressBookAddress": ADDRESS, "defaultBilling": "boolean", "defaultShipping": "boolean",
                     "isResidential": "boolean", "label": "string", "internalId": "integer"}
ORDER_LINE = {"item": "ref", "quantity": "number", "rate": "number", "amount": "number", "description": "string",
              "price": "ref", "taxCode": "ref", "isTaxable": "boolean", "line": "integer",
              "orderLine": "integer", "location": "ref", "itemReceive": "boolean", "taxRate1": "number"}
_TRANSACTION = {
    "entity": "ref", "externalId": "string", "tranId": "string", "tranDate": "date", "otherRefNum": "string",
    "memo": "string", "email": "string", "subsidiary": "ref", "location": "ref", "department": "ref",
    "class": "ref", "currency": "ref", "exchangeRate": "number", "customForm": "ref", "createdFrom": "ref",
    "billingAddress": ADDRESS, "shippingAddress": ADDRESS, "item": ORDER_LINE, "salesRep": "ref",
    "discountItem": "ref", "discountRate": "rate", "taxItem": "ref", "taxRate": "number",
    "shipMethod": "ref", "shippingCost": "number", "handlingCost": "number", "isTaxable": "boolean",
    "terms": "ref", "source": "string", "promoCode": "ref", "status": "enum", "shipStatus": "enum",
    "orderStatus": "enum", "account": "ref", "shipDate": "date", "dueDate": "date", "message": "string",
}
#: Record type -> field -> type (a dict is an object of those fields; under a sublist, its lines').
FIELDS: dict[str, dict[str, object]] = {
    "customer": {
        "entityId": "string", "externalId": "string", "isPerson": "boolean", "companyName": "string",
        "firstName": "string", "middleName": "string", "lastName": "string", "salutation": "string",
        "title": "string", "email": "string", "phone": "string", "altPhone": "string",
        "mobilePhone": "string", "fax": "string", "url": "string", "comments": "string",
        "subsidiary": "ref", "category": "ref", "currency": "ref", "terms": "ref", "priceLevel": "ref",
        "customForm": "ref", "parent": "ref", "salesRep": "ref", "isInactive": "boolean",
        "globalSubscriptionStatus": "enum", "emailPreference": "enum", "taxable": "boolean",
        "addressBook": ADDRESS_BOOK_LINE,
    },
    "salesOrder": _TRANSACTION,
    "invoice": _TRANSACTION,
    "creditMemo": _TRANSACTION,
    "itemFulfillment": {**_TRANSACTION, "package": {"packageTrackingNumber": "string",
                                                    "packageWeight": "number",
                                                    "packageDescr": "string"}},
    "discountItem": {"itemId": "string", "externalId": "string", "displayName": "string", "rate": "rate",
                     "isInactive": "boolean", "subsidiary": "ref"},
    "otherChargeSaleItem": {"itemId": "string", "externalId": "string", "displayName": "string",
                            "rate": "number", "isInactive": "boolean", "subsidiary": "ref"},
    "shipItem": {"itemId": "string", "displayName": "string", "isInactive": "boolean"},
    "currency": {"symbol": "string", "name": "string"},
    "inventoryItem": {"itemId": "string", "externalId": "string", "displayName": "string",
                      "salesDescription": "string", "purchaseDescription": "string", "basePrice": "number",
                      "cost": "number", "upcCode": "string", "isInactive": "boolean", "subsidiary": "ref",
                      "weight": "number", "customForm": "ref", "taxSchedule": "ref"},
}
#: Sublists: these fields hold ``{"items": [lines]}``.
SUBLISTS = frozenset({"addressBook", "item", "package"})
_CUSTOM = ("custentity", "custbody", "custcol", "custitem", "custrecord")


def check(record_type: str, body: dict, *, strict: bool) -> list[str]:
    """Raise NetSuite's 400 for a wrong type (or, ``strict``, an unknown field); return unknown fields."""
    unknown: list[str] = []
    _check_object(FIELDS[record_type], body, "", record_type, strict, unknown)
    return unknown


def _check_object(fields: dict, body: dict, where: str, record_type: str, strict: bool,
                  unknown: list[str]) -> None:
    for name, value in body.items():
        path = f"{where}{name}"
        kind = fields.get(name)
        if kind is None:
            if name.startswith(_CUSTOM) or name == "links":
                continue
            if strict:
                raise NsError(400, "INVALID_CONTENT", f"Error while accessing resource: Invalid field name "
                                                      f"'{name}' for record type {record_type}.", path)
            unknown.append(path)
            continue
        if value is None:
            continue  # null clears a field
        if isinstance(kind, dict):
            _check_nested(kind, name, value, path, record_type, strict, unknown)
        elif not _fits(kind, value):
            raise NsError(400, "INVALID_CONTENT", f"Error while accessing resource: You have entered an Invalid "
                                                  f"Field Value {value!r} for the following field: {name}", path)


def _check_nested(fields: dict, name: str, value: object, path: str, record_type: str, strict: bool,
                  unknown: list[str]) -> None:
    if name in SUBLISTS:
        if not (isinstance(value, dict) and isinstance(value.get("items"), list)):
            raise NsError(400, "INVALID_CONTENT", f"Error while accessing resource: the sublist {name} must be "
                                                  f"an object with an items array.", path)
        for index, line in enumerate(value["items"]):
            if not isinstance(line, dict):
                raise NsError(400, "INVALID_CONTENT", "Error while accessing resource: a sublist line must be "
                                                      "an object.", f"{path}.items[{index}]")
            _check_object(fields, line, f"{path}.items[{index}].", record_type, strict, unknown)
        return
    if not isinstance(value, dict):
        raise NsError(400, "INVALID_CONTENT", f"Error while accessing resource: You have entered an Invalid "
                                              f"Field Value {value!r} for the following field: {name}", path)
    _check_object(fields, value, f"{path}.", record_type, strict, unknown)


def _fits(kind: str, value: object) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("number", "integer"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and \
            (kind == "number" or float(value).is_integer())
    if kind == "rate":  # an amount, or a percentage such as "-10%"
        return _fits("number", value) or (isinstance(value, str) and value.endswith("%"))
    if kind == "date":
        return isinstance(value, str) and _is_date(value)
    if kind == "ref":
        return isinstance(value, dict) and ("id" in value or "externalId" in value)
    if kind == "enum":
        return isinstance(value, str) or (isinstance(value, dict) and "id" in value)
    raise ValueError(f"Unknown field type {kind!r}.")


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True
