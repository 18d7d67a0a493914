"""Idle pick-up: how long an ``urgent`` message sent to idle workers waits before one starts it.

    .venv/bin/python -m scripts.bench_pickup [messages]

Two worker processes x 2 threads wait idle; single messages are sent at random intervals (50 to
500 ms). Baseline: stock Dramatiq's Redis broker, whose idle consumers poll with a backoff up to
the worker timeout (1 s by default). Ours: the same broker whose idle consumers block on a wake-up
list each enqueue pushes to (``pipeline.flow.broker.WakingConsumer``). Both run in the same run,
one after the other, with the same seed for the intervals.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from pipeline.flow.broker import PipelinedRedisBroker
from scripts.bench.common import REDIS_URL, RedisPrefix, Workers, pipeline_env


def measure(kind: str, count: int) -> list[float]:
    space = RedisPrefix()
    env = pipeline_env(space.prefix, BENCH_PREFIX=space.prefix, BENCH_BROKER=kind)
    workers = Workers(env, "scripts.bench.pickup_actors")
    # The sender's broker is the workers' kind, on their namespace: ours also pushes the wake-up.
    broker = (RedisBroker if kind == "stock" else PipelinedRedisBroker)(url=REDIS_URL,
                                                                        namespace=f"{space.prefix}-{kind}")
    rng = random.Random(15)
    key = f"{space.prefix}:{kind}:waited"
    try:
        time.sleep(3.0)  # the consumers' backoff reaches its ceiling: they are idle
        for _ in range(count):
            broker.enqueue(Message(queue_name="urgent", actor_name="picked_up", args=(time.time(),), kwargs={},
                                   options={}))
            time.sleep(rng.uniform(0.05, 0.5))
        deadline = time.monotonic() + 30
        while space.client.llen(key) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return [float(value) for value in space.client.lrange(key, 0, -1)]
    finally:
        workers.stop()
        broker.close()
        space.clean()


def main(count: int = 200) -> None:
    results = {"stock Dramatiq Redis consumer (polls)": measure("stock", count),
               "ours: consumer woken by the enqueue": measure("ours", count)}
    print(f"\nIdle pick-up of {count} single urgent messages, 2 worker processes x 2 threads")
    print(f"  {'':40} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} {'picked up':>10}")
    for name, waits in results.items():
        ordered = sorted(waits)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"  {name:40} {statistics.median(ordered) * 1000:10.1f} {p99 * 1000:8.1f} {ordered[-1] * 1000:8.1f} "
              f"{len(ordered):10}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
