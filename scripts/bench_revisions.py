"""End to end, this tree against an earlier revision: did a change make the workers faster, or the machine?

    .venv/bin/python -m scripts.bench_revisions REVISION [records] [pairs]

On shared cores the same run swings by 2x from one hour to the next, so a figure measured before a
change and one measured after it say little about the change. This runs the benchmark pull of
``bench_end_to_end`` (generated customers into a sink, 2 worker processes x 2 threads, status on)
with the workers of a checkout of ``REVISION`` (a temporary git worktree) and with this tree's,
in interleaved pairs (the order alternating), and reports the paired ratios of throughput and of
the workers' and Redis's CPU per record. Both use this tree's virtualenv and benchmark mapping: a
revision whose dependencies differ runs with this tree's.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.bench.common import ROOT
from scripts.bench_end_to_end import ours


def checkout(revision: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bench-revision-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(folder), revision], cwd=ROOT,
                   check=True)
    return folder


def main(revision: str, count: int = 20_000, pairs: int = 6) -> None:
    tree = checkout(revision)
    measured: dict[str, list[tuple[float, float, float]]] = {revision: [], "this tree": []}
    try:
        for pair in range(pairs):
            order = [(revision, tree), ("this tree", ROOT)]
            for name, root in order if pair % 2 == 0 else reversed(order):
                measured[name].append(ours(count, "on", root))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
        shutil.rmtree(tree.parent, ignore_errors=True)
    print(f"\nEnd to end, {count:,} records, 2 worker processes x 2 threads, status on, "
          f"{pairs} interleaved pairs")
    print(f"  {'':12} {'records/s':>10} {'workers us/record':>18} {'Redis us/record':>16}   runs (records/s)")
    for name, runs in measured.items():
        rate, workers, served = (statistics.median(run[part] for run in runs) for part in range(3))
        print(f"  {name:12} {rate:10,.0f} {workers:18.1f} {served:16.1f}   "
              f"{', '.join(f'{run[0]:,.0f}' for run in runs)}")
    for part, label in ((0, "records/s"), (1, "workers' CPU a record"), (2, "Redis's CPU a record")):
        ratios = [new[part] / old[part]
                  for new, old in zip(measured["this tree"], measured[revision], strict=True)]
        print(f"  this tree / {revision}, {label}: {statistics.median(ratios):.3f} (median of the pairs; "
              f"{min(ratios):.3f}-{max(ratios):.3f})")


if __name__ == "__main__":
    main(sys.argv[1], *(int(arg) for arg in sys.argv[2:]))
