"""Documents that change in the source after they were made in Magento 2: tracks added, documents voided.

**Tracking numbers.**
A fulfilment is often created in the ERP before the carrier's label exists; its tracking number
arrives later, as a change to the same fulfilment. The shipment already exists in Magento (found
by its marker comment, ``documents``), so each tracking number it does not carry yet is added
with ``POST /V1/shipment/track``, one track per number. Numbers already there are left alone, so a
repeated load adds nothing; a number removed in the source is not removed from the shop (a
customer may have been sent it already).

**Voided documents.** A document voided in the source (a NetSuite invoice, credit memo or item
fulfilment whose status is ``Voided``) cannot be undone through Magento's API: ``POST
/V1/invoices/{id}/void`` is for online captures only, and Magento has no call that cancels a credit
memo once refunded or deletes a shipment. One that reached the shop is reported (a failed record,
kept with what to do in Magento); one that never did is not created, and that is its ``cancelled``
outcome.
"""

from __future__ import annotations

import logging

from pipeline.errors import RecordError
from pipeline.systems.lifecycle import Applied
from pipeline.systems.magento2.client import Magento2Client

#: Statuses of a voided source document.
VOIDED = ("voided", "void")
#: Per document kind: what Magento cannot do about it through its API, and what the operator can.
UNDO_ADVICE = {
    "invoice": "Magento's API cannot void an offline invoice: refund it with a credit memo, or cancel the "
               "order, in Magento.",
    "credit_memo": "Magento's API cannot cancel a credit memo once refunded: charge the amount again (a new "
                   "invoice or order), or correct it in Magento.",
    "shipment": "Magento's API cannot delete a shipment: correct its tracks, or record a return, in Magento.",
}

logger = logging.getLogger(__name__)


def add_new_tracks(client: Magento2Client, shipment: dict, wanted: list[dict], key: str) -> int:
    """Add to ``shipment`` each of ``wanted`` whose number it lacks; returns how many were added."""
    known = {str(track.get("track_number")) for track in shipment.get("tracks") or []}
    added = 0
    for track in wanted:
        number = str(track["track_number"])
        if number in known:
            continue
        title = track.get("title") or track["carrier_code"]
        # The schema requires weight, qty and description; Magento shows none of them for a track.
        client.post("/V1/shipment/track", {"entity": {
            "order_id": shipment["order_id"], "parent_id": shipment["entity_id"], "track_number": number,
            "title": title, "carrier_code": track["carrier_code"], "weight": 0,
            "qty": shipment.get("total_qty") or 0, "description": title}})
        known.add(number)
        added += 1
    if added:
        logger.info("Added %d tracking numbers to Magento 2 shipment %r of %s %r.", added,
                    shipment.get("increment_id"), "shipment", key)
    return added


def is_voided(data: dict) -> bool:
    return str(data.get("status") or "").strip().lower() in VOIDED


def voided(entity: str, key: str, order: dict, document: dict | None) -> Applied:
    """A voided source document: not created when the shop has none; reported when it has one."""
    label = entity.replace("_", " ")
    if document is None:
        return Applied("cancelled", f"The {label} {key!r} was voided in the source before it reached order "
                                    f"{order.get('increment_id')!r}: not created in Magento 2.")
    raise RecordError(f"The {label} {key!r} was voided in the source after it reached Magento 2 as {label} "
                      f"{document.get('increment_id')!r} of order {order.get('increment_id')!r}. "
                      f"{UNDO_ADVICE[entity]}", {"status": ["Voided in the source."]})
