"""What Magento 1's loads carry, and where (the source of ``payloads``' field names and the docs)."""

from __future__ import annotations

_DOCUMENT = {"order_number": "the order (its increment id)", "lines.sku": "itemsQty: the order's item with "
             "that SKU", "lines.qty": "itemsQty"}

CARRIES = {
    "customer": {
        "email": "email", "first_name": "firstname", "last_name": "lastname",
        "website": "website_id (when numeric; else PIPELINE_<C>_WEBSITE_ID)",
        "dob": "dob", "gender": "gender (1 male, 2 female)", "group": "group_id",
        "custom_attributes": "attributes by code",
    },
    "product": {
        "sku": "sku", "name": "name", "type": "type (create)", "price": "price",
        "special_price": "special_price", "status": "status", "visibility": "visibility", "weight": "weight",
        "description": "description", "attribute_set": "set (create)", "categories": "categories",
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
