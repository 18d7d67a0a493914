"""The actor of bench_pickup: notes how long a message waited before a worker started it.

    BENCH_BROKER=stock|ours dramatiq scripts.bench.pickup_actors
"""

from __future__ import annotations

import os
import time

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from pipeline.flow.broker import PipelinedRedisBroker

PREFIX = os.environ["BENCH_PREFIX"]
KIND = os.environ["BENCH_BROKER"]
broker = (RedisBroker if KIND == "stock" else PipelinedRedisBroker)(url=os.environ["REDIS_URL"],
                                                                    namespace=f"{PREFIX}-{KIND}")
dramatiq.set_broker(broker)
results = redis.Redis.from_url(os.environ["REDIS_URL"])


@dramatiq.actor(queue_name="urgent", max_retries=0)
def picked_up(sent_at: float) -> None:
    results.rpush(f"{PREFIX}:{KIND}:waited", time.time() - sent_at)
