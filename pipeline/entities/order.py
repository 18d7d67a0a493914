"""The sales order entity and its lines."""

from __future__ import annotations

from marshmallow import fields

from pipeline.entities.address import Address
from pipeline.entities.base import Entity, Part
from pipeline.entities.fields import CurrencyCode, Email, Money, TrimmedString, UtcDateTime


class OrderLine(Part):
    """One ordered item; amounts are in the order's currency."""

    sku = TrimmedString(required=True)
    name = TrimmedString()
    qty = fields.Decimal(required=True, as_string=True)
    price = Money(required=True)
    discount = Money()
    tax = Money()
    #: The line's tax rate in percent (21 for 21 %), read exactly as amounts are: picks its VAT tax code.
    tax_percent = Money()
    row_total = Money()


class Order(Entity):
    """A sales order, identified by its order number (Magento increment id, NetSuite tranId)."""

    entity_name = "order"
    natural_key = "order_number"

    order_number = TrimmedString(required=True)
    external_id = TrimmedString()
    customer_email = Email(required=True)
    customer_name = TrimmedString()
    status = TrimmedString(required=True)
    currency = CurrencyCode(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime()
    billing_address = fields.Nested(Address)
    shipping_address = fields.Nested(Address)
    lines = fields.List(fields.Nested(OrderLine))
    subtotal = Money()
    shipping_amount = Money()
    discount_amount = Money()
    tax_amount = Money()
    grand_total = Money(required=True)
    payment_method = TrimmedString()
    shipping_method = TrimmedString()
    custom_attributes = fields.Dict(keys=fields.String())
