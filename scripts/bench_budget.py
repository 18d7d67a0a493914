"""A concurrency budget's hand-off: ours (blocking, woken by the release) vs polling Redis every 1 ms.

    .venv/bin/python -m scripts.bench_budget [hand-offs] [repeats]

The baseline is the budget as it was: Dramatiq's ``ConcurrentRateLimiter`` over Redis, a waiter
retrying every 1 ms. Measured in the same run, interleaved, medians of ``repeats``:

- hand-off: a slot of a budget of 1 is released while a thread waits; the time until the waiter
  holds it (median and p99 over ``hand-offs``);
- waiting CPU: 8 threads wait 3 s for a slot that is held all along; the process's CPU seconds per
  waiting thread-second (the Redis server's own work is not counted: it is the same order again
  for the polling baseline).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from contextlib import contextmanager

from dramatiq.rate_limits import ConcurrentRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from pipeline.systems.concurrency import RedisBudget
from scripts.bench.common import REDIS_URL, RedisPrefix

WAITERS, WAIT_S = 8, 3.0


def polling_budget(prefix: str, limit: int):
    """The baseline: the previous implementation, a 1 ms poll of Dramatiq's limiter."""
    limiter = ConcurrentRateLimiter(RedisBackend(url=REDIS_URL), f"{prefix}:polling", limit=limit, ttl=120_000)

    @contextmanager
    def slot():
        while True:
            with limiter.acquire(raise_on_failure=False) as acquired:
                if acquired:
                    yield None
                    return
            time.sleep(0.001)
    return slot


def ours(space: RedisPrefix, limit: int):
    return RedisBudget(space.client, f"{space.prefix}:ours", limit).slot


def hand_offs(slot, count: int) -> list[float]:
    """Seconds from a release to the waiting thread holding the slot, ``count`` times."""
    delays = []
    for _ in range(count):
        holding, release, got = threading.Event(), threading.Event(), []

        def holder():
            with slot():
                holding.set()
                release.wait()
                got.append(time.perf_counter())  # released right after this

        def waiter():
            with slot():
                got.append(time.perf_counter())

        first = threading.Thread(target=holder)
        first.start()
        holding.wait()
        second = threading.Thread(target=waiter)
        second.start()
        time.sleep(0.02)  # the waiter is queued (or polling) by now
        release.set()
        first.join()
        second.join()
        delays.append(got[1] - got[0])
    return delays


def waiting_cpu(slot) -> float:
    """CPU seconds this process spends per second of one thread waiting for a held slot."""
    holding, release = threading.Event(), threading.Event()

    def holder():
        with slot():
            holding.set()
            release.wait()

    def waiter():
        with slot():
            pass

    first = threading.Thread(target=holder)
    first.start()
    holding.wait()
    waiters = [threading.Thread(target=waiter) for _ in range(WAITERS)]
    time.sleep(0.1)
    cpu = time.process_time()
    for thread in waiters:
        thread.start()
    time.sleep(WAIT_S)
    used = time.process_time() - cpu
    release.set()
    for thread in [first, *waiters]:
        thread.join()
    return used / (WAITERS * WAIT_S)


def main(count: int = 50, repeats: int = 5) -> None:
    space = RedisPrefix()
    kinds = {"polling every 1 ms (baseline)": lambda: polling_budget(space.prefix, 1),
             "ours: hand-off on release": lambda: ours(space, 1)}
    delays = {name: [] for name in kinds}
    cpu = {name: [] for name in kinds}
    try:
        for _ in range(repeats):
            for name, make in kinds.items():
                delays[name].extend(hand_offs(make(), count))
                cpu[name].append(waiting_cpu(make()))
    finally:
        space.clean()
    print(f"\nBudget hand-off: {count} x {repeats} releases to a waiting thread; {WAITERS} threads waiting {WAIT_S:.0f}s"
          f" (median of {repeats})")
    print(f"  {'':34} {'median ms':>10} {'p99 ms':>8} {'CPU per waiting thread':>24}")
    for name in kinds:
        ordered = sorted(delays[name])
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"  {name:34} {statistics.median(ordered) * 1000:10.2f} {p99 * 1000:8.2f} "
              f"{statistics.median(cpu[name]):23.2%}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
