"""Invoices, shipments and credit memos created from orders, with Magento's quantity rules.

Each creation checks the requested items against what remains (ordered - invoiced, ordered -
shipped, invoiced - refunded), stores the document with its items, tracks and comment, moves
the order's quantities and state, and answers the new document's id.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.testing.magento2.records import Tables
from pipeline.testing.magento2.responses import MagentoError, bad_request


@dataclass(frozen=True)
class Kind:
    table: str
    label: str
    #: Order item field counting what this kind already covers, and what bounds it.
    done: str
    bound: str


INVOICE = Kind("invoices", "Invoice", "qty_invoiced", "qty_ordered")
SHIPMENT = Kind("shipments", "Shipment", "qty_shipped", "qty_ordered")
CREDITMEMO = Kind("creditmemos", "Creditmemo", "qty_refunded", "qty_invoiced")
_NOT_ALLOWED = {"invoices": "The order does not allow an invoice to be created.",
                "shipments": "The order does not allow a shipment to be created.",
                "creditmemos": "The order does not allow a creditmemo to be created."}


def create(tables: Tables, kind: Kind, order: dict, body: dict, now: str, invoice: dict | None = None) -> int:
    """Create one document of ``kind`` for ``order`` from a creation request ``body``; its id."""
    if not any(_quantities(kind, order, None, invoice).values()):
        raise _invalid(kind, _NOT_ALLOWED[kind.table])
    quantities = _quantities(kind, order, body.get("items"), invoice)
    if not any(quantities.values()) and kind is not CREDITMEMO:
        raise _invalid(kind, f"You can't create a {kind.label.lower()} without products.")
    document_id = tables.next_id(kind.table)
    items = [_line(document_id, item, quantities[item["item_id"]])
             for item in order["items"] if quantities.get(item["item_id"])]
    document = {"entity_id": document_id, "increment_id": tables.increment_id(kind.table),
                "order_id": order["entity_id"], "store_id": order.get("store_id", 1), "created_at": now,
                "updated_at": now, "items": items, "total_qty": sum(line["qty"] for line in items)}
    _totals(tables, kind, document, body, invoice, order)
    if kind is SHIPMENT:
        document["tracks"] = [{**track, "entity_id": tables.next_id("tracks"), "parent_id": document_id,
                               "order_id": order["entity_id"], "created_at": now}
                              for track in body.get("tracks") or []]
    getattr(tables, kind.table)[document_id] = document
    if body.get("comment"):
        _comment(tables, kind, document_id, body["comment"], bool(body.get("notify")), now)
    for item in order["items"]:
        item[kind.done] = item.get(kind.done, 0) + quantities.get(item["item_id"], 0)
    _advance(order, now)
    return document_id


def _quantities(kind: Kind, order: dict, wanted: list[dict] | None, invoice: dict | None) -> dict[int, float]:
    remaining = {item["item_id"]: item.get(kind.bound, 0) - item.get(kind.done, 0) for item in order["items"]}
    if invoice is not None:
        invoiced = {line["order_item_id"]: line["qty"] for line in invoice["items"]}
        remaining = {item_id: min(left, invoiced.get(item_id, 0)) for item_id, left in remaining.items()}
    if wanted is None:
        return {item_id: left for item_id, left in remaining.items() if left > 0}
    out: dict[int, float] = {}
    for line in wanted:
        item_id, qty = line["order_item_id"], line["qty"]
        if item_id not in remaining:
            raise _invalid(kind, f"The order item {item_id} does not belong to this order.")
        if qty > remaining[item_id]:
            raise _invalid(kind, f"The quantity of item {item_id} exceeds what remains "
                                 f"({remaining[item_id]}).")
        out[item_id] = out.get(item_id, 0) + qty
    return out


def _line(document_id: int, item: dict, qty: float) -> dict:
    return {"entity_id": item["item_id"] * 1000 + document_id, "parent_id": document_id,
            "order_item_id": item["item_id"], "sku": item["sku"], "name": item.get("name"), "qty": qty,
            "price": item.get("price", 0), "row_total": item.get("price", 0) * qty}


def _totals(tables: Tables, kind: Kind, document: dict, body: dict, invoice: dict | None, order: dict) -> None:
    subtotal = sum(line["row_total"] for line in document["items"])
    if kind is SHIPMENT:
        document["subtotal"] = document["grand_total"] = subtotal
        return
    tax, discount = _shares(document, order)
    if kind is INVOICE:
        # Invoice\Total\Shipping: the first invoice with shipping takes all of the order's.
        invoiced = any(other.get("shipping_amount") for other in tables.invoices.values()
                       if other["order_id"] == order["entity_id"])
        shipping = 0 if invoiced else order.get("shipping_amount") or 0
        document.update(subtotal=subtotal, tax_amount=round(tax, 2), discount_amount=-round(discount, 2),
                        shipping_amount=shipping, grand_total=round(subtotal + tax - discount + shipping, 2))
        return
    arguments = body.get("arguments") or {}
    adjustments = {name: arguments.get(name, 0) for name in ("adjustment_positive", "adjustment_negative")}
    shipping = _refunded_shipping(order, arguments.get("shipping_amount"))
    total = round(subtotal + tax - discount + shipping + adjustments["adjustment_positive"]
                  - adjustments["adjustment_negative"], 2)
    if total <= 0:
        raise _invalid(kind, "The credit memo's total must be positive.")
    document.update(adjustments, shipping_amount=shipping, subtotal=subtotal, tax_amount=round(tax, 2),
                    discount_amount=-round(discount, 2), grand_total=total, state=2,
                    invoice_id=invoice["entity_id"] if invoice else None)
    order["shipping_refunded"] = (order.get("shipping_refunded") or 0) + shipping


def _shares(document: dict, order: dict) -> tuple[float, float]:
    """The document's share of its items' tax and discount, pro rata of the quantity (Magento's
    invoice and creditmemo total collectors)."""
    items = {item["item_id"]: item for item in order["items"]}
    tax = discount = 0.0
    for line in document["items"]:
        item = items.get(line["order_item_id"]) or {}
        share = line["qty"] / (item.get("qty_ordered") or 1)
        tax += (item.get("tax_amount") or 0) * share
        discount += abs(item.get("discount_amount") or 0) * share
    return tax, discount


def _refunded_shipping(order: dict, wanted: float | None) -> float:
    """Magento's credit memo shipping collector: without a shipping_amount it refunds all the shipping
    not refunded yet; more than that is refused."""
    allowed = round((order.get("shipping_amount") or 0) - (order.get("shipping_refunded") or 0), 2)
    if wanted is None:
        return allowed
    if wanted > allowed + 0.0001:
        # [derived] the amount as Currency::format renders it, with the base currency's symbol.
        symbol = _SYMBOLS.get(order.get("base_currency_code") or "USD", "")
        raise bad_request("Maximum shipping amount allowed to refund is: %1", [f"{symbol}{allowed:.2f}"])
    return wanted


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def _comment(tables: Tables, kind: Kind, document_id: int, comment: dict, notify: bool, now: str) -> None:
    tables.comments[(kind.table, document_id)].append({
        "entity_id": tables.next_id("comments"), "parent_id": document_id, "comment": comment["comment"],
        "is_visible_on_front": comment.get("is_visible_on_front", 0), "is_customer_notified": int(notify),
        "created_at": now})


def _advance(order: dict, now: str) -> None:
    items = [item for item in order["items"] if not item.get("parent_item_id")]
    invoiced = all(item["qty_invoiced"] >= item["qty_ordered"] for item in items)
    shipped = all(item["qty_shipped"] >= item["qty_ordered"] for item in items)
    refunded = all(item["qty_refunded"] >= item["qty_ordered"] for item in items)
    state = "closed" if refunded else "complete" if invoiced and shipped else "processing"
    order.update(state=state, status=state, updated_at=now)


def _invalid(kind: Kind, reason: str) -> MagentoError:
    return bad_request(f"{kind.label} Document Validation Error(s):\n{reason}")
