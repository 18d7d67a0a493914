"""The three steps of every connector, as plain functions: extract -> map -> load.

No Dramatiq here: the actors (``pipeline.actors``) call these with an ``Outbox`` whose callbacks
enqueue the next step, so the same steps run on any broker, or none.

Records travel in batches (a page of the source), but each record keeps its own outcome: one
that fails to map or load is counted and kept as a dead letter of its own, and one whose load
hit a retryable error is split out and retried alone, never re-running its batch mates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline.books import Books, Failure, LoadOutcomes, payload_hash
from pipeline.books.batches import alone_batch, record_name
from pipeline.errors import FatalError, RecordError, is_retryable
from pipeline.flow.integrations import Integration
from pipeline.systems import LoadItem

logger = logging.getLogger(__name__)

#: Run modes: changed records since the cursor, all records (a full re-sync), given references,
#: or dead letters sent again by an operator.
MODES = ("changed", "full", "refs", "retry")


@dataclass(frozen=True)
class Outbox:
    """How a step hands work to the next one (enqueueing, in the actors).

    Every callback takes the batch id, which names a page from extraction to load: a message
    delivered twice (a worker killed before acknowledging it) books its batch's counts once.
    """

    send_map: Callable[[list[dict], str], None]
    send_load: Callable[[list[dict], str], None]
    #: Re-send one record's load on its own, to be retried alone.
    send_load_alone: Callable[[dict, Exception, str], None]


@dataclass(frozen=True)
class Job:
    """Who runs a step: the integration, its run, the books, and the message doing it."""

    integration: Integration
    books: Books
    run_id: str
    message_id: str | None = None
    #: Load even records whose payload is unchanged, and enqueue even duplicates.
    force: bool = False


def extract(job: Job, mode: str, refs: Sequence[str] | None, batch_size: int, outbox: Outbox) -> None:
    """Stream the source page by page, handing each page to the map step; then advance the cursor.

    No per-record work here beyond what ``refs`` needs: extraction stays as fast as the source.
    """
    job.integration.require_configured()
    spec, books, mapper = job.integration.spec, job.books, job.integration.mapper
    since = books.runs.get_cursor(spec.name) if mode == "changed" else None
    wanted = set(refs or ())
    cursor = since
    pages = job.integration.source.extract(spec.source.entity, since=since, refs=refs or None,
                                           page_size=batch_size)
    for number, page in enumerate(pages):
        records = page.records
        if wanted:
            records = [record for record in records if mapper.source_key(record) in wanted]
        if records:
            # Named after the extract message, stable when it is delivered again after a crash.
            batch = f"{job.message_id or job.run_id}:{number}"
            # Counted before sending, so the run can never look complete while a page is in flight.
            books.extracted(job.run_id, len(records), batch)
            outbox.send_map(records, batch)
        cursor = page.cursor or cursor
    summary = books.extraction_finished(job.run_id, spec.name, cursor if mode in ("changed", "full") else None)
    logger.info("Extracted %d records for run %r of %r (mode %s).", summary.counts["extracted"], job.run_id,
                spec.name, mode)


def map_records(job: Job, records: Sequence[dict], outbox: Outbox, batch: str) -> None:
    """Map and validate each record, and hand the batch on to load.

    Failures are kept with their errors. A record whose identical payload is still waiting to be
    loaded by an earlier message is skipped as a duplicate (the PHP library's ``previousJobId``).
    """
    mapper, name = job.integration.mapper, job.integration.name
    items, failures = [], []
    for index, record in enumerate(records):
        try:
            item = mapper.map(record).as_message()
        except RecordError as error:
            key = record_name(mapper, job.integration.spec.source.system, record, batch, index)
            failures.append(Failure(key=key, stage="map",
                                    error=str(error), error_type="RecordError",
                                    problems=_json_safe(error.problems), record=record))
            continue
        item["hash"] = payload_hash([item["data"], item["native"]])
        items.append(item)
    hashes = {item["key"]: item["hash"] for item in items}
    duplicates = set() if job.force else job.books.ledger.waiting_duplicates(name, list(hashes),
                                                                             list(hashes.values()))
    fresh = [item for item in items if item["key"] not in duplicates]
    job.books.mapped(job.run_id, name, {item["key"]: item["hash"] for item in fresh}, sorted(duplicates),
                     failures, job.message_id, batch)
    for failure in failures:
        logger.warning("Record %r of run %r failed to map: %s", failure.key, job.run_id, failure.error)
    if duplicates:
        logger.info("Skipped %d records of run %r already waiting in an earlier message: %s", len(duplicates),
                    job.run_id, sorted(duplicates)[:5])
    if fresh:
        outbox.send_load(fresh, batch)


def load_records(job: Job, items: Sequence[dict], outbox: Outbox, batch: str, alone: bool = False,
                 attempts: int = 1) -> None:
    """Load a batch into the target, one outcome per record; unchanged payloads are skipped.

    With ``alone`` (a record split out of its batch) a retryable error is raised, so the broker's
    retries with backoff take over; in a batch it splits the record out instead.
    """
    spec = job.integration.spec
    digests = {item["key"]: item.get("hash") or payload_hash([item["data"], item["native"]]) for item in items}
    previous = {} if job.force else job.books.ledger.loaded_hashes(spec.name, list(digests))
    unchanged = {item["key"] for item in items if previous.get(item["key"]) == digests[item["key"]]}
    todo = [item for item in items if item["key"] not in unchanged]
    batch_items = [LoadItem(item["key"], item["data"], item["native"]) for item in todo]
    outcomes = job.integration.target.load(spec.entity, batch_items) if todo else []
    if len(outcomes) != len(todo):
        # A short list would drop records silently, and their run would never finish.
        raise FatalError(f"System {spec.target.system!r} returned {len(outcomes)} outcomes for {len(todo)} "
                         f"{spec.entity} records of integration {spec.name!r}: a system's load must return "
                         "one outcome per record, in order.")
    loaded, failures = [], []
    for item, outcome in zip(todo, outcomes, strict=True):
        if outcome is None:
            loaded.append((item["key"], digests[item["key"]]))
        elif is_retryable(outcome, spec.options.retry_on):
            if alone:
                raise outcome
            outbox.send_load_alone(item, outcome, batch)
        else:
            failures.append(load_failure(item, str(outcome), type(outcome).__name__))
    booked_as = alone_batch(batch, items[0]["key"]) if alone else batch
    job.books.loads_done(job.run_id, spec.name, LoadOutcomes(loaded, sorted(unchanged), failures), job.message_id,
                         booked_as, attempts)
    for failure in failures:
        logger.warning("Record %r of run %r failed to load: %s", failure.key, job.run_id, failure.error)


def load_failure(item: dict, error: str, error_type: str) -> Failure:
    return Failure(key=item["key"], stage="load", error=error, error_type=error_type, record=item)


def _json_safe(problems: object) -> object:
    # marshmallow keys list positions by int; JSON (and Redis) want strings.
    if isinstance(problems, dict):
        return {str(key): _json_safe(value) for key, value in problems.items()}
    return problems
