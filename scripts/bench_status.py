"""What a message's status costs: one state change is one round trip (a Lua script) to Redis.

    .venv/bin/python -m scripts.bench_status [messages]

Measures a message's life as StatusTracking writes it (enqueued, running, done: three round trips)
against a bare Redis round trip (PING) in the same run, without and with the run's in-flight books
(``pipeline.books.inflight``: the same round trip, one more script, and the finish check after
``done``); bench_end_to_end gives the effect on a whole run (status tracking on vs off).
"""

from __future__ import annotations

import sys
import time
import uuid

from pipeline.books.inflight import InFlight
from pipeline.books.messages import MessageStatuses
from scripts.bench.common import RedisPrefix


def life_us(statuses: MessageStatuses, ids: list[str]) -> float:
    """Microseconds of one message's status life (enqueued, running, done) as StatusTracking writes it."""
    started = time.perf_counter()
    for message_id in ids:
        statuses.transition(message_id, "enqueued", "run-1", in_flight=("normal", "", "p"), actor="load",
                            queue="normal", integration="bench", records=100, keys=["a@example.com", "b@example.com"])
        statuses.transition(message_id, "running", "run-1", in_flight=("normal", "d", "p"), attempt=1, worker=1234)
        statuses.transition(message_id, "done", "run-1", in_flight=("normal", "d", "p"))
    return (time.perf_counter() - started) / len(ids) * 1e6


def main(messages: int = 10_000) -> None:
    space = RedisPrefix()
    plain = MessageStatuses(space.client, namespace=space.prefix, ttl_s=600)
    inflight = InFlight(space.client, namespace=space.prefix, ttl_s=600, heartbeat_timeout_ms=60_000)
    tracked = MessageStatuses(space.client, namespace=space.prefix, ttl_s=600, inflight=inflight)
    try:
        started = time.perf_counter()
        for _ in range(messages):
            space.client.ping()
        ping_us = (time.perf_counter() - started) / messages * 1e6
        plain_us = life_us(plain, [uuid.uuid4().hex for _ in range(messages)])
        tracked_us = life_us(tracked, [uuid.uuid4().hex for _ in range(messages)])
    finally:
        space.clean()
    print(f"\nStatus writes, {messages:,} messages")
    print(f"  bare Redis round trip (PING)            {ping_us:8.1f} us")
    print(f"  one message's status life (3 writes)    {plain_us:8.1f} us ({plain_us / ping_us:.1f} round trips)")
    print(f"  ... with the run's in-flight books      {tracked_us:8.1f} us ({tracked_us / ping_us:.1f} round trips)")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
