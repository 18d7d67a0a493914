"""What one Redis round trip costs a worker thread, alone and beside a thread running Python.

    .venv/bin/python -m scripts.bench_round_trip [round trips] [repeats]

A worker process runs 2 threads (and a consumer thread): while one maps records, the others' round
trips (status changes, books, acks) wait for the GIL when their reply comes. This measures a PING
on the workers' Redis client (``pipeline.redis_clients``): the calling thread's CPU time
(``time.thread_time``, the kernel's share included) and the wall time, alone and with a second thread
of the same process counting in a Python loop. Medians of ``repeats``, interleaved. It explains
why a message's few round trips cost far more CPU inside a busy worker than on a quiet client.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time

from pipeline.redis_clients import client
from scripts.bench.common import REDIS_URL


def pings(redis, count: int) -> tuple[float, float]:
    """Microseconds of this thread's CPU and of wall time per PING."""
    cpu, wall = time.thread_time(), time.perf_counter()
    for _ in range(count):
        redis.ping()
    return (time.thread_time() - cpu) / count * 1e6, (time.perf_counter() - wall) / count * 1e6


def beside_busy_thread(redis, count: int) -> tuple[float, float]:
    stop = threading.Event()

    def busy() -> None:  # pure Python, as the mapper is: it holds the GIL but for the forced switches
        spins = 0
        while not stop.is_set():
            for _ in range(1000):
                spins += 1

    thread = threading.Thread(target=busy, daemon=True)
    thread.start()
    try:
        return pings(redis, count)
    finally:
        stop.set()
        thread.join()


def main(count: int = 2_000, repeats: int = 5) -> None:
    redis = client(REDIS_URL)
    redis.ping()
    measured: dict[str, list[tuple[float, float]]] = {"alone": [], "beside": []}
    for _ in range(repeats):
        measured["alone"].append(pings(redis, count))
        # Each waits for the GIL up to the switch interval (5 ms): fewer, or this row takes minutes.
        measured["beside"].append(beside_busy_thread(redis, max(1, count // 10)))
    (alone_cpu, alone_wall), (beside_cpu, beside_wall) = (
        tuple(statistics.median(run[part] for run in runs) for part in range(2))
        for runs in measured.values())
    print(f"\nA Redis round trip (PING), this thread's CPU and wall time (median of {repeats}, interleaved; "
          f"switch interval {sys.getswitchinterval() * 1000:.0f} ms)")
    print(f"  {'':52} {'CPU us':>8} {'wall us':>10}")
    print(f"  {'alone in its process':52} {alone_cpu:8.1f} {alone_wall:10.1f}")
    print(f"  {'beside a thread running Python in the same process':52} {beside_cpu:8.1f} "
          f"{beside_wall:10.1f}")
    print(f"  beside / alone: {beside_cpu / alone_cpu:.2f}x the CPU, "
          f"{beside_wall / alone_wall:.1f}x the wall time")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
