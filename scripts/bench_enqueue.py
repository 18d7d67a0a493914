"""Enqueue throughput: 100,000 records into Redis, ours vs Dramatiq send() per record vs a raw pipeline.

    .venv/bin/python -m scripts.bench_enqueue [records]

"Ours" is the extract step as workers run it: pages of 100 records, each page one message, with
its run counts, ledger marks and message status written (status tracking on).
"""

from __future__ import annotations

import json
import os
import sys

from scripts.bench.common import REDIS_URL, ROOT, RedisPrefix, median_rate, table


def main(count: int = 100_000) -> None:
    space = RedisPrefix()
    os.environ.update({"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": space.prefix,
                       "PIPELINE_MAPPINGS_DIR": str(ROOT / "scripts" / "bench" / "mappings"),
                       "PIPELINE_LOG_LEVEL": "WARNING"})
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    from pipeline.app import App, new_run_id
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

    def redis_pipeline() -> int:
        with space.client.pipeline(transaction=False) as pipe:
            for start in range(0, count, 1000):
                pipe.lpush(f"{space.prefix}:raw", *[json.dumps(r) for r in records[start:start + 1000]])
                pipe.execute()
        return count

    try:
        rows = [("dramatiq send() per record", median_rate(send_per_record)),
                ("ours: extract step, pages of 100, status on", median_rate(ours)),
                ("raw redis-py pipeline of LPUSH (json.dumps)", median_rate(redis_pipeline))]
    finally:
        space.clean()
    table(f"Enqueue {count:,} records into Redis (median of 5)", rows)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
