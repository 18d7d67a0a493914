"""What Magento 1's loads carry, and where (the source of ``payloads``' field names and the docs).

``Copy`` entries are copied by ``carrying.copy_into`` from these tables; the others are built in
``payloads``.
"""

from __future__ import annotations

from pipeline.systems.carrying import Copy

_DOCUMENT = {"order_number": "the order (its increment id)", "lines.sku": "itemsQty: the order's item with "
             "that SKU", "lines.qty": "itemsQty"}

CARRIES = {
    "customer": {
        "email": Copy("email"), "first_name": Copy("firstname"), "last_name": Copy("lastname"),
        "website": "website_id (when numeric; else PIPELINE_<C>_WEBSITE_ID)",
        "dob": Copy("dob"), "gender": "gender (1 male, 2 female)", "group": "group_id",
        "custom_attributes": "attributes by code",
        "addresses.first_name": "customer_address firstname", "addresses.last_name": "customer_address lastname",
        "addresses.company": "customer_address company", "addresses.street": "customer_address street",
        "addresses.city": "customer_address city",
        "addresses.region": "customer_address region_id and region (resolved by the directory)",
        "addresses.postcode": "customer_address postcode", "addresses.country_code": "customer_address country_id",
        "addresses.telephone": "customer_address telephone",
        "addresses.default_billing": "customer_address is_default_billing (set, never unset)",
        "addresses.default_shipping": "customer_address is_default_shipping (set, never unset)",
    },
    "product": {
        "sku": "sku (the call's product argument)", "name": Copy("name"), "type": "type (create)", "price": "price",
        "special_price": "special_price", "status": "status", "visibility": "visibility", "weight": "weight",
        "description": Copy("description"), "attribute_set": "set (create)", "categories": "categories",
        "website_ids": "website_ids", "custom_attributes": "attributes by code",
    },
    "inventory": {"sku": "the product (by SKU)", "source_code": "must be 'default' (one stock)",
                  "quantity": "qty", "is_in_stock": "is_in_stock"},
    "invoice": {"invoice_number": "a marker comment", **_DOCUMENT},
    "shipment": {"shipment_number": "a marker comment", **_DOCUMENT, "tracks.carrier_code": "addTrack carrier",
                 "tracks.title": "addTrack title", "tracks.track_number": "addTrack trackNumber"},
    "credit_memo": {"credit_memo_number": "a marker comment", **_DOCUMENT,
                    "shipping_amount": "creditmemoData.shipping_amount (0 when absent: Magento would refund "
                                       "the rest of the shipping)",
                    "adjustment_positive": "creditmemoData.adjustment_positive",
                    "adjustment_negative": "creditmemoData.adjustment_negative"},
}
