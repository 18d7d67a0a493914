"""End to end with two sets of settings, side by side: what a setting buys or costs on this machine.

    .venv/bin/python -m scripts.bench_settings SETTINGS SETTINGS [records] [pairs]

Each SETTINGS is ``NAME=VALUE[,NAME=VALUE...]`` of the workers' ``PIPELINE_*`` environment variables
(the README's settings table), or ``-`` for the defaults. For example, records per message::

    .venv/bin/python -m scripts.bench_settings PIPELINE_BATCH_SIZE=100 PIPELINE_BATCH_SIZE=500 40000 6

Runs the benchmark pull of ``bench_end_to_end`` (generated customers into a sink, 2 worker processes
x 2 threads, status on unless the settings say otherwise) under each, in interleaved pairs (the order
alternating), and reports the paired ratios of throughput and of the workers' and Redis's CPU per
record.
"""

from __future__ import annotations

import sys

from scripts.bench.common import parse_settings
from scripts.bench_end_to_end import ours, paired


def main(first: str, second: str, count: int = 40_000, pairs: int = 6) -> None:
    if first == second:
        raise SystemExit("The two sets of settings are the same: nothing to compare.")
    runs = {"defaults" if label == "-" else label:
            lambda settings=parse_settings(label): ours(count, "on", settings=settings)
            for label in (first, second)}
    paired(f"End to end, {count:,} records, 2 worker processes x 2 threads", runs, pairs)


if __name__ == "__main__":
    if not 3 <= len(sys.argv) <= 5:
        raise SystemExit(f"usage: {__doc__.splitlines()[2].strip()}")
    main(sys.argv[1], sys.argv[2], *(int(arg) for arg in sys.argv[3:]))
