"""Documents that change in the source after they were made in Magento 2: tracks added.

**Tracking numbers.**
A fulfilment is often created in the ERP before the carrier's label exists; its tracking number
arrives later, as a change to the same fulfilment. The shipment already exists in Magento (found
by its marker comment, ``documents``), so each tracking number it does not carry yet is added
with ``POST /V1/shipment/track``, one track per number. Numbers already there are left alone, so a
repeated load adds nothing; a number removed in the source is not removed from the shop (a
customer may have been sent it already).

**Voided documents** are reported, or not created: ``pipeline.systems.voided``.
"""

from __future__ import annotations

import logging

from pipeline.systems.magento2.client import Magento2Client

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
