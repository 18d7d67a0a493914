"""Sales order states, as NetSuite moves them and limits what may change in each.

``orderStatus`` (CONTRACTS 4.8): ``A`` Pending Approval, ``B`` Pending Fulfillment, ``C`` Cancelled,
``D`` Partially Fulfilled, ``E`` Pending Billing/Partially Fulfilled, ``F`` Pending Billing, ``G``
Billed, ``H`` Closed. Fulfilments and invoices made from an order (``!transform``) move it along;
the rules NetSuite's UI and SuiteScript enforce, which the emulator applies to REST updates
([unverified]: the exact error codes and wording are not documented for REST):

* an order is cancelled (``orderStatus: C``) only while nothing of it is fulfilled or billed;
* a cancelled or closed order changes no more;
* the lines of an order that has fulfilments or invoices cannot be replaced or changed, except
  closing them (``isClosed: true``): every line closed, the order is Closed (``H``).
"""

from __future__ import annotations

NAMES = {"A": "Pending Approval", "B": "Pending Fulfillment", "C": "Cancelled", "D": "Partially Fulfilled",
         "E": "Pending Billing/Partially Fulfilled", "F": "Pending Billing", "G": "Billed", "H": "Closed"}
#: Which quantity of an order's lines a document made from it counts.
COUNTS = {"itemFulfillment": "quantityFulfilled", "invoice": "quantityBilled"}


def status_of(order: dict) -> str:
    value = order.get("orderStatus")
    return (value.get("id") if isinstance(value, dict) else value) or "B"


def set_status(order: dict, code: str) -> None:
    order["orderStatus"] = {"id": code, "refName": NAMES[code]}


def _lines(order: dict) -> list[dict]:
    return (order.get("item") or {}).get("items") or []


def _started(order: dict) -> bool:
    return any(line.get(name) for line in _lines(order) for name in COUNTS.values())


#: NetSuite's refusal: (HTTP status, error code, detail, field); the store raises it as its NsError.
Refusal = tuple[int, str, str, str]


def refusal(order: dict, body: dict, replace: list[str] | tuple[str, ...]) -> Refusal | None:
    """NetSuite's error when ``body`` changes the order in a way its state does not allow, else None."""
    state = status_of(order)
    wanted = body.get("orderStatus")
    wanted = wanted.get("id") if isinstance(wanted, dict) else wanted
    if state in ("C", "H"):
        return 400, "USER_ERROR", f"You cannot edit a {NAMES[state].lower()} sales order.", "orderStatus"
    if wanted == "C" and _started(order):
        return (400, "USER_ERROR", "You cannot cancel a sales order that has been fulfilled or billed. Close "
                "its lines instead.", "orderStatus")
    if wanted and wanted not in ("A", "B", "C", state):
        return (400, "INVALID_FLD_VALUE", f"You have entered an Invalid Field Value {wanted} for the following "
                "field: orderStatus", "orderStatus")
    if "item" in body and _started(order):
        lines = (body.get("item") or {}).get("items") or []
        only_closing = "item" not in replace and all(set(line) <= {"line", "isClosed"} for line in lines)
        if not only_closing:
            return 400, "USER_ERROR", "You cannot change or remove lines that have been fulfilled or billed.", "item"
    return None


def settle(order: dict) -> None:
    """After an update: every line closed closes the order."""
    lines = _lines(order)
    if lines and all(line.get("isClosed") for line in lines) and status_of(order) != "C":
        set_status(order, "H")


def record_document(order: dict, document_type: str, lines: list[dict]) -> None:
    """A fulfilment or invoice was made from ``order``: count its quantities, move the order's state."""
    name = COUNTS.get(document_type)
    if name is None:
        return
    by_line = {line.get("line"): line for line in _lines(order)}
    for line in lines:
        target = by_line.get(line.get("orderLine"))
        if target is not None:
            target[name] = (target.get(name) or 0) + (line.get("quantity") or 0)
    ordered = [line for line in _lines(order) if not line.get("isClosed")]
    shipped = all((line.get("quantityFulfilled") or 0) >= (line.get("quantity") or 0) for line in ordered)
    billed = all((line.get("quantityBilled") or 0) >= (line.get("quantity") or 0) for line in ordered)
    any_billed = any(line.get("quantityBilled") for line in ordered)
    if shipped and billed:
        set_status(order, "G")
    elif shipped:
        set_status(order, "F")
    else:
        set_status(order, "E" if any_billed else "D")
