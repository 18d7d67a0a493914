"""What Magento 2's loads carry, and where (the source of ``payloads``' field names and the docs)."""

from __future__ import annotations

_DOCUMENT = {"order_number": "the order the document is created on (searched by increment_id)",
             "lines.sku": "items.order_item_id (the order's item with that SKU)", "lines.qty": "items.qty"}

CARRIES = {
    "subscription": {
        "email": "the customer (searched by email in the website)",
        "subscribed": "extension_attributes.is_subscribed (false only: opt-ins stay the shop's own)",
        "website": "website_id (when numeric; else PIPELINE_<C>_WEBSITE_ID)",
    },
    "customer": {
        "email": "email", "first_name": "firstname", "last_name": "lastname",
        "website": "website_id (when numeric; else PIPELINE_<C>_WEBSITE_ID)",
        "dob": "dob", "gender": "gender (1 male, 2 female, 3 not specified)", "group": "group_id",
        "is_subscribed": "extension_attributes.is_subscribed",
        "custom_attributes": "custom_attributes",
        "addresses.first_name": "addresses.firstname", "addresses.last_name": "addresses.lastname",
        "addresses.company": "addresses.company", "addresses.street": "addresses.street",
        "addresses.city": "addresses.city", "addresses.region": "addresses.region (resolved by the directory)",
        "addresses.postcode": "addresses.postcode", "addresses.country_code": "addresses.country_id",
        "addresses.telephone": "addresses.telephone", "addresses.default_billing": "addresses.default_billing",
        "addresses.default_shipping": "addresses.default_shipping",
    },
    "product": {
        "sku": "sku", "name": "name", "type": "type_id", "price": "price",
        "special_price": "custom_attributes.special_price", "status": "status (1 enabled, 2 disabled)",
        "visibility": "visibility (1-4)", "weight": "weight", "description": "custom_attributes.description",
        "attribute_set": "attribute_set_id (when numeric)", "categories": "extension_attributes.category_links",
        "website_ids": "extension_attributes.website_ids", "custom_attributes": "custom_attributes",
    },
    "inventory": {
        "sku": "sku", "source_code": "source_code (MSI)", "quantity": "quantity (MSI) / qty (legacy)",
        "is_in_stock": "status (MSI) / is_in_stock (legacy)",
    },
    "invoice": {"invoice_number": "a marker comment (Magento numbers the invoice)", **_DOCUMENT},
    "shipment": {
        "shipment_number": "a marker comment (Magento numbers the shipment)", **_DOCUMENT,
        "tracks.carrier_code": "tracks.carrier_code", "tracks.title": "tracks.title",
        "tracks.track_number": "tracks.track_number",
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
