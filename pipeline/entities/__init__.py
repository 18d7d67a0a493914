"""The canonical entities every system maps to and from, and their registry."""

from __future__ import annotations

from pipeline.entities.base import Entity
from pipeline.entities.credit_memo import CreditMemo
from pipeline.entities.customer import Customer
from pipeline.entities.inventory import InventoryItem
from pipeline.entities.invoice import Invoice
from pipeline.entities.order import Order
from pipeline.entities.product import Product
from pipeline.entities.shipment import Shipment
from pipeline.entities.subscription import Subscription
from pipeline.errors import UnknownNameError

#: Every entity by the name mapping files and connectors use.
ENTITIES: dict[str, type[Entity]] = {
    "customer": Customer,
    "order": Order,
    "invoice": Invoice,
    "shipment": Shipment,
    "credit_memo": CreditMemo,
    "product": Product,
    "inventory": InventoryItem,
    "subscription": Subscription,
}


def get_entity(name: str) -> type[Entity]:
    """Return the entity schema registered as ``name``.

    Raises:
        UnknownNameError: no entity has that name; the message lists the known ones.
    """
    try:
        return ENTITIES[name]
    except KeyError:
        raise UnknownNameError("entity", name, ENTITIES) from None


__all__ = [
    "ENTITIES",
    "CreditMemo",
    "Customer",
    "Entity",
    "InventoryItem",
    "Invoice",
    "Order",
    "Product",
    "Shipment",
    "Subscription",
    "get_entity",
]
