"""Invoices, shipments and credit memos created against Magento 2 orders, at most once each.

Magento numbers these documents itself, and its creation endpoints (``POST /V1/order/{id}/ship``,
``/invoice``, ``/refund``, ``POST /V1/invoice/{id}/refund``) accept no field of ours that could
be searched afterwards: their ``arguments.extension_attributes`` hold only ``source_code`` (ship)
or ``return_to_stock_items`` (refund), and the increment id cannot be set. What they do store is
a comment. So every document we create carries a marker comment naming our document
(``pipeline: shipment SH-1001``), and before creating one we read the comments of the order's
existing documents (``GET /V1/shipment/{id}/comments``, ...): a redelivered message, or a retry
after the answer was lost on the way back, finds its marker and creates nothing.

Matching "the same items" instead would merge two genuine partial shipments of equal quantities.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from pipeline.errors import NotFoundError, RecordError
from pipeline.systems import voided
from pipeline.systems.base import LoadItem
from pipeline.systems.carrying import copy_into
from pipeline.systems.lifecycle import Applied
from pipeline.systems.magento2 import changes, payloads
from pipeline.systems.magento2.carried import CARRIES
from pipeline.systems.magento2.client import SYSTEM, Magento2Client
from pipeline.systems.magento2.search import SearchCriteria, pages

logger = logging.getLogger(__name__)

#: The start of the marker comment; the rest names the entity and its natural key.
MARKER = "pipeline:"


@dataclass(frozen=True)
class DocumentKind:
    entity: str
    #: getList of this kind of document (filtered by order_id).
    list_path: str
    #: Comments of one document, ``{id}`` filled in.
    comments_path: str
    #: Creation from an order, ``{order_id}`` filled in.
    create_path: str


KINDS = {
    "invoice": DocumentKind("invoice", "/V1/invoices", "/V1/invoices/{id}/comments",
                            "/V1/order/{order_id}/invoice"),
    "shipment": DocumentKind("shipment", "/V1/shipments", "/V1/shipment/{id}/comments",
                             "/V1/order/{order_id}/ship"),
    "credit_memo": DocumentKind("credit_memo", "/V1/creditmemos", "/V1/creditmemo/{id}/comments",
                                "/V1/order/{order_id}/refund"),
}


def marker(entity: str, key: str) -> str:
    return f"{MARKER} {entity} {key}"


def load_document(client: Magento2Client, kind: DocumentKind, item: LoadItem) -> Applied | None:
    """Create the document unless the order already has one carrying our marker (then add new tracks)."""
    order = find_order(client, item.data["order_number"], f"{kind.entity} {item.key!r}")
    note = marker(kind.entity, item.key)
    existing = find_marked(client, kind, order["entity_id"], note)
    if voided.is_voided(item.data):
        return voided.voided("Magento 2", kind.entity, item.key, order.get("increment_id"),
                             None if existing is None else existing.get("increment_id"))
    if existing is not None and kind.entity == "shipment" and item.data.get("tracks"):
        # Tracking numbers added in the source after the shipment was made (pipeline.systems.magento2.changes).
        changes.add_new_tracks(client, existing, item.data["tracks"], item.key)
        return None
    if existing is not None:
        logger.info("Magento 2 order %r already has %s %r (marker comment found): not created again.",
                    order.get("increment_id"), kind.entity, item.key)
        return None
    body = payloads.merge_native(_body(kind, item.data, order), item.native)
    if kind.entity == "credit_memo":
        reconcile_refund(body, item.data, order)
    body["comment"] = _with_marker(body.get("comment"), note)
    path = kind.create_path.format(order_id=order["entity_id"])
    if kind.entity == "credit_memo" and item.data.get("invoice_number"):
        # Refunding against the invoice lets Magento refund online through the payment method.
        invoice = _find_invoice(client, order, item.data["invoice_number"], item.key)
        path = f"/V1/invoice/{invoice['entity_id']}/refund"
    client.post(path, body)
    return None


def find_order(client: Magento2Client, increment_id: str, needed_by: str) -> dict:
    criteria = SearchCriteria(page_size=1).where("increment_id", increment_id)
    found = client.get("/V1/orders", criteria.params(current_page=1)).get("items") or []
    if not found:
        raise NotFoundError(f"Order {increment_id!r} of {needed_by} does not exist in Magento 2.",
                            system=SYSTEM)
    return found[0]


def has_marker(client: Magento2Client, kind: DocumentKind, order_id: int, note: str) -> bool:
    return find_marked(client, kind, order_id, note) is not None


def find_marked(client: Magento2Client, kind: DocumentKind, order_id: int, note: str) -> dict | None:
    """The order's document of this kind carrying the marker comment ``note``, or None."""
    criteria = SearchCriteria(page_size=50).where("order_id", order_id).order_by("entity_id")
    for documents in pages(client.get, kind.list_path, criteria):
        for document in documents:
            comments = client.get(kind.comments_path.format(id=document["entity_id"])).get("items") or []
            # Whole lines only: the marker of SH-1 is a prefix of SH-10's.
            if any(note in str(comment.get("comment") or "").splitlines() for comment in comments):
                return document
    return None


