"""A page's books at the map and load steps: one round trip each, and the first booking's decision kept."""

from __future__ import annotations

import redis

from pipeline.books import Books, LoadOutcomes
from pipeline.books.dead_letters import Failure
from pipeline.settings import Settings
from tests.conftest import REDIS_URL


class CountingConnection(redis.Connection):
    """A real connection that counts the times it writes to the socket: the round trips."""

    sent = 0

    def send_packed_command(self, command, check_health=True):
        CountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


def counted_books(namespace: str, **settings: str) -> Books:
    client = redis.Redis(connection_pool=redis.ConnectionPool.from_url(REDIS_URL,
                                                                       connection_class=CountingConnection))
    books = Books(client, Settings.from_env({"PIPELINE_NAMESPACE": namespace, **settings}))
    books.runs.start("run-1", "demo", "full")
    # Scripts are loaded once per process and server: not a page's cost.
    books.pages.book_mapped("run-1", "warm-up", {}, [], None, "warm-up")
    return books


def round_trips(work) -> tuple[object, int]:
    before = CountingConnection.sent
    result = work()
    return result, CountingConnection.sent - before


def test_a_mapped_page_is_one_round_trip_and_a_second_delivery_follows_the_first_decision(namespace):
    books = counted_books(namespace)
    earlier = books.pages.book_mapped("run-1", "demo", {"a": "h1", "b": "h2"}, [], "m0", "page-0")
    assert earlier.duplicates == frozenset()
    bad = Failure(key="c", stage="map", error="Not an email.", error_type="RecordError")

    # "a" waits with the same payload from page 0: a duplicate; "b" changed; "c" failed to map.
    mapped, trips = round_trips(lambda: books.pages.book_mapped("run-1", "demo", {"a": "h1", "b": "h3"}, [bad],
                                                                "m1", "page-1"))

    assert trips == 1
    assert mapped.duplicates == {"a"}
    assert (mapped.summary.counts["skipped"], mapped.summary.counts["failed"]) == (1, 1)
    assert books.ledger.entry("demo", "b")["waiting"]["hash"] == "h3"
    assert books.ledger.entry("demo", "a")["last"]["error"] == "duplicate: already waiting"
    assert books.ledger.entry("demo", "c")["last"]["status"] == "failed"
    assert books.dead_letters.get("demo", "c") is not None
    # Page 0's load clears "a": a second delivery of page 1 still follows the first decision, counts nothing.
    books.ledger.clear_waiting("demo", ["a"])
    again = books.pages.book_mapped("run-1", "demo", {"a": "h1", "b": "h3"}, [bad], "m1", "page-1")
    assert again.duplicates == {"a"}
    assert (again.summary.counts["skipped"], again.summary.counts["failed"]) == (1, 1)


def test_forced_or_stale_waiting_marks_make_no_duplicates(namespace):
    books = counted_books(namespace, PIPELINE_WAITING_STALE_S="60")
    books.pages.book_mapped("run-1", "demo", {"a": "h1", "b": "h2"}, [], "m0", "page-0")
    forced = books.pages.book_mapped("run-1", "demo", {"a": "h1"}, [], "m1", "page-1", force=True)
    assert forced.duplicates == frozenset()
    books.ledger.clock = lambda: 10 ** 10  # long after the marks were written
    assert books.pages.book_mapped("run-1", "demo", {"b": "h2"}, [], "m2", "page-2").duplicates == frozenset()


def test_a_loads_booking_breaker_and_loaded_hashes_are_one_round_trip(namespace):
    books = counted_books(namespace)
    books.loads_done("run-1", "demo", LoadOutcomes(loaded=[("a", "h1")], split=["b"]), "m1", "load-1")

    reads, trips = round_trips(lambda: books.pages.load_reads("run-1", "demo", "sink:main", "load-1", ["a", "b"]))

    assert trips == 1
    assert (reads.booking.booked, reads.booking.set_apart) == (True, ("b",))
    assert reads.previous == {"a": "h1"} and reads.breaker.open_s == 0
    fresh = books.pages.load_reads("run-1", "demo", "sink:main", "load-2", ["a"], force=True)
    assert (fresh.booking.booked, fresh.previous) == (False, {})


def test_a_loads_books_are_one_round_trip(namespace):
    books = counted_books(namespace)
    books.loads_done("run-1", "demo", LoadOutcomes(loaded=[("z", "h0")]), "m0", "load-0")  # scripts loaded

    summary, trips = round_trips(lambda: books.loads_done("run-1", "demo", LoadOutcomes(loaded=[("a", "h1")]),
                                                          "m1", "load-1"))

    assert trips == 1
    assert summary.counts["loaded"] == 2


def test_a_load_resolves_the_dead_letters_its_reads_found(namespace):
    books = counted_books(namespace)
    failure = Failure(key="b", stage="load", error="HTTP 400: bad telephone", error_type="RecordError")
    books.loads_done("run-1", "demo", LoadOutcomes(failures=[failure]), "m1", "load-1")

    reads = books.pages.load_reads("run-1", "demo", "sink:main", "load-2", ["a", "b"])
    assert reads.dead == frozenset({"b"})  # read in the same round trip as the rest

    books.loads_done("run-1", "demo", LoadOutcomes(loaded=[("a", "h1"), ("b", "h2")], dead=reads.dead), "m2",
                     "load-2")
    assert books.dead_letters.get("demo", "b") is None
    assert books.pages.load_reads("run-1", "demo", "sink:main", "load-3", ["a", "b"]).dead == frozenset()
