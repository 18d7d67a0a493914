"""State: what Redis keeps per record and per run, measured after real runs, and a year's budget from it.

    .venv/bin/python -m scripts.bench_state [records] [catalogue] [runs kept]

Two full runs of ``records`` generated customers go through real workers (the second finds every
payload unchanged, as a daily sync mostly does); then every key under the run's prefix is
weighed with ``MEMORY USAGE`` and sorted into families. What grows with the catalogue (the
ledger) is scaled to ``catalogue`` records (default 1,000,000); what each run leaves (its record,
batch ids, message statuses) is multiplied by the runs alive at once: daily runs kept
``PIPELINE_STATUS_TTL`` (7 days) give 7 (default). Runs older than that have expired, so a year
of daily runs costs no more than a week of them; the runs list and the dead letters' index
forget expired entries (``pipeline/books/runs.py``, ``dead_letters.py``), and the ledger forgets
keys with no outcome for ``PIPELINE_LEDGER_RETENTION_S`` (400 days).
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict

from scripts.bench.common import RedisPrefix, Workers, pipeline_env, start_run, wait_for_run

#: Key family patterns, after the prefix; the first that matches names the key.
FAMILIES = [
    ("ledger (per record)", r":ledger:"),
    ("message statuses (per run)", r":msg:"),
    ("run batch ids (per run)", r":run:[^:]+:(booked|decided)$"),
    ("run record + states (per run)", r":run:"),
    ("dead letters", r":dead"),
    ("broker queues", r"-dramatiq"),
    ("other", r""),
]


def weigh(space: RedisPrefix) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for key in space.client.scan_iter(match=f"{space.prefix}*", count=5000):
        rest = key.decode()[len(space.prefix):]
        family = next(name for name, pattern in FAMILIES if re.search(pattern, rest))
        sizes[family] += space.client.memory_usage(key, samples=0) or 0
    return sizes


def main(records: int = 100_000, catalogue: int = 1_000_000, runs_kept: int = 7) -> None:
    space = RedisPrefix()
    env = pipeline_env(space.prefix, PIPELINE_BENCH_SOURCE_RECORDS=str(records))
    workers = Workers(env, processes=2, threads=4)
    try:
        for _ in range(2):
            run = wait_for_run(space.client, space.prefix,
                               start_run(env, "bench_customer", "--mode", "full", "--tier", "normal"))
            assert int(run["loaded"]) + int(run["skipped"]) == records, run
        sizes = weigh(space)
    finally:
        workers.stop()
        space.clean()
    print(f"\nRedis memory after 2 full runs of {records:,} records (MEMORY USAGE, bytes)")
    print(f"  {'family':<32} {'measured':>14} {'per record':>11} {'1 year budget':>15}")
    total = 0.0
    for name, _ in FAMILIES:
        measured = sizes.get(name, 0)
        per_record = measured / records
        if "per record" in name:
            budget = per_record * catalogue
        elif "per run" in name:
            budget = per_record / 2 * catalogue * runs_kept  # measured over 2 runs
        else:
            budget = measured
        total += budget
        print(f"  {name:<32} {measured:>14,} {per_record:>11.1f} {budget / 2**20:>12,.1f} MB")
    print(f"\n  a year of daily runs of a {catalogue:,}-record catalogue ({runs_kept} runs alive at once): "
          f"{total / 2**20:,.0f} MB")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
