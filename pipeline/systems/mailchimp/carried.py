"""What Mailchimp's loads carry, and where (the source of ``payloads``' field names and the docs).

``Copy`` entries are copied by ``carrying.copy_into`` from these tables; the others are built in
``payloads``.
"""

from __future__ import annotations

from pipeline.systems.carrying import Copy

#: An order address's fields, in ``billing_address`` and ``shipping_address`` alike.
ORDER_ADDRESS = {"first_name": "name", "last_name": "name", "company": Copy("company"),
                 "street": "address1, address2", "city": Copy("city"), "region": Copy("province"),
                 "postcode": Copy("postal_code"), "country_code": Copy("country_code"), "telephone": Copy("phone")}


def _order_address(part: str) -> dict[str, str]:
    return {f"{part}.{name}": where.within(part) if isinstance(where, Copy) else f"{part}.{where}"
            for name, where in ORDER_ADDRESS.items()}

CARRIES = {
    "customer": {
        "email": Copy("email_address", shown="email_address (and the subscriber hash)"),
        "first_name": Copy("merge_fields.FNAME"),
        "last_name": Copy("merge_fields.LNAME"),
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
        "order_number": Copy("id"),
        "customer_email": "customer.email_address (the customer id is its subscriber hash)",
        "customer_name": "customer.first_name, last_name when the billing address has none",
        "currency": Copy("currency_code"),
        "created_at": Copy("processed_at_foreign"),
        "updated_at": Copy("updated_at_foreign"),
        "grand_total": "order_total",
        "tax_amount": "tax_total",
        "shipping_amount": "shipping_total",
        "discount_amount": "discount_total (what was taken off)",
        **_order_address("billing_address"),
        **_order_address("shipping_address"),
        "lines.sku": "lines.id (the SKU: a line the order no longer has is deleted), lines.product_id, "
                     "lines.product_variant_id (a missing product is created)",
        "lines.name": "the title of a product created for the line",
        "lines.qty": "lines.quantity (whole items only)",
        "lines.price": "lines.price",
        "lines.discount": "lines.discount",
    },
    "product": {
        "sku": "id, variants.id, variants.sku",
        "name": "title, variants.title",
        "price": "variants.price",
        "description": Copy("description"),
    },
}
