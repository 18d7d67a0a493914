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
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.bench.common import ROOT
from scripts.bench_end_to_end import ours, paired


def checkout(revision: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bench-revision-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(folder), revision], cwd=ROOT,
                   check=True)
    return folder


def main(revision: str, count: int = 20_000, pairs: int = 6) -> None:
    tree = checkout(revision)
    try:
        paired(f"End to end, {count:,} records, 2 worker processes x 2 threads, status on",
               {revision: lambda: ours(count, "on", tree), "this tree": lambda: ours(count, "on")}, pairs)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
        shutil.rmtree(tree.parent, ignore_errors=True)


if __name__ == "__main__":
    if not 2 <= len(sys.argv) <= 4:
        raise SystemExit(f"usage: {__doc__.splitlines()[2].strip()}")
    main(sys.argv[1], *(int(arg) for arg in sys.argv[2:]))
