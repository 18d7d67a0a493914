"""Worker entry point for ``scripts.step_cpu``: ``pipeline.actors`` with each part's thread CPU time summed.

Wraps a few functions of each step (called per page, or per record for the mapper) to add the
calling thread's CPU time (``time.thread_time``: waits for Redis, sockets or the GIL not included)
to a per-process total, written to ``STEP_CPU_DIR`` twice a second. Inclusive: a part's time
includes the parts it calls (``map_records`` includes ``Mapper.map``).
"""

from __future__ import annotations

import collections
import inspect
import os
import threading
import time
from pathlib import Path

import dramatiq.message
import dramatiq.worker
from dramatiq.brokers.redis import _RedisConsumer

from pipeline import actors  # noqa: F401  (the workers' app, broker and actors)
from pipeline.books import Books, page_books, status
from pipeline.flow import broker, steps, workers
from pipeline.mapping import apply

seconds: collections.Counter = collections.Counter()
calls: collections.Counter = collections.Counter()


def timed(owner, name: str, part: str) -> None:
    """Replace ``owner.name`` (a function, method or classmethod) by one that adds its thread CPU time to ``part``."""
    is_classmethod = isinstance(inspect.getattr_static(owner, name), classmethod)
    original = getattr(owner, name).__func__ if is_classmethod else getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[part] += time.thread_time() - started
            calls[part] += 1

    setattr(owner, name, classmethod(wrapper) if is_classmethod else wrapper)


#: (owner, function, part), in the order printed; indented parts are within the one above.
TIMED = [
    (dramatiq.worker.WorkerThread, "process_message", "worker thread: a message, middleware included"),
    (workers, "extract", "  extract step (source read, sendable check, enqueue)"),
    (workers, "map_records", "  map step"),
    (apply.Mapper, "map", "    mapping (Mapper.map)"),
    (steps, "payload_hash", "    payload hash"),
    (page_books.PageBooks, "book_mapped", "    map books (ledger marks, counts)"),
    (workers, "load_records", "  load step"),
    (page_books.PageBooks, "load_reads", "    load reads (booking, breaker, dead letters, hashes)"),
    (steps, "load_outcomes", "    target load"),
    (Books, "loads_done", "    load books (ledger, counts, dead letters)"),
    (status.StatusTracking, "before_process_message", "  status: running"),
    (status.StatusTracking, "after_process_message", "  status: done"),
    (broker.WakingConsumer, "__next__", "consumer thread: fetch, decode, idle wait"),
    (dramatiq.message.Message, "decode", "  message decode (orjson)"),
    (broker.WakingConsumer, "_idle", "  idle wait (wake-up list, or room in the prefetch)"),
    (_RedisConsumer, "ack", "consumer thread: ack"),
]
for owner, name, part in TIMED:
    timed(owner, name, part)


def _write_totals() -> None:
    path = Path(os.environ["STEP_CPU_DIR"]) / f"{os.getpid()}.tsv"
    while True:
        time.sleep(0.5)
        path.write_text("".join(f"{part}\t{seconds[part]}\t{calls[part]}\n" for _, _, part in TIMED))


threading.Thread(target=_write_totals, daemon=True, name="step-cpu").start()
