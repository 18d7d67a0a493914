"""The invoice entity: what was billed for an order."""

from __future__ import annotations

from marshmallow import fields

from pipeline.entities.base import Entity, Part
from pipeline.entities.fields import CurrencyCode, Money, TrimmedString, UtcDateTime


class InvoiceLine(Part):
    """One invoiced item."""

    sku = TrimmedString(required=True)
    qty = fields.Decimal(required=True, as_string=True)
    price = Money()
    row_total = Money()


class Invoice(Entity):
    """An invoice of an order, identified by its invoice number."""

    entity_name = "invoice"
    natural_key = "invoice_number"

    invoice_number = TrimmedString(required=True)
    order_number = TrimmedString(required=True)
    external_id = TrimmedString()
    status = TrimmedString()
    created_at = UtcDateTime()
    currency = CurrencyCode()
    lines = fields.List(fields.Nested(InvoiceLine))
    grand_total = Money(required=True)
