"""The shipment entity: what left the warehouse for an order, with its tracking numbers."""

from __future__ import annotations

from marshmallow import fields

from pipeline.entities.base import Entity, Part
from pipeline.entities.fields import TrimmedString, UtcDateTime


class ShipmentLine(Part):
    """One shipped item."""

    sku = TrimmedString(required=True)
    qty = fields.Decimal(required=True, as_string=True)


class Track(Part):
    """A carrier tracking number (``carrier_code`` as the shop knows it: ups, dhl, custom...)."""

    carrier_code = TrimmedString(required=True)
    title = TrimmedString()
    track_number = TrimmedString(required=True)


class Shipment(Entity):
    """A shipment of an order, identified by its shipment number."""

    entity_name = "shipment"
    natural_key = "shipment_number"

    shipment_number = TrimmedString(required=True)
    order_number = TrimmedString(required=True)
    external_id = TrimmedString()
    #: The source's status; ``Voided`` is reported rather than loaded (``systems.magento2.changes``).
    status = TrimmedString()
    created_at = UtcDateTime()
    lines = fields.List(fields.Nested(ShipmentLine))
    tracks = fields.List(fields.Nested(Track))
