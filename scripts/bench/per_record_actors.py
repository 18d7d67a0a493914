"""The baseline chain of bench_end_to_end: stock Dramatiq, one message per record at every step.

    dramatiq scripts.bench.per_record_actors
"""

from __future__ import annotations

import os

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from pipeline.mapping import Mapper, load_mapping
from pipeline.systems.synthetic import synthetic_customer
from scripts.bench.common import ROOT

PREFIX = os.environ["BENCH_PREFIX"]
broker = RedisBroker(url=os.environ["REDIS_URL"], namespace=f"{PREFIX}-per-record")
dramatiq.set_broker(broker)
counter = redis.Redis.from_url(os.environ["REDIS_URL"])
mapper = Mapper(load_mapping(ROOT / "scripts" / "bench" / "mappings" / "bench_customer.yaml"))


@dramatiq.actor(max_retries=0)
def pr_extract(count: int) -> None:
    for number in range(count):
        pr_map.send(synthetic_customer(number))


@dramatiq.actor(max_retries=0)
def pr_map(record: dict) -> None:
    pr_load.send(mapper.map(record).as_message())


@dramatiq.actor(max_retries=0)
def pr_load(item: dict) -> None:
    counter.incr(f"{PREFIX}:per-record-done")  # the sink: count, keep nothing
