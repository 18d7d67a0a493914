"""Enqueue throughput: 100,000 records into Redis, ours vs Dramatiq send() per record vs a raw pipeline.

    .venv/bin/python -m scripts.bench_enqueue [records] [repeats]

The fair baseline is stock Dramatiq ``send()`` of the same pages of 100 records, with the same
encoder as ours (orjson) and no middleware of ours.

"Ours" is the extract step as workers run it: pages of 100 records, each page one message, with
its run counts, ledger marks and message status written (status tracking on).
"""

from __future__ import annotations

import json
import os
import statistics
import sys

from scripts.bench.common import REDIS_URL, ROOT, RedisPrefix, median_rate, table


def main(count: int = 100_000, repeats: int = 5) -> None:
    space = RedisPrefix()
    os.environ.update({"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": space.prefix,
                       "PIPELINE_MAPPINGS_DIR": str(ROOT / "scripts" / "bench" / "mappings"),
                       "PIPELINE_LOG_LEVEL": "WARNING"})
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    from pipeline import redis_clients
    from pipeline.app import App, new_run_id
    from pipeline.flow.encoding import OrjsonEncoder
    from pipeline.flow.steps import Job, extract
    from pipeline.systems.memory import memory_store
    from pipeline.systems.synthetic import synthetic_customer

    records = [synthetic_customer(n) for n in range(count)]
    memory_store("bench_source").source["customer"] = records
    app = App.from_env()
    integration = app.integrations["bench_memory_customer"]
    chain = app.chains["normal"]

    def ours() -> int:
        run_id = new_run_id()
        app.runs.start(run_id, integration.name, "full")
        job = Job(integration, app.books, run_id, message_id=run_id)
        extract(job, "full", None, 100, chain.outbox(job))
        return count

    plain = RedisBroker(url=REDIS_URL, namespace=f"{space.prefix}-plain")

    @dramatiq.actor(broker=plain, queue_name="plain")
    def noop(record):
        pass

    def send_per_record() -> int:
        # Stock Dramatiq, as our users would have it: its own JSON encoder (ours is only our chains').
        for record in records[:count // 10]:  # a tenth: it is that slow, and the rate is what counts
            noop.send(record)
        return count // 10

    @dramatiq.actor(broker=plain, queue_name="plain")
    def page_noop(records):
        pass

    # The same, its broker on our client (pipeline/redis_clients.py): what of ours is the books' design, and
    # what is the faster command packing, which stock Dramatiq gains too.
    packed = RedisBroker(client=redis_clients.client(REDIS_URL), namespace=f"{space.prefix}-packed")
    page_noop_packed = dramatiq.actor(page_noop.fn, broker=packed, actor_name="page_noop_packed",
                                      queue_name="plain")

    def send_pages(actor=page_noop) -> int:
        # The fair baseline: stock send() of the same pages of 100, with the encoder ours uses (orjson).
        stock = dramatiq.get_encoder()
        dramatiq.set_encoder(OrjsonEncoder())
        try:
            for start in range(0, count, 100):
                actor.send(records[start:start + 100])
        finally:
            dramatiq.set_encoder(stock)
        return count

    def redis_pipeline() -> int:
        with space.client.pipeline(transaction=False) as pipe:
            for start in range(0, count, 1000):
                pipe.lpush(f"{space.prefix}:raw", *[json.dumps(r) for r in records[start:start + 1000]])
                pipe.execute()
        return count

    try:
        contenders = [("fair: stock send() of the same pages of 100", send_pages),
                      ("ours: extract step, pages of 100, status on", ours),
                      ("stock send() of the pages, our Redis client",
                       lambda: send_pages(page_noop_packed)),
                      ("dramatiq send() per record", send_per_record),
                      ("raw redis-py pipeline of LPUSH (json.dumps)", redis_pipeline)]
        rates = {name: [] for name, _ in contenders}
        for _ in range(repeats):  # interleaved: the machine's load hits every row alike
            for name, work in contenders:
                rates[name].append(median_rate(work, repeats=1))
        rows = [(name, statistics.median(values)) for name, values in rates.items()]
    finally:
        space.clean()
    table(f"Enqueue {count:,} records into Redis (median of {repeats}, interleaved; pages encoded with orjson)",
          rows)
    for name, values in rates.items():
        print(f"  {name:44} runs: {', '.join(f'{value:,.0f}' for value in values)}")
    # Each repeat measures both back to back: their ratio is steadier than the ratio of medians.
    paired = [mine / fair for mine, fair in zip(rates[contenders[1][0]], rates[contenders[0][0]])]
    print(f"  ours / fair, median of the {repeats} paired runs: {statistics.median(paired):.2f}x")
    on_our_client = [mine / fair for mine, fair in zip(rates[contenders[1][0]], rates[contenders[2][0]])]
    print(f"  ours / stock send() on our Redis client, median of the {repeats} paired runs: "
          f"{statistics.median(on_our_client):.2f}x")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
