"""What a message's status costs: one state change is one round trip (a Lua script) to Redis.

    .venv/bin/python -m scripts.bench_status [messages]

Measures a message's life as StatusTracking writes it (enqueued, running, done: three round trips)
against a bare Redis round trip (PING) in the same run; bench_end_to_end gives the effect on a
whole run (status tracking on vs off).
"""

from __future__ import annotations

import sys
import time
import uuid

from pipeline.books.messages import MessageStatuses
from scripts.bench.common import RedisPrefix


def main(messages: int = 10_000) -> None:
    space = RedisPrefix()
    statuses = MessageStatuses(space.client, namespace=space.prefix, ttl_s=600)
    ids = [uuid.uuid4().hex for _ in range(messages)]
    try:
        started = time.perf_counter()
        for message_id in ids:
            space.client.ping()
        ping_us = (time.perf_counter() - started) / messages * 1e6
        started = time.perf_counter()
        for message_id in ids:
            statuses.transition(message_id, "enqueued", "run-1", actor="load", queue="normal",
                                integration="bench", records=100, keys=["a@example.com", "b@example.com"])
            statuses.transition(message_id, "running", "run-1", attempt=1, worker=1234)
            statuses.transition(message_id, "done", "run-1")
        life_us = (time.perf_counter() - started) / messages * 1e6
    finally:
        space.clean()
    print(f"\nStatus writes, {messages:,} messages")
    print(f"  bare Redis round trip (PING)            {ping_us:8.1f} us")
    print(f"  one message's status life (3 writes)    {life_us:8.1f} us ({life_us / ping_us:.1f} round trips)")
    print(f"  per record, at 100 records a message    {life_us / 100:8.2f} us")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
