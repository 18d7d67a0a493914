"""The credit memo entity: a refund against an order (and usually one of its invoices)."""

from __future__ import annotations

from marshmallow import fields

from pipeline.entities.base import Entity, Part
from pipeline.entities.fields import CurrencyCode, Money, TrimmedString, UtcDateTime


class CreditMemoLine(Part):
    """One refunded item."""

    sku = TrimmedString(required=True)
    qty = fields.Decimal(required=True, as_string=True)
    price = Money()


class CreditMemo(Entity):
    """A credit memo, identified by its credit memo number."""

    entity_name = "credit_memo"
    natural_key = "credit_memo_number"

    credit_memo_number = TrimmedString(required=True)
    order_number = TrimmedString(required=True)
    invoice_number = TrimmedString()
    external_id = TrimmedString()
    #: The source's status; ``Voided`` is reported rather than loaded (``systems.magento2.changes``).
    status = TrimmedString()
    created_at = UtcDateTime()
    currency = CurrencyCode()
    lines = fields.List(fields.Nested(CreditMemoLine))
    adjustment_positive = Money()
    adjustment_negative = Money()
    shipping_amount = Money()
    grand_total = Money(required=True)
