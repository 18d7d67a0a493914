"""The requests that load one record, as data: sent one by one, or as operations of a batch.

A record's load is a small chain: the first request, the one to send instead when the first
answers 404 (``on_missing``: the create half of an upsert), and the one to send after success
(``then``: tags after the member exists). A request whose 404 means its work is done already
(``gone_ok``: deleting a line that is gone) goes on as after success. Keeping it as data lets the same chain run as direct
calls or as ``/batches`` operations, phase after phase.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pipeline.systems.mailchimp.client import subscriber_hash


@dataclass(frozen=True)
class Operation:
    method: str
    #: Relative to the API root (``/3.0``), as batch operations want it too.
    path: str
    body: dict | None = None
    on_missing: Operation | None = None
    then: Operation | None = None
    #: A 404 is success: what the request removes is gone already.
    gone_ok: bool = False

    def as_batch(self, operation_id: str) -> dict:
        """This request as a ``/batches`` operation: the body is a JSON *string* (CONTRACTS 3.4)."""
        operation = {"method": self.method, "path": self.path, "operation_id": operation_id}
        if self.body is not None:
            operation["body"] = json.dumps(self.body, separators=(",", ":"))
        return operation


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def member_upsert(list_id: str, body: dict, tags: list[dict]) -> Operation:
    """``PUT`` the member (an upsert by subscriber hash), then set its tags (``PUT`` takes none)."""
    path = f"/lists/{_segment(list_id)}/members/{subscriber_hash(body['email_address'])}"
    then = Operation("POST", f"{path}/tags", {"tags": tags}) if tags else None
    return Operation("PUT", path, body, then=then)


def store_upsert(store_id: str, collection: str, body: dict, changes: dict | None = None) -> Operation:
    """``PATCH`` a store's product or order, or ``POST`` it when Mailchimp does not know it (404).

    Mailchimp 3.0.55 has no ``PUT`` for either (CONTRACTS 3.5). PATCH first: a repeated load
    then changes the record instead of failing as a duplicate. ``changes`` is the PATCH body
    (default: ``body`` without its id, which the path carries).
    """
    base = f"/ecommerce/stores/{_segment(store_id)}/{collection}"
    create = Operation("POST", base, body)
    if changes is None:
        changes = {name: value for name, value in body.items() if name != "id"}
    return Operation("PATCH", f"{base}/{_segment(body['id'])}", changes, on_missing=create)


def order_upsert(store_id: str, body: dict, changes: dict, stale: Sequence[str] = ()) -> Operation:
    """An order, each verb with the body its spec wants (3.0.55).

    ``PATCH`` the order without lines (the PATCH line item, ``E_commerce_Order_Line_Item_2``,
    has no id, so lines sent there could not say which line they change); on 404 ``POST`` it
    whole, lines with their ids. After a successful PATCH each line goes through the order-line
    endpoints: ``PATCH .../lines/{id}`` (no id in the body), or ``POST .../lines`` (with it) when
    the line is new; then each of the ``stale`` line ids (lines Mailchimp has that the order no
    longer has) is deleted: ``DELETE .../lines/{id}``. Any other error ends the chain with that
    error: the record fails, kept with it, and no path is skipped in silence.
    """
    base = f"/ecommerce/stores/{_segment(store_id)}/orders"
    order_path = f"{base}/{_segment(body['id'])}"
    then = None
    for line_id in reversed(stale):
        then = Operation("DELETE", f"{order_path}/lines/{_segment(line_id)}", then=then, gone_ok=True)
    for line in reversed(body.get("lines") or []):
        create = Operation("POST", f"{order_path}/lines", line, then=then)
        update = {name: value for name, value in line.items() if name != "id"}
        then = Operation("PATCH", f"{order_path}/lines/{_segment(line['id'])}", update, on_missing=create,
                         then=then)
    header = {name: value for name, value in changes.items() if name != "lines"}
    return Operation("PATCH", order_path, header, on_missing=Operation("POST", base, body), then=then)


def order_lines_path(store_id: str, order_id: str) -> str:
    return f"/ecommerce/stores/{_segment(store_id)}/orders/{_segment(order_id)}/lines"


def product_upsert(store_id: str, body: dict) -> Operation:
    """A store upsert of a product whose variants are then each ``PUT`` (an upsert by variant id).

    3.0.55's product PATCH gives variants no id, so it could not say which variant changes.
    """
    then = None
    for variant in reversed(body.get("variants") or []):
        then = Operation("PUT", f"{product_path(store_id, body['id'])}/variants/{_segment(variant['id'])}",
                         variant, then=then)
    changes = {name: value for name, value in body.items() if name not in ("id", "variants")}
    upsert = store_upsert(store_id, "products", body, changes)
    return Operation(upsert.method, upsert.path, upsert.body, on_missing=upsert.on_missing, then=then)


def product_path(store_id: str, product_id: str | None = None) -> str:
    base = f"/ecommerce/stores/{_segment(store_id)}/products"
    return base if product_id is None else f"{base}/{_segment(product_id)}"
