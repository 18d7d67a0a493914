"""The postal address nested in customers and orders."""

from __future__ import annotations

from marshmallow import fields

from pipeline.entities.base import Part
from pipeline.entities.fields import CountryCode, TrimmedString


class Address(Part):
    """A postal address; ``street`` is a list because shops store one line per element."""

    first_name = TrimmedString()
    last_name = TrimmedString()
    company = TrimmedString()
    street = fields.List(TrimmedString())
    city = TrimmedString()
    region = TrimmedString()
    postcode = TrimmedString()
    country_code = CountryCode(required=True)
    telephone = TrimmedString()
    default_billing = fields.Boolean()
    default_shipping = fields.Boolean()
