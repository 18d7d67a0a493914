"""The three steps of every connector, as plain functions: extract -> map -> load.

No Dramatiq here: the actors (``pipeline.actors``) call these with an ``Outbox`` whose callbacks
enqueue the next step, so the same steps run on any broker, or none.

Records travel in batches (a page of the source), but each record keeps its own outcome: one
that fails to map or load is counted and kept as a dead letter of its own, and one whose load
hit a retryable error while its batch mates loaded is split out and retried alone, never
re-running them. When the whole page fails retryably, the target is down: the page is retried
whole, and the connection's circuit breaker (``pipeline.books.breakers``) holds its other pages back.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from pipeline import crash_points
from pipeline.books import Books, Failure, LoadOutcomes, payload_hash
from pipeline.books.batches import alone_batch, record_name
from pipeline.books.round_trip import streamed
from pipeline.errors import FatalError, RecordError, RetryableError, WaitError, is_retryable
from pipeline.flow import previous_keys
from pipeline.flow.integrations import Integration
from pipeline.flow.missing import MissingCheck, load_outcomes
from pipeline.flow.sendable import sendable
from pipeline.redaction import redact
from pipeline.systems.lifecycle import Applied

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
    #: Re-send one record's load on its own, to be retried alone (after the error's Retry-After, if any).
    send_load_alone: Callable[[dict, Exception | None, str], None]
    #: A context in which the books written and the messages sent go out together, where the broker can.
    round_trip: Callable[[], AbstractContextManager] = nullcontext


@dataclass(frozen=True)
class Job:
    """Who runs a step: the integration, its run, the books, and the message doing it."""

    integration: Integration
    books: Books
    run_id: str
    message_id: str | None = None
    #: Load even records whose payload is unchanged, and enqueue even duplicates.
    force: bool = False
    #: Tests only: the crash point at which to die (``pipeline.crash_points``); "" never.
    crash_at: str = ""

    def reached(self, point: str) -> None:
        crash_points.reached(self.crash_at, point)


def extract(job: Job, mode: str, refs: Sequence[str] | None, batch_size: int, outbox: Outbox) -> None:
    """Stream the source page by page, handing each page to the map step; then advance the cursor.

    No per-record work here beyond what ``refs`` needs: extraction stays as fast as the source.
    """
    job.integration.require_configured()
    spec, books, mapper = job.integration.spec, job.books, job.integration.mapper
    since = books.runs.get_cursor(spec.name) if mode == "changed" else None
    wanted = set(refs or ())
    cursor = since
    missing = MissingCheck(job, mode)
    pages = job.integration.source.extract(spec.source.entity, since=since, refs=refs or None,
                                           page_size=batch_size)
    # The pages' round trips go out back to back, each confirmed while the next page is built (the
    # run's end below is written after the last is confirmed).
    with streamed():
        for number, page in enumerate(pages):
            records = page.records
            if wanted:
                records = [record for record in records if mapper.source_key(record) in wanted]
            missing.saw(records)
            if records:
                records = sendable(records, f"page {number + 1} of {spec.source.system}", mapper.source_key)
                # Named after the extract message, stable when it is delivered again after a crash.
                batch = f"{job.message_id or job.run_id}:{number}"
                # Counted before sending, so the run can never look complete while a page is in flight.
                # The count and the message go out in one round trip, in this order, where the broker can
                # (on Redis, a crash at after_count then leaves neither written).
                with outbox.round_trip():
                    books.extracted(job.run_id, len(records), batch)
                    job.reached("extract.after_count")
                    # Sent again when this message is delivered again: the map step books a batch once.
                    outbox.send_map(records, batch)
                job.reached("extract.after_send")
            cursor = page.cursor or cursor
    missing.finish(outbox.send_load, batch_size)
    summary = books.extraction_finished(job.run_id, spec.name, cursor if mode in ("changed", "full") else None)
    job.reached("extract.after_finish")
    if mode == "full":
        # Once per full run: keys no run has had an outcome for in the retention period are forgotten.
        forgotten = books.ledger.prune(spec.name)
        if forgotten:
            logger.info("Forgot %d ledger keys of %r with no outcome for %d days.", forgotten, spec.name,
                        books.ledger.retention_s // 86_400)
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
    # One round trip: whether the page was booked, its duplicates (decided by the first booking, which
    # a later delivery follows), the others' waiting marks (before the load that clears them is sent),
    # its failures and counts.
    mapped = job.books.pages.book_mapped(job.run_id, name, {item["key"]: item["hash"] for item in items}, failures,
                                         job.message_id, batch, force=job.force)
    duplicates = mapped.duplicates
    fresh = [item for item in items if item["key"] not in duplicates]
    job.reached("map.after_books")
    for failure in failures:
        logger.warning("Record %r of run %r failed to map: %s", failure.key, job.run_id, failure.error)
    if duplicates:
        logger.info("Skipped %d records of run %r already waiting in an earlier message: %s", len(duplicates),
                    job.run_id, sorted(duplicates)[:5])
    if fresh:
        with outbox.round_trip():  # the load message and its status, in one round trip
            outbox.send_load(fresh, batch)
    job.reached("map.after_send")


def load_records(job: Job, items: Sequence[dict], outbox: Outbox, batch: str, alone: bool = False,
                 attempts: int = 1) -> None:
    """Load a batch into the target, one outcome per record; unchanged payloads are skipped.

    A page whose every record failed retryably (the target is down, or the one record of a page
    split out failed again) is retried whole with backoff; a record that failed retryably while
    its page mates went through is split out, to be retried alone.

    Order of effects: write to the target, book the outcomes, then send the records split out. A
    delivery after the books were written (the worker died before acknowledging) writes nothing
    again and only sends the split records again: their own messages are booked once.
    """
    spec = job.integration.spec
    booked_as = alone_batch(batch, items[0]["key"]) if alone else batch
    connection = f"{spec.target.system}:{spec.target.connection}"
    digests = {item["key"]: item.get("hash") or payload_hash([item["data"], item["native"]]) for item in items}
    # The booking, the breaker and the loaded hashes, in one round trip.
    reads = job.books.pages.load_reads(job.run_id, spec.name, connection, booked_as, list(digests), force=job.force)
    booking, breaker, previous = reads.booking, reads.breaker, reads.previous
    if booking.booked:
        by_key = {item["key"]: item for item in items}
        # A map step delivered again marked these waiting again; their outcome is in the books.
        job.books.ledger.clear_waiting(spec.name, [key for key in by_key if key not in booking.set_apart])
        for key in booking.set_apart:
            outbox.send_load_alone(by_key[key], None, batch)
        logger.info("Load %r of run %r was already booked; sent again only its %d records split out.", booked_as,
                    job.run_id, len(booking.set_apart))
        return
    if breaker.open_s:
        # Spread over half as long again, so that the pages waiting do not all probe at once.
        # A wait, not an attempt: it uses up none of the page's retries (pipeline.flow.recovery.DurableRetries).
        raise WaitError(f"Target {connection} is down ({breaker.failures} pages failed in a row, the last "
                        f"with {breaker.last_error}); its circuit breaker is open for {breaker.open_s:.1f} s "
                        "more, the page waits.", system=connection,
                        retry_after=breaker.open_s * (1 + random.random() / 2))
    unchanged = {item["key"] for item in items if previous.get(item["key"]) == digests[item["key"]]}
    todo = [item for item in items if item["key"] not in unchanged]
    # A record split out of its page counts for the run here, by its own message. If a second
    # delivery of its page (redelivered after a crash, running at the same time) already loaded it in
    # this run, it was loaded, not unchanged: counting it skipped would make the run's counts lie.
    loaded_meanwhile = job.books.ledger.loaded_in_run(spec.name, sorted(unchanged), job.run_id) if alone else set()
    unchanged -= loaded_meanwhile
    tracking = previous_keys.tracked(job.integration.target, spec.entity)
    if tracking and todo:
        todo = previous_keys.with_previous_keys(job.books.ledger, spec.name, todo)
    outcomes = load_outcomes(job.integration.target, spec.entity, todo) if todo else []
    if len(outcomes) != len(todo):
        # A short list would drop records silently, and their run would never finish.
        raise FatalError(f"System {spec.target.system!r} returned {len(outcomes)} outcomes for {len(todo)} "
                         f"{spec.entity} records of integration {spec.name!r}: a system's load must return "
                         "one outcome per record, in order.")
    _page_outcome(job, connection, outcomes, breaker.failures)
    job.reached("load.after_write")
    loaded, failures, split, applied = [(key, digests[key]) for key in sorted(loaded_meanwhile)], [], [], []
    for item, outcome in zip(todo, outcomes, strict=True):
        if outcome is None:
            loaded.append((item["key"], digests[item["key"]]))
        elif isinstance(outcome, Applied):
            applied.append((item["key"], digests[item["key"]], outcome.event, outcome.detail))
        elif is_retryable(outcome, spec.options.retry_on):
            split.append((item, outcome))
        else:
            failures.append(load_failure(item, str(outcome), type(outcome).__name__))
    sent = (previous_keys.sent_pairs(todo, {key for key, _ in loaded} | {key for key, *_ in applied})
            if tracking else [])
    job.books.loads_done(job.run_id, spec.name,
                         LoadOutcomes(loaded, sorted(unchanged), failures, [item["key"] for item, _ in split],
                                      applied, sent, reads.dead),
                         job.message_id, booked_as, attempts)
    job.reached("load.after_books")
    if split:
        # Two deliveries of a page can load at once (one redelivered after a crash): only the first to book
        # it decides which records go on alone. The other's own split records were loaded by the first, or
        # are sent by it; sent here too, they would be counted twice.
        decided = set(job.books.runs.booking(job.run_id, booked_as).set_apart)
        split = [(item, outcome) for item, outcome in split if item["key"] in decided]
    for item, outcome in split:
        outbox.send_load_alone(item, outcome, batch)
        job.reached("load.after_split")
    for failure in failures:
        logger.warning("Record %r of run %r failed to load: %s", failure.key, job.run_id, failure.error)


def _page_outcome(job: Job, connection: str, outcomes: Sequence[Exception | None], failed_pages: int) -> None:
    """Raise when every record of the page failed retryably: that is the target failing, not records.

    The page is then retried whole, with backoff (and the connection's breaker counts it); records
    are split out to be retried alone only when their page mates went through.
    """
    retry_on = job.integration.spec.options.retry_on
    failed = [outcome for outcome in outcomes if outcome is not None and is_retryable(outcome, retry_on)]
    if len(outcomes) == 1 and failed:
        raise failed[0]  # a record alone: its own error, retried with backoff; one record is no outage
    if outcomes and len(failed) == len(outcomes):
        hint = max((getattr(error, "retry_after", None) or 0 for error in failed), default=0) or None
        first = failed[0]
        # Kept in Redis and shown by every waiting page: masked like any error we keep.
        open_s = job.books.breakers.page_failed(connection, redact(f"{type(first).__name__}: {first}",
                                                                   job.books.secrets), hint)
        raise RetryableError(f"All {len(outcomes)} records of the page failed to load into {connection}, the first "
                             f"with {type(first).__name__}: {first}", system=connection,
                             status=getattr(first, "status", None), retry_after=hint or open_s or None) from first
    if failed_pages and len(failed) < len(outcomes):
        job.books.breakers.succeeded(connection)


def load_failure(item: dict, error: str, error_type: str) -> Failure:
    return Failure(key=item["key"], stage="load", error=error, error_type=error_type, record=item)


def _json_safe(problems: object) -> object:
    # marshmallow keys list positions by int; JSON (and Redis) want strings.
    if isinstance(problems, dict):
        return {str(key): _json_safe(value) for key, value in problems.items()}
    return problems
