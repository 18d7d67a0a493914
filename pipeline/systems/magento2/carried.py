"""What Magento 2's loads carry, and where (the source of ``payloads``' field names and the docs).

``Copy`` entries are copied by ``carrying.copy_into`` from these tables; the others are built in
``payloads`` and ``documents``.
"""

from __future__ import annotations

from pipeline.systems.carrying import Copy

#: Each address field Magento 2 takes as it is.
_ADDRESS_COPIES = {name: Copy(where, within="addresses") for name, where in (
    ("first_name", "firstname"), ("last_name", "lastname"), ("company", "company"), ("street", "street"),
    ("city", "city"), ("postcode", "postcode"), ("country_code", "country_id"), ("telephone", "telephone"),
    ("default_billing", "default_billing"), ("default_shipping", "default_shipping"))}

_DOCUMENT = {"order_number": "the order the document is created on (searched by increment_id)",
             "lines.sku": "items.order_item_id (the order's item with that SKU)", "lines.qty": "items.qty"}

CARRIES = {
    "subscription": {
        "email": "the customer (searched by email in the website)",
        "subscribed": "extension_attributes.is_subscribed (false only: opt-ins stay the shop's own)",
        "website": "website_id (when numeric; else PIPELINE_<C>_WEBSITE_ID)",
    },
    "customer": {
        "email": Copy("email"), "first_name": Copy("firstname"), "last_name": Copy("lastname"),
        "website": "website_id (when numeric; else PIPELINE_<C>_WEBSITE_ID)",
        "dob": Copy("dob"), "gender": "gender (1 male, 2 female, 3 not specified)", "group": "group_id",
        "is_subscribed": "extension_attributes.is_subscribed",
        "custom_attributes": "custom_attributes",
        **{f"addresses.{name}": where for name, where in list(_ADDRESS_COPIES.items())[:5]},
        "addresses.region": "addresses.region (resolved by the directory)",
        **{f"addresses.{name}": where for name, where in list(_ADDRESS_COPIES.items())[5:]},
    },
    "product": {
        "sku": Copy("sku"), "name": Copy("name"), "type": "type_id", "price": "price",
        "special_price": "custom_attributes.special_price", "status": "status (1 enabled, 2 disabled)",
        "visibility": "visibility (1-4)", "weight": "weight", "description": "custom_attributes.description",
        "attribute_set": "attribute_set_id (when numeric)", "categories": "extension_attributes.category_links",
        "website_ids": "extension_attributes.website_ids", "custom_attributes": "custom_attributes",
    },
    "inventory": {
        "sku": Copy("sku"), "source_code": "source_code (MSI)", "quantity": "quantity (MSI) / qty (legacy)",
        "is_in_stock": "status (MSI) / is_in_stock (legacy)",
    },
    "invoice": {"invoice_number": "a marker comment (Magento numbers the invoice)", **_DOCUMENT},
    "shipment": {
        "shipment_number": "a marker comment (Magento numbers the shipment)", **_DOCUMENT,
        "tracks.carrier_code": Copy("carrier_code", within="tracks"), "tracks.title": "tracks.title",
        "tracks.track_number": Copy("track_number", within="tracks"),
    },
    "credit_memo": {
        "credit_memo_number": "a marker comment (Magento numbers the credit memo)", **_DOCUMENT,
        "invoice_number": "refunds that invoice (POST /V1/invoice/{id}/refund)",
        "shipping_amount": "arguments.shipping_amount (0 when absent: Magento would refund the rest of the "
                           "shipping)",
        "adjustment_positive": "arguments.adjustment_positive",
        "adjustment_negative": "arguments.adjustment_negative",
        "grand_total": "arguments.adjustment_positive / adjustment_negative: the difference between it and "
                       "what Magento refunds at its own prices",
    },
}
