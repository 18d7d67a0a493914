"""What Mailchimp's loads carry, and where (the source of ``payloads``' field names and the docs)."""

from __future__ import annotations

_ORDER_ADDRESS = {"first_name": "name", "last_name": "name", "company": "company",
                  "street": "address1, address2", "city": "city", "region": "province",
                  "postcode": "postal_code", "country_code": "country_code", "telephone": "phone"}

CARRIES = {
    "customer": {
        "email": "email_address (and the subscriber hash)",
        "first_name": "merge_fields.FNAME",
        "last_name": "merge_fields.LNAME",
        "dob": "merge_fields.BIRTHDAY (MM/DD)",
        "anonymised": "true: the member of the address last sent for its external_id deleted permanently",
        "is_subscribed": "status_if_new (false: transactional); false: a subscribed member unsubscribed",
        "addresses.default_billing": "which address is the member's ADDRESS and PHONE",
        "addresses.street": "merge_fields.ADDRESS.addr1, addr2",
        "addresses.city": "merge_fields.ADDRESS.city",
        "addresses.region": "merge_fields.ADDRESS.state",
        "addresses.postcode": "merge_fields.ADDRESS.zip",
        "addresses.country_code": "merge_fields.ADDRESS.country",
        "addresses.telephone": "merge_fields.PHONE",
    },
    "order": {
        "order_number": "id",
        "customer_email": "customer.email_address (the customer id is its subscriber hash)",
        "customer_name": "customer.first_name, last_name when the billing address has none",
        "currency": "currency_code",
        "created_at": "processed_at_foreign",
        "updated_at": "updated_at_foreign",
        "grand_total": "order_total",
        "tax_amount": "tax_total",
        "shipping_amount": "shipping_total",
        "discount_amount": "discount_total (what was taken off)",
        **{f"billing_address.{name}": f"billing_address.{where}" for name, where in _ORDER_ADDRESS.items()},
        **{f"shipping_address.{name}": f"shipping_address.{where}" for name, where in _ORDER_ADDRESS.items()},
        "lines.sku": "lines.product_id, lines.product_variant_id (a missing product is created)",
        "lines.name": "the title of a product created for the line",
        "lines.qty": "lines.quantity (whole items only)",
        "lines.price": "lines.price",
        "lines.discount": "lines.discount",
    },
    "product": {
        "sku": "id, variants.id, variants.sku",
        "name": "title, variants.title",
        "price": "variants.price",
        "description": "description",
    },
}
