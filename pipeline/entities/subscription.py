"""The subscription entity: whether a contact still wants the newsletter, as a mailing tool knows it."""

from __future__ import annotations

from marshmallow import fields

from pipeline.entities.base import Entity
from pipeline.entities.fields import Email, TrimmedString, UtcDateTime


class Subscription(Entity):
    """A newsletter subscription, identified by its email address.

    Kept apart from ``customer``: a mailing tool knows contacts who have no shop account, and
    what it can tell the shop is only whether the address still wants mail, never the account.
    """

    entity_name = "subscription"
    natural_key = "email"

    email = Email(required=True)
    subscribed = fields.Boolean(required=True)
    website = TrimmedString()
    changed_at = UtcDateTime()
