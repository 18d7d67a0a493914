"""A page's books at the map and load steps, in as few round trips as the steps' order of effects allows.

The map step used to ask whether its page was booked, read the waiting marks for duplicates, write
its books (a transaction), and ask again which duplicates the first booking decided: four round
trips, five with redis-py's ``SCRIPT EXISTS`` before the counting script. ``book_mapped`` is one:
the failures' books and ``map_books.lua``, which decides the duplicates atomically (so two
deliveries of one page still follow one decision), marks the others waiting and counts the page.
The load message it sends then goes out with its status in one more (``Outbox.round_trip``).

The load step's reads before writing (booking, circuit breaker, dead letters, loaded hashes) are one
pipelined round trip (``load_reads``), and its books one transaction without ``SCRIPT EXISTS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.books.batches import mapped_as
from pipeline.books.breakers import BreakerState
from pipeline.books.dead_letters import Failure
from pipeline.books.round_trip import execute, queue_script
from pipeline.books.runs import Booking, RunSummary, run_script
from pipeline.redaction import redact

_MAP_BOOKS = run_script("map_books.lua")


@dataclass(frozen=True)
class Mapped:
    """What booking a mapped page decided: the keys set apart as duplicates, and the run after it."""

    duplicates: frozenset[str]
    summary: RunSummary


@dataclass(frozen=True)
class LoadReads:
    """What a load step reads before writing to the target."""

    booking: Booking
    breaker: BreakerState
    #: key -> hash of its last loaded payload (empty when forced).
    previous: dict[str, str]
    #: The keys that may have a dead letter: only theirs are resolved when they load.
    dead: frozenset[str] = frozenset()


class PageBooks:
    """The map and load steps' books of one page (``books`` is the app's ``pipeline.books.Books``)."""

    def __init__(self, books) -> None:
        self.books = books
        self._map_books = books.redis.register_script(_MAP_BOOKS)

    def book_mapped(self, run_id: str, integration: str, hashes: dict[str, str], failures: Sequence[Failure],
                    message_id: str | None, batch: str, *, force: bool = False) -> Mapped:
        """Book a mapped page (``hashes``: key -> payload hash of each record mapped) in one round trip."""
        books, ledger = self.books, self.books.ledger
        failures = [replace(f, error=redact(f.error, books.secrets)) for f in failures]
        run_key = books.runs.key(run_id)
        entries = ledger.waiting_entries(run_id, hashes)
        args: list = [mapped_as(batch), "1" if force else "0", ledger.clock(), ledger.waiting_stale_s,
                      ledger.note_entry("skipped", "duplicate: already waiting", run_id, message_id), len(failures),
                      books.runs.unfinished_ttl_s]
        for key, digest in hashes.items():
            args += [key, digest, entries[key]]
        with books.redis.pipeline() as pipe:
            # The failures are written by every delivery (as before), counted once by the script.
            ledger.record(pipe, integration, [(f.key, "failed", None, f.error) for f in failures], run_id,
                          message_id)
            books.dead_letters.add(pipe, integration, failures, run_id, message_id)
            books.runs.keep_failures(pipe, run_id, failures)
            queue_script(pipe, self._map_books, [run_key, f"{run_key}:booked", f"{run_key}:decided",
                                                 ledger.key(integration, "waiting"), ledger.key(integration, "last")],
                         args)
            duplicates, raw = execute(pipe)[-1]
        return Mapped(frozenset(key.decode() for key in duplicates), books.runs.settle(run_id, raw))

    def load_reads(self, run_id: str, integration: str, connection: str, batch: str, keys: Sequence[str], *,
                   force: bool = False) -> LoadReads:
        """The page's booking, its connection's breaker and its records' loaded hashes, in one round trip."""
        books = self.books
        with books.redis.pipeline(transaction=False) as pipe:
            books.runs.read_booking(pipe, run_id, batch)
            pipe.hgetall(books.breakers.key(connection))
            if keys:
                books.dead_letters.queue_having(pipe, integration, keys)
                if not force:
                    pipe.hmget(books.ledger.key(integration, "loaded"), list(keys))
            replies = pipe.execute()
        dead = books.dead_letters.having(keys, replies[3]) if keys else frozenset()
        previous = books.ledger.hashes_of(keys, replies[4]) if keys and not force else {}
        return LoadReads(books.runs.booking_of(replies[0], replies[1]), books.breakers.state_of(replies[2]), previous,
                         dead)
