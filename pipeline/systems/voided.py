"""Documents voided in the source after (or before) they reached a shop: reported, or not created.

A document voided in the source (a NetSuite invoice, credit memo or item fulfilment whose status
is ``Voided``) cannot be undone through the shops' APIs: Magento 2's ``POST
/V1/invoices/{id}/void`` is for online captures only, and neither Magento has a call that cancels
a credit memo once refunded or deletes a shipment. One that reached the shop is reported (a failed
record, kept with what to do in the shop); one that never did is not created, and that is its
``cancelled`` outcome.
"""

from __future__ import annotations

from pipeline.errors import RecordError
from pipeline.systems.lifecycle import Applied

#: Statuses of a voided source document.
VOIDED = ("voided", "void")
#: Per document kind: what the shop's API cannot do about it, and what the operator can.
UNDO_ADVICE = {
    "invoice": "{shop}'s API cannot void an offline invoice: refund it with a credit memo, or cancel the "
               "order, in {shop}.",
    "credit_memo": "{shop}'s API cannot cancel a credit memo once refunded: charge the amount again (a new "
                   "invoice or order), or correct it in {shop}.",
    "shipment": "{shop}'s API cannot delete a shipment: correct its tracks, or record a return, in {shop}.",
}


def is_voided(data: dict) -> bool:
    return str(data.get("status") or "").strip().lower() in VOIDED


def voided(shop: str, entity: str, key: str, order_number: object, document_number: object | None) -> Applied:
    """A voided source document: ``cancelled`` when the shop has none; a RecordError saying what to do when it has."""
    label = entity.replace("_", " ")
    if document_number is None:
        return Applied("cancelled", f"The {label} {key!r} was voided in the source before it reached order "
                                    f"{order_number!r}: not created in {shop}.")
    raise RecordError(f"The {label} {key!r} was voided in the source after it reached {shop} as {label} "
                      f"{document_number!r} of order {order_number!r}. {UNDO_ADVICE[entity].format(shop=shop)}",
                      {"status": ["Voided in the source."]})
