"""The inventory entity: the stock of one SKU at one source (a Magento MSI source, a NetSuite location)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import fields

from pipeline.entities.base import Entity
from pipeline.entities.fields import TrimmedString, UtcDateTime

#: The source of single-source shops (Magento's "default" source).
DEFAULT_SOURCE = "default"


class InventoryItem(Entity):
    """The quantity of a SKU at a source; identified by both, as ``"sku@source_code"``."""

    entity_name = "inventory"
    natural_key = "sku"

    sku = TrimmedString(required=True)
    source_code = TrimmedString(load_default=DEFAULT_SOURCE)
    quantity = fields.Decimal(required=True, as_string=True)
    is_in_stock = fields.Boolean()
    updated_at = UtcDateTime()

    @classmethod
    def key_fields(cls) -> tuple[str, ...]:
        return ("sku", "source_code")

    @classmethod
    def key_of(cls, record: Mapping[str, Any]) -> str:
        """Return ``"sku@source_code"``: one SKU has one stock record per source."""
        return f"{record['sku']}@{record.get('source_code') or DEFAULT_SOURCE}"
