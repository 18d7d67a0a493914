"""What the benchmarks share: medians of repeated runs, a table, Redis on a key prefix of their own."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def median_rate(work: Callable[[], int], repeats: int = 5) -> float:
    """Records per second of ``work`` (which returns how many it did), median of ``repeats`` runs."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = work()
        rates.append(done / (time.perf_counter() - started))
    return statistics.median(rates)


def table(title: str, rows: list[tuple[str, float]], unit: str = "records/s", baseline: str | None = None) -> None:
    """Print rows of (name, value) with each one's ratio to ``baseline`` (default: the first row)."""
    base = dict(rows)[baseline] if baseline else rows[0][1]
    print(f"\n{title}")
    print(f"  {'':44} {unit:>14} {'ratio':>8}")
    for name, value in rows:
        print(f"  {name:44} {value:14,.0f} {value / base:8.2f}x")


class RedisPrefix:
    """A key prefix of this benchmark's own on the shared Redis; only its keys are deleted."""

    def __init__(self) -> None:
        self.client = redis.Redis.from_url(REDIS_URL)
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"

    def clean(self) -> None:
        keys = list(self.client.scan_iter(match=f"{self.prefix}*", count=5000))
        for start in range(0, len(keys), 5000):
            self.client.delete(*keys[start:start + 5000])
