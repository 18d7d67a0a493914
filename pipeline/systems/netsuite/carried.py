"""What NetSuite's loads carry, and where (the source of ``payloads``' field names and the docs).

``Copy`` entries are copied by ``carrying.copy_into`` from these tables; the others are built in
``payloads`` and ``money``.
"""

from __future__ import annotations

from pipeline.systems.carrying import Copy

#: An address's fields, in any address object (``billingAddress``, ``addressBookAddress``).
ADDRESS = {
    "first_name": "addressee (attention when there is a company)", "last_name": "addressee / attention",
    "company": "addressee (the person moves to attention)", "street": "addr1, addr2, addr3",
    "city": Copy("city"), "region": Copy("state"), "postcode": Copy("zip"), "country_code": "country",
    "telephone": Copy("addrPhone"),
}


def _address(part: str) -> dict[str, str]:
    return {name: where.within(part) if isinstance(where, Copy) else f"{part}.{where}"
            for name, where in ADDRESS.items()}

CARRIES = {
    "customer": {
        "email": Copy("email"),
        "first_name": Copy("firstName"),
        "last_name": Copy("lastName"),
        "group": "category {id} (map the shop's group to a customer category id)",
        "dob": "the custom field PIPELINE_<C>_DOB_FIELD (a date)",
        "gender": "the custom field PIPELINE_<C>_GENDER_FIELD",
        "is_subscribed": "globalSubscriptionStatus (1 soft opt-in, 2 soft opt-out)",
        "custom_attributes": "the record's fields by id (custentity_...)",
        **{f"addresses.{name}": where for name, where in _address("addressBook.addressBookAddress").items()},
        "addresses.default_billing": "addressBook.defaultBilling (its company also: companyName)",
        "addresses.default_shipping": "addressBook.defaultShipping",
    },
    "order": {
        "order_number": "otherRefNum, and externalId unless target_fields set one",
        "customer_email": Copy("email", shown="email; the customer is found by it, or created"),
        "customer_name": "the names of a customer created for the order",
        "status": "orderStatus (pending/holded: A Pending Approval, canceled: C, else B Pending Fulfillment)",
        "currency": "currency {id} (looked up by ISO code: SELECT id, symbol FROM currency)",
        "created_at": "tranDate",
        "shipping_method": "shipMethod {id} (PIPELINE_<C>_SHIP_METHODS: code=id,...)",
        "shipping_amount": "shippingCost",
        "discount_amount": "header discountItem {PIPELINE_<C>_DISCOUNT_ITEM} + discountRate: what the "
                           "line discounts do not cover",
        "tax_amount": "PIPELINE_<C>_TAX_MODE: item = one line of PIPELINE_<C>_TAX_ITEM; code = each "
                      "line's taxCode and rate (VAT), rounding on a tax item line",
        **{f"billing_address.{name}": where for name, where in _address("billingAddress").items()},
        **{f"shipping_address.{name}": where for name, where in _address("shippingAddress").items()},
        "lines.sku": "item {id} (found by itemId)",
        "lines.name": Copy("description", shown="item line description"),
        "lines.qty": "quantity",
        "lines.price": "rate",
        "lines.row_total": "amount (rate x quantity when not mapped)",
        "lines.discount": "a line of PIPELINE_<C>_DISCOUNT_ITEM right after the line, amount -discount",
        "lines.tax": "tax (see tax_amount)",
        "lines.tax_percent": "taxCode {id} of its rate in PIPELINE_<C>_TAX_CODES (TAX_MODE=code; unused by item)",
        "custom_attributes": "the record's fields by id (custbody_...)",
    },
}
