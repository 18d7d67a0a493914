"""An in-process system for tests, demos and benchmarks: records live in a dict per connection.

Fault injection: ``faults[(entity, key)]`` is a list of exceptions that the next loads of that
record raise, one per attempt, so tests can make a record fail once, always, or never.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.systems.base import LoadItem, Page


@dataclass
class MemoryStore:
    """What one memory connection holds."""

    source: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    loaded: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))
    writes: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    faults: dict[tuple[str, str], list[Exception]] = field(default_factory=dict)
    #: Raised, one per extraction, after an extraction's last page: a crash before the cursor moves.
    extract_faults: list[Exception] = field(default_factory=list)
    #: Called with the page number after each page is handed on (tests change the source mid-pull).
    after_page: Callable[[int], None] | None = None
    #: Called with the entity before each load (tests interleave another delivery's load with this one).
    before_load: Callable[[str], None] | None = None
    #: (entity, key) -> time of every load attempt, to check retry timing.
    attempts: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))


_stores: dict[str, MemoryStore] = defaultdict(MemoryStore)
_lock = threading.Lock()


def memory_store(connection: str) -> MemoryStore:
    """The store behind a memory connection (created empty on first use)."""
    with _lock:
        return _stores[connection]


def reset_memory_stores() -> None:
    with _lock:
        _stores.clear()


class MemorySystem:
    """Source records are a list (the cursor is a position in it); loads upsert by key."""

    name = "memory"
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("id",)

    def __init__(self, connection: str) -> None:
        self.connection = connection

    @property
    def store(self) -> MemoryStore:
        # Looked up on each use, so that tests may reset the stores under a long-lived system.
        return memory_store(self.connection)

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> MemorySystem:
        return cls(connection)

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        store = self.store
        records = store.source[entity]
        start, end = (int(since) if since else 0), len(records)  # what is there when the pull starts
        for number, offset in enumerate(range(start, end, page_size)):
            page = records[offset:min(offset + page_size, end)]
            yield Page(records=page, cursor=str(offset + len(page)))
            if store.after_page:
                store.after_page(number)
        if store.extract_faults:
            raise store.extract_faults.pop(0)

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        outcomes: list[Exception | None] = []
        store = self.store
        if store.before_load:
            store.before_load(entity)
        with _lock:
            for item in items:
                store.attempts[(entity, item.key)].append(time.monotonic())
                pending = store.faults.get((entity, item.key))
                if pending:
                    outcomes.append(pending.pop(0))
                    continue
                store.loaded[entity][item.key] = {**item.data, **item.native}
                store.writes[entity][item.key] += 1
                outcomes.append(None)
        return outcomes
