"""A baseline chain of bench_end_to_end: stock Dramatiq with pages, what a competent user would write.

    dramatiq scripts.bench.paged_actors

Extract -> map -> load of the same generated customers in pages of 100 (or ``PIPELINE_BATCH_SIZE``),
with the same mapper, the same orjson encoder, the same Redis and worker count as ours, but nothing
else: no status, no ledger, no run books, no per-record outcomes, stock middleware and consumer. The
queue's own cost, with no books. Its workers run with ``dramatiq_worker_timeout=50`` (the stock consumer
backs off up to that many milliseconds between empty fetches, 1,000 by default): tuned for throughput,
as a competent user would, so that no process idles a second at the start while the other works.
"""

from __future__ import annotations

import os
import time

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from pipeline.flow.encoding import OrjsonEncoder
from pipeline.mapping import Mapper, load_mapping
from pipeline.systems.synthetic import SyntheticSystem
from scripts.bench.common import ROOT, PagedKeys

KEYS = PagedKeys(os.environ["BENCH_PREFIX"])
RECORDS = int(os.environ["PIPELINE_BENCH_SOURCE_RECORDS"])
#: Records a message: the same as ours when the benchmark gives ours another batch size.
PAGE_SIZE = int(os.environ.get("PIPELINE_BATCH_SIZE", "100"))
broker = RedisBroker(url=os.environ["REDIS_URL"], namespace=f"{KEYS.prefix}-paged")
dramatiq.set_broker(broker)
dramatiq.set_encoder(OrjsonEncoder())  # this process is the benchmark's own, as ``pipeline.actors``'s is ours
counter = redis.Redis.from_url(os.environ["REDIS_URL"])
mapper = Mapper(load_mapping(ROOT / "scripts" / "bench" / "mappings" / "bench_customer.yaml"))


def start(count: int) -> None:
    """Start a run: stamp its start (as the ``connector run`` command does ours), then send its extract."""
    counter.set(KEYS.started, time.time())
    pg_extract.send(count)


@dramatiq.actor(max_retries=0)
def pg_extract(count: int) -> None:
    for page in SyntheticSystem(count).extract("customer", since=None, refs=None, page_size=PAGE_SIZE):
        pg_map.send(page.records)


@dramatiq.actor(max_retries=0)
def pg_map(records: list[dict]) -> None:
    pg_load.send([mapper.map(record).as_message() for record in records])


@dramatiq.actor(max_retries=0)
def pg_load(items: list[dict]) -> None:
    SyntheticSystem(0).load("customer", items)  # the sink ours loads into: it keeps nothing
    if counter.incrby(KEYS.done, len(items)) == RECORDS:
        counter.set(KEYS.finished, time.time())
