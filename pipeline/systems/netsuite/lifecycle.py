"""An order's later life in NetSuite: cancelled, closed, held or edited, as its sales order's state allows.

The shop's order is loaded again whenever it changes. What NetSuite lets us do with its sales
order depends on how far the order has gone there (``orderStatus``, CONTRACTS 4.8):

==========================  ==========================================  =====================================
sales order is              shop order cancelled                        shop order edited (lines, address)
==========================  ==========================================  =====================================
not there yet               nothing created (``cancelled``)             created
A / B (nothing shipped)     ``orderStatus: C`` (``cancelled``)          updated, lines replaced
D / E / F (partly done)     its lines closed (``closed``)               refused, reported: fulfilled already
G (billed)                  refused, reported: credit it instead        refused, reported
C / H                       nothing to do (``cancelled`` / ``closed``)  refused, reported
==========================  ==========================================  =====================================

An order put on hold in the shop is Pending Approval (``A``) in NetSuite: held while it is still
``A``; once approved, NetSuite has no way back, and the load says so. A load that finds nothing
NetSuite would change (a shipped order's status moving to ``complete`` in the shop) writes nothing.
"""

from __future__ import annotations

from pipeline.errors import RecordError
from pipeline.systems.base import LoadItem
from pipeline.systems.lifecycle import Applied
from pipeline.systems.netsuite.payloads import external_id, order_payload

NAMES = {"A": "Pending Approval", "B": "Pending Fulfillment", "C": "Cancelled", "D": "Partially Fulfilled",
         "E": "Pending Billing/Partially Fulfilled", "F": "Pending Billing", "G": "Billed", "H": "Closed"}
OPEN, PARTLY_DONE = ("A", "B"), ("D", "E", "F")


def load_order(loader, item: LoadItem) -> Applied | None:
    """Create, update, cancel or close the order's sales order, as its state allows (see the table)."""
    data = item.data
    eid = external_id(item.native.get("externalId") or data["order_number"])
    existing = loader.client.find("salesOrder", f"eid:{eid}", expand=True)
    status = str(data.get("status") or "").lower()
    if existing is None:
        if status in ("cancelled", "canceled"):
            return Applied("cancelled", f"Order {data['order_number']!r} was cancelled in the shop before it "
                                        "reached NetSuite: no sales order created.")
        loader.order(item)
        return None
    state = _state(existing)
    label = f"sales order {existing.get('tranId') or existing['id']} ({state} {NAMES.get(state, state)})"
    if status in ("cancelled", "canceled"):
        return _cancel(loader, data["order_number"], existing, state, label)
    if state in OPEN and not (status == "on_hold" and state == "B"):
        loader.order(item)
        return None
    if status == "on_hold" and state == "B":
        raise RecordError(f"Order {data['order_number']!r} was put on hold in the shop, but its {label} is approved "
                          "already: NetSuite cannot return it to Pending Approval. Hold its fulfilment in NetSuite.",
                          {"status": ["Approved in NetSuite: cannot be held."]})
    if not _changed(loader, item, existing):
        return None
    raise RecordError(f"Order {data['order_number']!r} was changed in the shop (lines or shipping address) after "
                      f"its {label} was fulfilled, billed, cancelled or closed: NetSuite does not allow that edit, "
                      "and nothing was changed. Change the sales order in NetSuite, or cancel and re-order.",
                      {"lines": ["Not editable in NetSuite any more."]})


def _cancel(loader, order_number: str, existing: dict, state: str, label: str) -> Applied:
    if state == "C":
        return Applied("cancelled", f"Order {order_number!r}: its {label} was cancelled already.")
    if state == "H":
        return Applied("closed", f"Order {order_number!r}: its {label} was closed already.")
    if state in OPEN:
        loader.client.update("salesOrder", existing["id"], {"orderStatus": {"id": "C"}})
        return Applied("cancelled", f"Order {order_number!r} cancelled in the shop: {label} cancelled.")
    if state in PARTLY_DONE:
        lines = [{"line": line["line"], "isClosed": True} for line in _lines(existing) if not line.get("isClosed")]
        loader.client.update("salesOrder", existing["id"], {"item": {"items": lines}})
        return Applied("closed", f"Order {order_number!r} cancelled in the shop: {label} is partly fulfilled, "
                                 f"which NetSuite cannot cancel, so its {len(lines)} open lines were closed.")
    raise RecordError(f"Order {order_number!r} was cancelled in the shop, but its {label} is billed in full: "
                      "NetSuite cannot cancel or close it. Refund it with a credit memo.",
                      {"status": ["Billed in NetSuite: cannot be cancelled."]})


def _changed(loader, item: LoadItem, existing: dict) -> bool:
    """Whether the shop's lines or shipping address differ from the sales order's."""
    data = item.data
    skus = [line["sku"] for line in data.get("lines") or []]
    item_ids = loader.item_ids(skus, data["order_number"])
    wanted = order_payload(data, item.native, customer_id=str((existing.get("entity") or {}).get("id")),
                           item_ids=item_ids, settings=loader.settings)
    have = sorted(_line_key(line) for line in _lines(existing))
    want = sorted(_line_key(line) for line in (wanted.get("item") or {}).get("items") or [])
    address = wanted.get("shippingAddress") or {}
    stored = existing.get("shippingAddress") or {}
    return have != want or any(stored.get(name) != value for name, value in address.items())


def _line_key(line: dict) -> tuple:
    return str((line.get("item") or {}).get("id")), float(line.get("quantity") or 0), float(line.get("rate") or 0)


def _lines(order: dict) -> list[dict]:
    return (order.get("item") or {}).get("items") or []


def _state(order: dict) -> str:
    value = order.get("orderStatus")
    return (value.get("id") if isinstance(value, dict) else value) or "B"
