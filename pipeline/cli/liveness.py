"""Whether any worker is alive, read from Dramatiq's own heartbeats (Redis broker).

Every command a Redis broker sends stamps ``<namespace>:__heartbeats__`` with its process's broker
id, and an idle worker fetches at least once per worker timeout (one second by default). A
command line that just enqueued a run stamps it once too, so a worker is a member whose stamp
*moves* between two reads, not merely a recent one.
"""

from __future__ import annotations

import time

#: How long to watch the heartbeats: longer than an idle worker's longest poll (1 s by default).
WATCH_S = 1.6


def live_workers(broker, watch_s: float = WATCH_S) -> int | None:
    """How many worker processes heartbeat now; None when the broker keeps no heartbeats (RabbitMQ, stub)."""
    client = getattr(broker, "client", None)
    if client is None or not hasattr(broker, "heartbeat_timeout"):
        return None
    key = f"{broker.namespace}:__heartbeats__"
    before = dict(client.zrange(key, 0, -1, withscores=True))
    time.sleep(watch_s)
    after = dict(client.zrange(key, 0, -1, withscores=True))
    return sum(1 for member, score in after.items() if score > before.get(member, score))
