"""End to end, extract -> map -> load of generated customers into a sink, two worker processes.

    .venv/bin/python -m scripts.bench_end_to_end [records]

Compares, in one run: ours with status tracking on (batches of 100, per-record outcomes, ledger,
run books), ours with status tracking off (the status overhead), stock Dramatiq with one message per
record at every step, and a plain single-process loop doing the same mapping.
"""

from __future__ import annotations

import subprocess
import sys
import time

from pipeline.mapping import Mapper, load_mapping
from pipeline.systems.synthetic import SyntheticSystem
from scripts.bench.common import ROOT, RedisPrefix, Workers, pipeline_env, start_run, table, wait_for_run

MAPPING = ROOT / "scripts" / "bench" / "mappings" / "bench_customer.yaml"


def ours(count: int, status: str) -> float:
    space = RedisPrefix()
    env = pipeline_env(space.prefix, PIPELINE_BENCH_SOURCE_RECORDS=str(count), PIPELINE_STATUS_TRACKING=status)
    workers = Workers(env)
    try:
        run_id = start_run(env, "bench_customer", "--mode", "full", "--tier", "normal")
        run = wait_for_run(space.client, space.prefix, run_id)
        assert int(run["loaded"]) == count, run
        return count / (float(run["finished_at"]) - float(run["started_at"]))
    finally:
        workers.stop()
        space.clean()


def per_record(count: int) -> float:
    space = RedisPrefix()
    env = pipeline_env(space.prefix, BENCH_PREFIX=space.prefix)
    workers = Workers(env, "scripts.bench.per_record_actors")
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"from scripts.bench.per_record_actors import pr_extract; "
                                              f"pr_extract.send({count})"], env=env, cwd=ROOT, check=True)
        while int(space.client.get(f"{space.prefix}:per-record-done") or 0) < count:
            time.sleep(0.05)
        return count / (time.perf_counter() - started)
    finally:
        workers.stop()
        space.clean()


def plain_loop(count: int) -> float:
    mapper, source = Mapper(load_mapping(MAPPING)), SyntheticSystem(count)
    started = time.perf_counter()
    for page in source.extract("customer", since=None, refs=None, page_size=100):
        source.load("customer", [mapper.map(record) for record in page.records])
    return count / (time.perf_counter() - started)


def main(count: int = 100_000) -> None:
    rows = [("stock Dramatiq, one message per record", per_record(count)),
            ("ours, status tracking on", ours(count, "on")),
            ("ours, status tracking off", ours(count, "off")),
            ("plain single-process loop (no queue, no status)", plain_loop(count))]
    table(f"End to end, {count:,} records, 2 worker processes x 2 threads", rows)
    on, off = rows[1][1], rows[2][1]
    print(f"\n  status overhead: {(off - on) / off:.1%} of throughput (on {on:,.0f} vs off {off:,.0f} records/s)")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
