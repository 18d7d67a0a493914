"""Which NetSuite records carry each entity, and where SuiteQL finds their changes."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import UnknownNameError


@dataclass(frozen=True)
class Source:
    """Where one entity's records live.

    Attributes:
        record_type: the REST record type (``salesOrder``).
        table: the SuiteQL table listing its ids and change stamps.
        condition: the SuiteQL condition selecting this record type in ``table``.
        per_location: one extracted record per item location (stock) instead of one per record.
        from_order: made from a sales order (directly or through an invoice): the extract adds the
            order's external id and document number (``origins``).
    """

    record_type: str
    table: str
    condition: str = ""
    per_location: bool = False
    from_order: bool = False


#: Entity (or NetSuite record type, as a mapping's ``source.entity`` may name it) -> where it lives.
SOURCES: dict[str, Source] = {
    "customer": Source("customer", "customer"),
    "order": Source("salesOrder", "transaction", "type = 'SalesOrd'"),
    "invoice": Source("invoice", "transaction", "type = 'CustInvc'", from_order=True),
    "shipment": Source("itemFulfillment", "transaction", "type = 'ItemShip'", from_order=True),
    "credit_memo": Source("creditMemo", "transaction", "type = 'CustCred'", from_order=True),
    "product": Source("inventoryItem", "item", "itemtype = 'InvtPart'"),
    "inventory": Source("inventoryItem", "item", "itemtype = 'InvtPart'", per_location=True),
}
SOURCES.update({
    "salesOrder": SOURCES["order"],
    "itemFulfillment": SOURCES["shipment"],
    "creditMemo": SOURCES["credit_memo"],
    "inventoryItem": SOURCES["product"],
})


def source_for(entity: str) -> Source:
    """Where ``entity`` lives, or an UnknownNameError listing what NetSuite can extract."""
    try:
        return SOURCES[entity]
    except KeyError:
        raise UnknownNameError("NetSuite entity", entity, SOURCES) from None


def location_rows(item: dict) -> list[dict]:
    """The stock of an inventory item, one row per location (what the inventory entity maps from).

    Each row is the item's ``locations`` line as NetSuite returns it (``location``,
    ``quantityOnHand``, ``quantityAvailable``, ...) plus the item's ``itemId``, a reference to it
    and its ``lastModifiedDate``.
    """
    lines = (item.get("locations") or {}).get("items") or []
    owner = {"item": {"id": item.get("id"), "refName": item.get("itemId")}, "itemId": item.get("itemId"),
             "lastModifiedDate": item.get("lastModifiedDate")}
    return [{**line, **owner} for line in lines]
