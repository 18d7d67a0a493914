"""The books the steps keep: run counts, the entity ledger and dead letters, a batch in one round trip.

Steps hand a whole batch's outcomes to ``Books``; every write for that batch (counters, failed
records, ledger entries, dead letters and their resolution) goes to Redis in one pipelined
transaction, which also reads the run's totals back to know whether the batch finished the run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import redis

from pipeline.books.batches import extracted_as
from pipeline.books.breakers import Breakers
from pipeline.books.dead_letters import DeadLetters, Failure
from pipeline.books.inflight import InFlight
from pipeline.books.ledger import Ledger, payload_hash
from pipeline.books.messages import MessageStatuses
from pipeline.books.page_books import PageBooks
from pipeline.books.round_trip import execute, joined, pending
from pipeline.books.runs import RunStore, RunSummary
from pipeline.redaction import redact
from pipeline.settings import Settings


@dataclass(frozen=True)
class LoadOutcomes:
    """What became of a batch's records at the target."""

    #: (key, payload hash) of each record loaded.
    loaded: Sequence[tuple[str, str]] = ()
    #: Keys skipped because the same payload was loaded before.
    unchanged: Sequence[str] = ()
    failures: Sequence[Failure] = ()
    #: Keys split out to be retried alone (a retryable error while their batch mates went on).
    split: Sequence[str] = ()
    #: (key, payload hash, event, detail) of each record whose load applied a lifecycle event.
    applied: Sequence[tuple[str, str, str, str]] = ()
    #: (source id, key) of the records loaded or applied, for targets that track previous keys.
    sent: Sequence[tuple[str, str]] = ()
    #: The keys read to have a dead letter before the load (``PageBooks.load_reads``): only theirs are
    #: resolved, instead of deleting three keys for every record loaded. None: not read, resolve all.
    dead: frozenset[str] | None = None


class Books:
    def __init__(self, client: redis.Redis, settings: Settings, *, secrets: Iterable[str] = (),
                 clock=time.time) -> None:
        ns = settings.namespace
        self.redis = client
        #: Masked in every error written: vendors have been known to echo credentials back.
        self.secrets = set(secrets)
        #: Which messages of each run are in flight: a run is finished only when none is.
        self.inflight = InFlight(client, namespace=ns, ttl_s=settings.status_ttl_s,
                                 heartbeat_timeout_ms=settings.heartbeat_timeout_ms, clock=clock)
        self.runs = RunStore(client, namespace=ns, ttl_s=settings.status_ttl_s, clock=clock,
                             inflight=self.inflight)
        self.ledger = Ledger(client, namespace=ns, waiting_stale_s=settings.waiting_stale_s,
                             retention_s=settings.ledger_retention_s, clock=clock)
        self.dead_letters = DeadLetters(client, namespace=ns, ttl_s=settings.dead_letter_ttl_s,
                                        history=settings.dead_letter_history, clock=clock)
        self.messages = MessageStatuses(client, namespace=ns, ttl_s=settings.status_ttl_s, clock=clock,
                                        inflight=self.inflight)
        self.breakers = Breakers(client, namespace=ns, base_s=settings.retry_min_backoff_ms / 1000,
                                 max_s=settings.retry_max_backoff_ms / 1000, clock=clock)
        #: The map and load steps' books of a page, in fewer round trips.
        self.pages = PageBooks(self)

    def extracted(self, run_id: str, count: int, batch: str) -> None:
        """A page was handed on: count it (once, however often the page is read again)."""
        pipe = pending(self.redis)
        if pipe is not None:  # sent with the page's message, in one round trip (round_trip.py)
            self.runs.count(pipe, run_id, extracted=count, batch_id=extracted_as(batch))
            return
        # One script call, atomic by itself: no MULTI/EXEC around it.
        with self.redis.pipeline(transaction=False) as pipe:
            self.runs.count(pipe, run_id, extracted=count, batch_id=extracted_as(batch))
            pipe.execute()

    def found_missing(self, run_id: str, count: int, batch: str) -> None:
        """A full run found ``count`` records missing from the source (counted once per ``batch``)."""
        with self.redis.pipeline(transaction=False) as pipe:
            self.runs.count(pipe, run_id, missing=count, batch_id=batch)
            pipe.execute()

    def extraction_finished(self, run_id: str, integration: str, cursor: str | None) -> RunSummary:
        with self.redis.pipeline() as pipe:
            self.runs.finish_extraction(pipe, run_id, integration, cursor)
            return self.runs.settle(run_id, pipe.execute()[-1])

    def loads_done(self, run_id: str, integration: str, outcomes: LoadOutcomes, message_id: str | None,
                   batch: str, attempts: int = 1) -> RunSummary:
        """Everything a batch's outcomes change, in one round trip; its counts only once per ``batch``.

        Records split out to be retried alone are not counted here but by their own message; their
        keys are kept with the booking, so a delivery of the batch after a crash sends them again.
        """
        outcomes = replace(outcomes, failures=[replace(f, error=redact(f.error, self.secrets))
                                               for f in outcomes.failures])
        ledger_rows = [(key, "done", digest, None) for key, digest in outcomes.loaded]
        ledger_rows += [(key, "skipped", None, "unchanged") for key in outcomes.unchanged]
        ledger_rows += [(f.key, "failed", None, f.error) for f in outcomes.failures]
        ledger_rows += [(key, event, digest, detail or None) for key, digest, event, detail in outcomes.applied]
        events = Counter(event for _, _, event, _ in outcomes.applied)
        # Joined: the counting script goes as an EVALSHA in the transaction, without a SCRIPT EXISTS first.
        with self.redis.pipeline() as pipe, joined(pipe):
            self.ledger.record(pipe, integration, ledger_rows, run_id, message_id)
            self.ledger.remember_sent(pipe, integration, outcomes.sent)
            self.dead_letters.add(pipe, integration, outcomes.failures, run_id, message_id, attempts)
            resolved = [key for key, _ in outcomes.loaded] + [key for key, *_ in outcomes.applied]
            if outcomes.dead is not None:
                resolved = [key for key in resolved if key in outcomes.dead]
            self.dead_letters.resolve(pipe, integration, resolved)
            self.runs.count(pipe, run_id, loaded=len(outcomes.loaded), skipped=len(outcomes.unchanged),
                            failures=outcomes.failures, events=events, batch_id=batch,
                            set_apart=outcomes.split)
            replies = execute(pipe)
        return self.runs.settle(run_id, replies[-1])


__all__ = ["Books", "Failure", "LoadOutcomes", "payload_hash"]
