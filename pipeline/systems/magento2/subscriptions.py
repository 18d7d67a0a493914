"""Unsubscriptions from a mailing tool carried into Magento 2: the customer's ``is_subscribed`` set false.

A contact who unsubscribed in Mailchimp must not be shown as subscribed in the shop, or the next
push of the customer would ask again. Magento's customer API holds the newsletter flag as
``extension_attributes.is_subscribed``; ``PUT /V1/customers/{id}`` with it false unsubscribes.

Only the "no" is carried. A subscription (``subscribed: true``) changes nothing: the shop's opt-in
(with its confirmation mail) is the one place a customer subscribes. An address with no customer
account in the website is a newsletter-only contact: nothing to change, an ordinary outcome, not
a failure. A customer already unsubscribed is not written again.
"""

from __future__ import annotations

import logging

from pipeline.systems.base import LoadItem
from pipeline.systems.lifecycle import Applied
from pipeline.systems.magento2.client import Magento2Client
from pipeline.systems.magento2.load import find_customer, website_of

logger = logging.getLogger(__name__)


def load_subscription(client: Magento2Client, item: LoadItem, default_website: int) -> Applied | None:
    """Unsubscribe the website's customer with this email; the ``unsubscribed`` event when it was subscribed."""
    if item.data["subscribed"]:
        return None
    email, website = item.data["email"], website_of(item, default_website)
    customer = find_customer(client, email, website)
    if customer is None:
        logger.info("No Magento 2 customer %r in website %d: a newsletter-only contact, nothing to unsubscribe.",
                    email, website)
        return None
    extension = dict(customer.get("extension_attributes") or {})
    if not extension.get("is_subscribed"):
        return None
    extension["is_subscribed"] = False
    client.put(f"/V1/customers/{customer['id']}", {"customer": {**customer, "extension_attributes": extension}})
    return Applied("unsubscribed", f"Customer {email!r} (id {customer['id']}) unsubscribed from the newsletter "
                                   "in Magento 2: they unsubscribed in the mailing tool.")