def _find_invoice(client: Magento2Client, order: dict, increment_id: str, key: str) -> dict:
    criteria = (SearchCriteria(page_size=1).where("increment_id", increment_id)
                .where("order_id", order["entity_id"]))
    found = client.get("/V1/invoices", criteria.params(current_page=1)).get("items") or []
    if not found:
        raise NotFoundError(f"Invoice {increment_id!r} of credit memo {key!r} does not exist on order "
                            f"{order.get('increment_id')!r} in Magento 2.", system=SYSTEM)
    return found[0]


def _with_marker(comment: object, note: str) -> dict:
    text = comment.get("comment") if isinstance(comment, dict) else None
    visible = comment.get("is_visible_on_front", 0) if isinstance(comment, dict) else 0
    return {"comment": f"{text}\n{note}" if text else note, "is_visible_on_front": visible}


def _body(kind: DocumentKind, data: dict, order: dict) -> dict:
    body: dict = {"notify": False}
    lines = data.get("lines")
    if lines:
        body["items"] = order_items(order, lines, kind.entity, data)
    elif lines is not None and kind.entity == "credit_memo":
        # Without items Magento refunds everything that remains: an adjustment-only credit
        # memo (no lines) lists every item with quantity 0 instead.
        body["items"] = [{"order_item_id": item["item_id"], "qty": 0} for item in order.get("items") or []
                         if not item.get("parent_item_id")]
    if kind.entity == "shipment" and data.get("tracks"):
        body["tracks"] = [copy_into({"title": track.get("title") or track["carrier_code"]}, track,
                                    CARRIES["shipment"], part="tracks") for track in data["tracks"]]
    if kind.entity == "credit_memo":
        arguments = {name: payloads.number(data[name], name)
                     for name in ("adjustment_positive", "adjustment_negative") if data.get(name) is not None}
        # Always sent: without it Magento refunds all the shipping not refunded yet.
        body["arguments"] = {"shipping_amount": payloads.number(data.get("shipping_amount") or 0,
                                                                "shipping_amount"), **arguments}
    return body


def reconcile_refund(body: dict, data: dict, order: dict) -> None:
    """Make Magento's refund total the credit memo's ``grand_total`` with an adjustment.

    Magento refunds each item at the order's price, with its share of the item's tax and discount;
    the source's total may differ (a restocking fee, a goodwill amount, other prices). The
    difference goes as ``adjustment_positive`` (refund more) or ``adjustment_negative`` (less).
    """
    if data.get("grand_total") is None:
        return
    cent = Decimal("0.01")
    items = {item["item_id"]: item for item in order.get("items") or []}
    wanted = body.get("items")
    if wanted is None:  # everything that remains refundable
        wanted = [{"order_item_id": item["item_id"], "qty": (item.get("qty_invoiced") or 0)
                   - (item.get("qty_refunded") or 0)} for item in items.values() if not item.get("parent_item_id")]
    refund = Decimal(0)
    for line in wanted:
        item = items.get(line["order_item_id"]) or {}
        qty, ordered = Decimal(str(line["qty"])), Decimal(str(item.get("qty_ordered") or 1))
        refund += (Decimal(str(item.get("price") or 0)) * qty
                   + (Decimal(str(item.get("tax_amount") or 0)) - abs(Decimal(str(item.get("discount_amount") or 0))))
                   * qty / ordered)
    arguments = body.setdefault("arguments", {})
    given = {name: Decimal(str(arguments.get(name) or 0))
             for name in ("shipping_amount", "adjustment_positive", "adjustment_negative")}
    magento_total = refund + given["shipping_amount"] + given["adjustment_positive"] - given["adjustment_negative"]
    difference = (Decimal(str(data["grand_total"])) - magento_total).quantize(cent)
    if difference > 0:
        arguments["adjustment_positive"] = float(given["adjustment_positive"] + difference)
    elif difference < 0:
        arguments["adjustment_negative"] = float(given["adjustment_negative"] - difference)


def order_items(order: dict, lines: list[dict], entity: str, data: dict) -> list[dict]:
    """Canonical lines (``sku``, ``qty``) as Magento's ``[{order_item_id, qty}]``."""
    out = []
    for index, line in enumerate(lines):
        item = _order_item(order, line["sku"])
        if item is None:
            label = f"{entity.replace('_', ' ').capitalize()} {data.get(f'{entity}_number') or ''!r}"
            raise RecordError(f"{label}: order {order.get('increment_id')!r} has no item with SKU "
                              f"{line['sku']!r}.", {f"lines.{index}.sku": ["Not on the order."]})
        qty = payloads.number(line["qty"], f"lines.{index}.qty")
        out.append({"order_item_id": item["item_id"], "qty": qty})
    return out


def _order_item(order: dict, sku: str) -> dict | None:
    # A configurable product's parent and child lines share the child's SKU: the parent is the
    # one Magento invoices and ships.
    candidates = [item for item in order.get("items") or [] if item.get("sku") == sku]
    parents = [item for item in candidates if not item.get("parent_item_id")]
    return (parents or candidates or [None])[0]
