"""The sales order behind a fulfillment, invoice or credit memo: the shop's order number, on the record.

NetSuite's item fulfillments and invoices name the sales order they were made from
(``createdFrom``), and a credit memo names its invoice; none carries the shop's order number.
The sales order does: a shop integration upserts it by external id, the shop's order number
(``magento2_to_netsuite_order`` uses the increment id). So the extract adds, to each such record::

    createdFromExternalId   the sales order's externalId (absent when it has none)
    createdFromTranId       the sales order's document number (tranId, "SO1234")

following a credit memo's invoice up to its sales order. A record made from something else (a
transfer order, a return authorization) or from nothing gets neither field, and a mapping that
needs the order number fails it with that field named.

Every extract of these record types goes through ``add_order_numbers`` (``NetSuiteSystem._fetch``):
one SuiteQL query per page and hop, not one request per record.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.systems.netsuite.client import MAX_LIMIT, NetSuiteClient

#: SuiteQL ``transaction.type`` of the records that lead to the sales order.
SALES_ORDER, INVOICE = "SalesOrd", "CustInvc"
#: The fields added to each record.
EXTERNAL_ID_FIELD, TRAN_ID_FIELD = "createdFromExternalId", "createdFromTranId"


def add_order_numbers(client: NetSuiteClient, records: list[dict]) -> None:
    """Add ``createdFromExternalId`` and ``createdFromTranId`` of each record's sales order, in place."""
    origins = transactions(client, {reference_id(record.get("createdFrom")) for record in records})
    # A credit memo's invoice names the order in its own createdFrom: read from the invoice record.
    order_of_invoice = {row_id: reference_id((client.find("invoice", row_id) or {}).get("createdFrom"))
                        for row_id, row in origins.items() if row.get("type") == INVOICE}
    origins.update(transactions(client, set(order_of_invoice.values()) - set(origins)))
    for record in records:
        origin = reference_id(record.get("createdFrom"))
        origin = order_of_invoice.get(origin, origin)
        order = origins.get(origin) if origin else None
        if order is None or order.get("type") != SALES_ORDER:
            continue
        if order.get("externalid"):
            record[EXTERNAL_ID_FIELD] = order["externalid"]
        if order.get("tranid"):
            record[TRAN_ID_FIELD] = order["tranid"]


def transactions(client: NetSuiteClient, ids: Iterable[str | None]) -> dict[str, dict]:
    """``id -> {id, type, tranid, externalid}`` of the transactions with these ids."""
    wanted = sorted({int(key) for key in ids if key and str(key).isdigit()})
    found: dict[str, dict] = {}
    for start in range(0, len(wanted), MAX_LIMIT):
        chunk = ", ".join(str(key) for key in wanted[start:start + MAX_LIMIT])
        page = client.suiteql(f"SELECT id, type, tranid, externalid FROM transaction WHERE id IN ({chunk}) "
                              f"ORDER BY id", limit=MAX_LIMIT)
        found.update({str(row["id"]): row for row in page.get("items") or []})
    return found


def reference_id(reference: object) -> str | None:
    """The id of a reference (``{"id": "107", "refName": ...}``), or None."""
    if isinstance(reference, dict) and reference.get("id") not in (None, ""):
        return str(reference["id"])
    return None
