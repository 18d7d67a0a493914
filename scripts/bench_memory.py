"""Memory: the peak resident set of a worker while a pull streams N generated records, at two sizes.

    .venv/bin/python -m scripts.bench_memory [small] [large]

One worker process (2 threads) runs the whole chain; extraction streams page by page, so its
peak should not grow with the size of the source. Also reported: what Redis keeps per record
afterwards, in the entity ledger and in all of the run's keys (statuses, run books, ledger),
measured with ``MEMORY USAGE``.
"""

from __future__ import annotations

import sys
import time

from scripts.bench.common import RedisPrefix, Workers, pipeline_env, start_run, wait_for_run


def redis_bytes(space: RedisPrefix, pattern: str) -> int:
    """What Redis holds under ``pattern`` (MEMORY USAGE of each key, all of its values sampled)."""
    total = 0
    with space.client.pipeline(transaction=False) as pipe:
        keys = list(space.client.scan_iter(match=pattern, count=5000))
        for key in keys:
            pipe.memory_usage(key, samples=0)
        total = sum(size or 0 for size in pipe.execute())
    return total


def peak_rss(count: int) -> tuple[float, float, float, float]:
    space = RedisPrefix()
    env = pipeline_env(space.prefix, PIPELINE_BENCH_SOURCE_RECORDS=str(count))
    workers = Workers(env, processes=1, threads=2)
    try:
        started = time.monotonic()
        run = wait_for_run(space.client, space.prefix,
                           start_run(env, "bench_customer", "--mode", "full", "--tier", "normal"))
        assert int(run["loaded"]) == count, run
        rate = count / (time.monotonic() - started)
        ledger = redis_bytes(space, f"{space.prefix}:ledger:*") / count
        everything = redis_bytes(space, f"{space.prefix}*") / count
        return workers.peak_rss_mb(), rate, ledger, everything
    finally:
        workers.stop()
        space.clean()


def main(small: int = 100_000, large: int = 1_000_000) -> None:
    print("\nPeak RSS of a worker process streaming a pull (1 process, 2 threads)")
    print(f"  {'records':>12} {'peak RSS (MB)':>14} {'records/s':>12} {'ledger B/record':>16} "
          f"{'all keys B/record':>18}")
    results = {}
    for count in (small, large):
        results[count] = peak_rss(count)
        rss, rate, ledger, everything = results[count]
        print(f"  {count:>12,} {rss:>14.1f} {rate:>12,.0f} {ledger:>16,.0f} {everything:>18,.0f}")
    print(f"\n  growth from {small:,} to {large:,} records: {results[large][0] / results[small][0] - 1:+.1%}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
