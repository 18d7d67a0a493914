"""Deletions a source cannot report: a ``full`` run compares what it extracted with the ledger.

Most sources list what exists, not what was deleted: a product removed from the ERP simply stops
appearing. A mapping that opts in (``options.on_missing: delete | disable``) has each full run
remember the keys it extracted; once the extraction is complete, every key the ledger knows as
loaded that the run did not see is sent to the load step as a *missing* item, and the target
deletes or disables it (``System.apply_missing``), each record with its own outcome (``deleted``,
``archived``, ``disabled``) in the ledger and the run's counts.

The safety limit: a full run that finds more than ``options.missing_limit_pct`` of the known
records missing stops there, says so in the run's error, and deletes nothing. An export that is
suddenly empty or half as long is far more likely a broken source than a cleared catalogue.

A record handled as missing keeps a marker hash in the ledger (``missing:<action>``): a later full
run does not send it again, a redelivered load skips it as unchanged, and when the record comes
back in the source its real payload differs from the marker and is loaded as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pipeline.errors import FatalError
from pipeline.systems import LoadItem

logger = logging.getLogger(__name__)

#: The ledger hash of a record handled as missing starts with this.
MISSING_HASH = "missing:"


def missing_item(key: str, action: str) -> dict:
    """The load message item of a record missing from the source."""
    return {"key": key, "data": {}, "native": {}, "missing": action, "hash": MISSING_HASH + action}


class MissingCheck:
    """Tracks a full run's extracted keys, then sends the known keys it did not see to be removed."""

    def __init__(self, job, mode: str) -> None:
        spec = job.integration.spec
        self.job, self.action = job, spec.options.on_missing
        self.active = mode == "full" and self.action != "ignore"
        self.unkeyed = 0

    def saw(self, records: Sequence[dict]) -> None:
        if not self.active:
            return
        keys = [self.job.integration.mapper.source_key(record) for record in records]
        self.unkeyed += sum(1 for key in keys if key is None)
        self.job.books.runs.see(self.job.run_id, [key for key in keys if key is not None])

    def finish(self, send_load, batch_size: int) -> int:
        """Send the missing records to be removed, unless the safety limit stops it; returns how many."""
        if not self.active:
            return 0
        job, spec = self.job, self.job.integration.spec
        runs = job.books.runs
        if self.unkeyed:
            runs.set_error(job.run_id, f"Full run of {spec.name!r} did not look for missing records: {self.unkeyed} "
                           "extracted records have no key, and a record that cannot be named could be one that "
                           "the ledger knows. Fix those records (see the run's failures), then run again.")
            return 0
        known = list(job.books.ledger.known_keys(spec.name, except_hash_prefix=MISSING_HASH))
        missing = sorted(runs.unseen(job.run_id, known))
        if not missing:
            return 0
        share = 100 * len(missing) / len(known)
        limit = spec.options.missing_limit_pct
        if share > limit:
            error = (f"Full run of {spec.name!r} stopped before {spec.options.on_missing}: {len(missing)} of the "
                     f"{len(known)} records loaded before ({share:.0f} %) are missing from the source, over the limit "
                     f"of {limit:g} % (options.missing_limit_pct). Nothing was removed: an export this short is "
                     "more likely a broken source than a cleared catalogue. Check the source; if the records "
                     "really are gone, raise the limit for one run.")
            runs.set_error(job.run_id, error)
            logger.warning("%s First missing: %s", error, missing[:5])
            return 0
        prefix = f"{job.message_id or job.run_id}:missing"
        # Counted before sending, so that the run cannot look complete while they are in flight.
        job.books.found_missing(job.run_id, len(missing), prefix)
        for number, start in enumerate(range(0, len(missing), batch_size)):
            send_load([missing_item(key, self.action) for key in missing[start:start + batch_size]],
                      f"{prefix}:{number}")
        logger.info("Full run %r of %r found %d records missing from the source; sent to %s.", job.run_id,
                    spec.name, len(missing), self.action)
        return len(missing)


def load_outcomes(target, entity: str, items: Sequence[dict]) -> list:
    """One outcome per item: upserts through ``target.load``, missing records through ``apply_missing``."""
    outcomes: list = [None] * len(items)
    upserts = [index for index, item in enumerate(items) if not item.get("missing")]
    if upserts:
        loaded = target.load(entity, [LoadItem(items[i]["key"], items[i]["data"], items[i]["native"],
                                               items[i].get("previous_key")) for i in upserts])
        _place(outcomes, upserts, loaded)
    for action in sorted({item["missing"] for item in items if item.get("missing")}):
        chosen = [index for index, item in enumerate(items) if item.get("missing") == action]
        _place(outcomes, chosen, target.apply_missing(entity, [items[i]["key"] for i in chosen], action))
    return outcomes


def _place(outcomes: list, indexes: list[int], results: Sequence) -> None:
    if len(results) != len(indexes):
        # Left as None, the records without an outcome would read as loaded.
        raise FatalError(f"A system returned {len(results)} outcomes for {len(indexes)} records: a system's load "
                         "and apply_missing must return one outcome per record, in order.")
    for index, result in zip(indexes, results, strict=True):
        outcomes[index] = result
