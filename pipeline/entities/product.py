"""The product entity: catalogue data (stock lives in the inventory entity)."""

from __future__ import annotations

from marshmallow import fields, validate

from pipeline.entities.base import Entity
from pipeline.entities.fields import Money, TrimmedString, UtcDateTime

#: Magento's product types, which the other systems map onto.
PRODUCT_TYPES = ("simple", "configurable", "bundle", "virtual", "downloadable", "grouped")
#: Magento's visibility options (1-4 there), by name.
VISIBILITIES = ("not_visible_individually", "catalog", "search", "catalog_search")


class Product(Entity):
    """A product, identified by its SKU."""

    entity_name = "product"
    natural_key = "sku"

    sku = TrimmedString(required=True)
    name = TrimmedString(required=True)
    type = TrimmedString(load_default="simple", validate=validate.OneOf(PRODUCT_TYPES))
    external_id = TrimmedString()
    price = Money()
    special_price = Money()
    status = TrimmedString(validate=validate.OneOf(("enabled", "disabled")))
    visibility = TrimmedString(validate=validate.OneOf(VISIBILITIES))
    weight = fields.Decimal(as_string=True)
    description = fields.String()
    attribute_set = TrimmedString()
    categories = fields.List(TrimmedString())
    website_ids = fields.List(TrimmedString())
    updated_at = UtcDateTime()
    custom_attributes = fields.Dict(keys=fields.String())
