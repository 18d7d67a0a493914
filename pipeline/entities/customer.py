"""The customer entity: a shop account, an ERP customer or a newsletter contact."""

from __future__ import annotations

from marshmallow import fields

from pipeline.entities.address import Address
from pipeline.entities.base import Entity
from pipeline.entities.fields import Email, TrimmedString, UtcDateTime


class Customer(Entity):
    """A customer, identified by its email address."""

    entity_name = "customer"
    natural_key = "email"

    email = Email(required=True)
    first_name = TrimmedString(required=True)
    last_name = TrimmedString(required=True)
    external_id = TrimmedString()
    group = TrimmedString()
    website = TrimmedString()
    dob = fields.Date()
    gender = TrimmedString()
    is_subscribed = fields.Boolean()
    #: True once the source anonymised the customer (a GDPR erasure in the shop): targets that keep
    #: personal data erase it rather than update it with the made-up values.
    anonymised = fields.Boolean()
    addresses = fields.List(fields.Nested(Address))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    #: Target-native extras that have no canonical field (Magento custom attributes, NetSuite custentity_*).
    custom_attributes = fields.Dict(keys=fields.String())
