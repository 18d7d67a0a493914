"""The three steps of every connector, as plain functions: extract -> map -> load.

No Dramatiq here: the actors (``pipeline.actors``) call these with ``send_*`` callbacks that
enqueue the next step, so the same steps run on any broker, or none.

Records travel in batches (a page of the source), but each record keeps its own outcome: one
that fails to map or load is counted and kept as a failure of its own, and one whose load hit
a retryable error is split out and retried alone, never re-running its batch mates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline.errors import RecordError, is_retryable
from pipeline.integrations import Integration
from pipeline.runs import Failure, RunStore
from pipeline.systems import LoadItem

logger = logging.getLogger(__name__)

#: Run modes: changed records since the cursor, all records (a full re-sync), or given references.
MODES = ("changed", "full", "refs")


@dataclass(frozen=True)
class Outbox:
    """How a step hands work to the next one (enqueueing, in the actors)."""

    send_map: Callable[[list[dict]], None]
    send_load: Callable[[list[dict]], None]
    #: Re-send one record's load on its own, to be retried alone.
    send_load_alone: Callable[[dict, Exception], None]


def extract(integration: Integration, runs: RunStore, run_id: str, mode: str, refs: Sequence[str] | None,
            batch_size: int, outbox: Outbox) -> None:
    """Stream the source page by page, handing each page to the map step; then advance the cursor."""
    spec = integration.spec
    since = runs.get_cursor(spec.name) if mode == "changed" else None
    wanted = set(refs or ())
    cursor = since
    for page in integration.source.extract(spec.source.entity, since=since, refs=refs or None,
                                           page_size=batch_size):
        records = page.records
        if wanted:
            records = [record for record in records if integration.mapper.source_key(record) in wanted]
        if records:
            # Counted before sending, so the run can never look complete while a page is in flight.
            runs.add_extracted(run_id, len(records))
            outbox.send_map(records)
        cursor = page.cursor or cursor
    runs.finish_extraction(run_id, spec.name, cursor if mode != "refs" else None)
    logger.info("Extracted run %r of %r (mode %s).", run_id, spec.name, mode)


def map_records(integration: Integration, runs: RunStore, run_id: str, records: Sequence[dict],
                outbox: Outbox) -> None:
    """Map and validate each record; failures are kept with their errors, the rest go on to load."""
    items, failures = [], []
    for index, record in enumerate(records):
        try:
            items.append(integration.mapper.map(record).as_message())
        except RecordError as error:
            key = integration.mapper.source_key(record) or f"{run_id}#{index}"
            failures.append(Failure(key=key, stage="map", error=str(error), error_type="RecordError",
                                    problems=_json_safe(error.problems), record=record))
    if failures:
        runs.record(run_id, failures=failures)
        for failure in failures:
            logger.warning("Record %r of run %r failed to map: %s", failure.key, run_id, failure.error)
    if items:
        outbox.send_load(items)


def load_records(integration: Integration, runs: RunStore, run_id: str, items: Sequence[dict],
                 outbox: Outbox, alone: bool = False) -> None:
    """Load a batch into the target, one outcome per record.

    With ``alone`` (a record split out of its batch) a retryable error is raised, so the broker's
    retries with backoff take over; in a batch it splits the record out instead.

    Raises:
        RetryableError: only when ``alone``, or when the whole batch failed in a retryable way
            (idempotent loads make retrying the batch safe).
    """
    spec = integration.spec
    batch = [LoadItem(**item) for item in items]
    outcomes = integration.target.load(spec.entity, batch)
    loaded, failures = 0, []
    for item, outcome in zip(items, outcomes):
        if outcome is None:
            loaded += 1
        elif is_retryable(outcome, spec.options.retry_on):
            if alone:
                raise outcome
            outbox.send_load_alone(item, outcome)
        else:
            failures.append(load_failure(item, str(outcome), type(outcome).__name__))
    runs.record(run_id, loaded=loaded, failures=failures)
    for failure in failures:
        logger.warning("Record %r of run %r failed to load: %s", failure.key, run_id, failure.error)


def load_failure(item: dict, error: str, error_type: str) -> Failure:
    return Failure(key=item["key"], stage="load", error=error, error_type=error_type, record=item)


def _json_safe(problems: object) -> dict:
    # marshmallow keys list positions by int; JSON (and Redis) want strings.
    if isinstance(problems, dict):
        return {str(key): _json_safe(value) for key, value in problems.items()}
    return problems  # type: ignore[return-value]


__all__ = ["MODES", "Outbox", "extract", "load_failure", "load_records", "map_records"]
