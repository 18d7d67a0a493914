"""Where a worker's CPU goes, per record: broker, status, ledger and run books, mapping, load.

    .venv/bin/python -m scripts.profile_end_to_end [records] [threads]

Runs one full pull of the benchmark customer integration (``bench_customer``: generated records
into a sink) through a Dramatiq worker inside this process, on real Redis, with yappi measuring
CPU time in every thread. Each function's own time is put in one part by the file it is in, and
the parts are printed in microseconds of CPU per record. Needs ``pip install yappi`` (the
``bench`` extra). Redis's own CPU is not included: it runs in its own process.
"""

from __future__ import annotations

import os
import sys
import time

from scripts.bench.common import REDIS_URL, ROOT, RedisPrefix

#: Part -> path fragments of the files whose functions' own time counts towards it (first match wins).
PARTS = [
    ("status (message states)", ("pipeline/books/status.py", "pipeline/books/messages.py")),
    ("ledger, run counts, dead letters", ("pipeline/books/",)),
    ("mapping (ours, jmespath, marshmallow)", ("pipeline/mapping/", "pipeline/entities/", "/jmespath/",
                                               "/marshmallow/", "_strptime", "pycountry")),
    ("load (target system)", ("pipeline/systems/",)),
    ("steps", ("pipeline/flow/steps.py",)),
    ("encoding (orjson)", ("pipeline/flow/encoding.py", "orjson")),
    ("broker and worker (dramatiq)", ("/dramatiq/", "pipeline/flow/")),
    ("redis client (all round trips)", ("/redis/",)),
    ("hashing, json", ("hashlib", "/json/", "json.")),
    ("threads, sockets, waiting", ("threading.py", "socket", "queue.py", "selectors", "select")),
]


def part_of(path: str) -> str:
    for name, fragments in PARTS:
        if any(fragment in path for fragment in fragments):
            return name
    return "other"


def main(count: int = 20_000, threads: int = 2) -> None:
    import yappi

    space = RedisPrefix()
    os.environ.update({"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": space.prefix,
                       "PIPELINE_MAPPINGS_DIR": str(ROOT / "scripts" / "bench" / "mappings"),
                       "PIPELINE_BENCH_SOURCE_RECORDS": str(count), "PIPELINE_LOG_LEVEL": "WARNING"})
    import dramatiq
    from dramatiq import Worker

    from pipeline import actors  # the workers' entry point: app, broker, encoder, actors

    app = actors.app
    worker = Worker(dramatiq.get_broker(), worker_threads=threads, worker_timeout=100)
    yappi.set_clock_type("cpu")
    try:
        yappi.start()
        worker.start()
        started = time.monotonic()
        run_id = app.start_run("bench_customer", "full", tier="normal")
        while True:
            summary = app.runs.get(run_id)
            if summary is not None and summary.finished_at is not None:
                break
            time.sleep(0.05)
        took = time.monotonic() - started
        yappi.stop()
    finally:
        worker.stop()
        space.clean()
    parts: dict[str, float] = {}
    for stat in yappi.get_func_stats():
        part = part_of(stat.module or stat.full_name)
        parts[part] = parts.get(part, 0.0) + stat.tsub
    total = sum(parts.values())
    print(f"\nCPU per record by part: {count:,} records, one worker process x {threads} threads, "
          f"{took:.1f}s wall; {summary.counts}")
    for name, seconds in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"  {name:40} {seconds / count * 1e6:8.1f} us {seconds / total:7.1%}")
    print(f"  {'total':40} {total / count * 1e6:8.1f} us")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
