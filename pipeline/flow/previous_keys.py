"""The key a target last received for a source record, when the record's key changed since.

A record is keyed by its natural key (a customer by email). When that key changes at the source,
the target still holds the record under the old one: an anonymised customer arrives with a
made-up address, and the member to erase is the one of the address sent before. A target that
needs the old key declares the entities in ``previous_keys_of``; for those, the load step looks
up the key last sent for each record's ``external_id`` (the ledger's ``sent`` hash) and gives it
to the load as ``LoadItem.previous_key``, then books the key it sent this time.

Bounded: one entry per source id (overwritten, never appended), only for the entities a target
asks for, pruned with the rest of the ledger after full runs (``PIPELINE_LEDGER_RETENTION_S``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.books.ledger import Ledger


def tracked(target: object, entity: str) -> bool:
    return entity in getattr(target, "previous_keys_of", ())


def source_id(item: dict) -> str | None:
    value = (item.get("data") or {}).get("external_id")
    return None if value in (None, "") else str(value)


def with_previous_keys(ledger: Ledger, integration: str, items: Sequence[dict]) -> list[dict]:
    """``items`` with ``previous_key`` set where the key last sent for the same source id differs."""
    ids = sorted({found for item in items if (found := source_id(item))})
    sent = ledger.sent_keys(integration, ids)
    out = []
    for item in items:
        previous = sent.get(source_id(item) or "")
        out.append({**item, "previous_key": previous} if previous and previous != item["key"] else item)
    return out


def sent_pairs(items: Sequence[dict], done: set[str]) -> list[tuple[str, str]]:
    """(source id, key) of the items in ``done`` (loaded, or an event applied) that have a source id."""
    return [(found, item["key"]) for item in items if item["key"] in done and (found := source_id(item))]
