"""Invoices, shipments (with tracking numbers) and credit memos on Magento 1 orders, at most once each.

Magento 1 numbers these documents itself, and ``sales_order_invoice.create``,
``sales_order_shipment.create`` and ``sales_order_creditmemo.create`` take no field of ours that a
list call could filter on: only items, a comment and notification flags. The comment is stored
with the document and ``info`` returns it, so every document we create carries a marker line
naming our document (``pipeline: shipment SH-1001``). Before creating one, the order's documents
of that kind are listed (``{"order_id": ...}``) and their comments read: a redelivered message, or
a retry after the answer was lost on its way back, finds its marker and creates nothing.

Why a comment and not "a document with the same items": two genuine partial shipments of equal
quantities would look like one. Tracking numbers are added after the shipment
(``sales_order_shipment.addTrack``), each only if the shipment does not list it yet, so a retry
that finds the shipment completes its tracks instead. A document voided in the source is reported,
or not created (``pipeline.systems.voided``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipeline.errors import NotFoundError, RecordError
from pipeline.systems import voided
from pipeline.systems.base import LoadItem
from pipeline.systems.lifecycle import Applied
from pipeline.systems.magento1 import payloads
from pipeline.systems.magento1.client import Magento1Client
from pipeline.systems.magento1.faults import SYSTEM

logger = logging.getLogger(__name__)

#: The start of the marker line; the rest names the entity and its natural key.
MARKER = "pipeline:"


@dataclass(frozen=True)
class DocumentKind:
    entity: str
    #: The API resource (``<resource>.list``, ``.info``, ``.create``).
    resource: str


KINDS = {
    "invoice": DocumentKind("invoice", "sales_order_invoice"),
    "shipment": DocumentKind("shipment", "sales_order_shipment"),
    "credit_memo": DocumentKind("credit_memo", "sales_order_creditmemo"),
}


def marker(entity: str, key: str) -> str:
    return f"{MARKER} {entity} {key}"


def load_document(client: Magento1Client, kind: DocumentKind, item: LoadItem) -> Applied | None:
    """Create the document unless the order already has one carrying our marker; a voided one is reported."""
    label = f"{kind.entity.replace('_', ' ')} {item.key!r}"
    order = find_order(client, item.data["order_number"], label)
    note = marker(kind.entity, item.key)
    document = find_marked(client, kind, order, note)
    if voided.is_voided(item.data):
        return voided.voided("Magento 1", kind.entity, item.key, order.get("increment_id"),
                             None if document is None else document.get("increment_id"))
    if document is not None:
        logger.info("Magento 1 order %r already has %s (marker comment found): not created again.",
                    order.get("increment_id"), label)
    else:
        number = client.call(f"{kind.resource}.create", *_create_args(kind, item, order, note))
        document = {"increment_id": str(number), "tracks": []}
    if kind.entity == "shipment":
        add_missing_tracks(client, document, item.data.get("tracks") or [])
    return None


def find_order(client: Magento1Client, increment_id: str, needed_by: str) -> dict:
    try:
        return client.call("sales_order.info", increment_id)
    except NotFoundError:
        raise NotFoundError(f"Order {increment_id!r} of {needed_by} does not exist in Magento 1.",
                            system=SYSTEM) from None


def find_marked(client: Magento1Client, kind: DocumentKind, order: dict, note: str) -> dict | None:
    """The order's document of this kind whose comments carry ``note`` (its ``info``), or None."""
    for row in client.call(f"{kind.resource}.list", {"order_id": str(order["order_id"])}) or []:
        document = client.call(f"{kind.resource}.info", str(row["increment_id"]))
        # Whole lines only: the marker of SH-1 is a prefix of SH-10's.
        comments = [str(comment.get("comment") or "") for comment in document.get("comments") or []]
        if any(note in comment.splitlines() for comment in comments):
            return document
    return None


def add_missing_tracks(client: Magento1Client, shipment: dict, tracks: list[dict]) -> None:
    # "track_number" since Magento 1.6's flat tables, "number" before.
    known = {str(track.get("track_number") or track.get("number") or "")
             for track in shipment.get("tracks") or []}
    for track in tracks:
        if track["track_number"] in known:
            continue
        client.call("sales_order_shipment.addTrack", shipment["increment_id"], track["carrier_code"],
                    track.get("title") or track["carrier_code"], track["track_number"])
        known.add(track["track_number"])


def _create_args(kind: DocumentKind, item: LoadItem, order: dict, note: str) -> tuple:
    data, native = item.data, item.native
    # A visible comment of the mapping's own comes first; the marker is its last line.
    comment = f"{native['comment']}\n{note}" if native.get("comment") else note
    email = bool(native.get("email", False))
    if kind.entity == "credit_memo":
        return data["order_number"], _credit_memo_data(data, order), comment, email, False
    lines = data.get("lines")
    quantities = items_qty(order, lines, kind.entity, data) if lines else {}
    # No quantities: Magento invoices or ships everything that remains.
    return data["order_number"], quantities, comment, email, False


def _credit_memo_data(data: dict, order: dict) -> dict:
    out: dict = {}
    lines = data.get("lines")
    if lines:
        out["qtys"] = [{"order_item_id": int(item_id), "qty": qty}
                       for item_id, qty in items_qty(order, lines, "credit_memo", data).items()]
    elif lines is not None:
        # Without quantities Magento refunds everything that remains: an adjustment-only credit
        # memo (no lines) lists every item with quantity 0 instead.
        out["qtys"] = [{"order_item_id": int(item["item_id"]), "qty": 0} for item in order.get("items") or []
                       if not item.get("parent_item_id")]
    # Always sent: without it Magento refunds all the shipping not refunded yet.
    out["shipping_amount"] = payloads.number(data.get("shipping_amount") or 0, "shipping_amount")
    for name in ("adjustment_positive", "adjustment_negative"):
        if data.get(name) is not None:
            out[name] = payloads.number(data[name], name)
    return out


def items_qty(order: dict, lines: list[dict], entity: str, data: dict) -> dict[str, int | float]:
    """Canonical lines (``sku``, ``qty``) as Magento's ``{order_item_id: qty}``."""
    out: dict[str, int | float] = {}
    for index, line in enumerate(lines):
        item = _order_item(order, line["sku"])
        if item is None:
            label = f"{entity.replace('_', ' ').capitalize()} {data.get(f'{entity}_number') or ''!r}"
            raise RecordError(f"{label}: order {order.get('increment_id')!r} has no item with SKU "
                              f"{line['sku']!r}.", {f"lines.{index}.sku": ["Not on the order."]})
        item_id = str(item["item_id"])
        out[item_id] = out.get(item_id, 0) + payloads.number(line["qty"], f"lines.{index}.qty")
    return out


def _order_item(order: dict, sku: str) -> dict | None:
    # A configurable product's parent and child lines share the child's SKU: the parent is the
    # one Magento invoices and ships.
    candidates = [item for item in order.get("items") or [] if item.get("sku") == sku]
    parents = [item for item in candidates if not item.get("parent_item_id")]
    return (parents or candidates or [None])[0]
