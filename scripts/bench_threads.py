"""End to end with two worker thread counts a process (2 and 8 by default): their cost in a CPU-bound pull.

    .venv/bin/python -m scripts.bench_threads [records] [pairs] [threads] [threads]

Any two thread counts can be compared (the last two arguments; 8 is Dramatiq's default).

The benchmark pull of ``bench_end_to_end`` (generated customers into a sink: the mapping and the
books are the work, no vendor to wait for), 2 worker processes, status on, in interleaved pairs
(the order alternating). A process's threads share one GIL: beyond what the Redis round trips let
overlap, more of them only take turns. Reports the paired ratios of throughput and of the workers'
CPU per record (and Redis's).
"""

from __future__ import annotations

import sys

from scripts.bench_end_to_end import ours, paired


def main(count: int = 40_000, pairs: int = 6, first: int = 2, second: int = 8) -> None:
    if first == second or min(first, second) < 1:
        raise SystemExit("Give two different thread counts of at least 1.")
    runs = {f"{threads} thread{'s' if threads > 1 else ''}":
            lambda threads=threads: ours(count, "on", threads=threads) for threads in (first, second)}
    paired(f"End to end, {count:,} records, 2 worker processes, status on", runs, pairs)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
