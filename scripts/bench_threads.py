"""End to end with 2 and 8 worker threads a process (8: Dramatiq's default): their cost in a CPU-bound pull.

    .venv/bin/python -m scripts.bench_threads [records] [pairs]

The benchmark pull of ``bench_end_to_end`` (generated customers into a sink: the mapping and the
books are the work, no vendor to wait for), 2 worker processes, status on, in interleaved pairs
(the order alternating). A process's threads share one GIL: beyond what the Redis round trips let
overlap, more of them only take turns. Reports the paired ratios of throughput and of the workers'
CPU per record.
"""

from __future__ import annotations

import statistics
import sys

from scripts.bench_end_to_end import ours

THREADS = (2, 8)


def main(count: int = 40_000, pairs: int = 6) -> None:
    measured: dict[int, list[tuple[float, float, float]]] = {threads: [] for threads in THREADS}
    for pair in range(pairs):
        for threads in THREADS if pair % 2 == 0 else reversed(THREADS):
            measured[threads].append(ours(count, "on", threads=threads))
    print(f"\nEnd to end, {count:,} records, 2 worker processes, status on, {pairs} interleaved pairs")
    print(f"  {'threads':>8} {'records/s':>10} {'workers us/record':>18} {'Redis us/record':>16}   "
          "runs (records/s)")
    for threads, runs in measured.items():
        rate, workers, served = (statistics.median(run[part] for run in runs) for part in range(3))
        print(f"  {threads:8} {rate:10,.0f} {workers:18.1f} {served:16.1f}   "
              f"{', '.join(f'{run[0]:,.0f}' for run in runs)}")
    few, many = THREADS
    for part, label in ((0, "records/s"), (1, "workers' CPU a record")):
        ratios = [b[part] / a[part] for a, b in zip(measured[few], measured[many], strict=True)]
        print(f"  {many} threads / {few} threads, {label}: {statistics.median(ratios):.3f} "
              f"(median of the pairs; {min(ratios):.3f}-{max(ratios):.3f})")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
