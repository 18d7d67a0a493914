"""Whether a live worker consumes a run's queue, read from the workers' own records (``flow.consumers``).

Dramatiq's heartbeats say only that a process talks to the broker; each of our worker processes
also records the queues it consumes, so a run on ``normal`` with workers only on ``urgent`` is
seen waiting for nothing.
"""

from __future__ import annotations

from pipeline.books.runs import RunSummary
from pipeline.flow.consumers import live_consumers

#: Message states that wait for a worker of the run's queue.
WAITING = ("enqueued", "retrying", "scheduled")


def unconsumed_queue_warning(app, summary: RunSummary) -> str | None:
    """A warning when ``summary``'s run has messages waiting and no live worker consumes its queue."""
    if summary.finished_at is not None or not any((summary.states or {}).get(state) for state in WAITING):
        return None
    consumers = live_consumers(app.books.redis, app.settings.namespace, app.settings.heartbeat_timeout_ms)
    consumed = set().union(*consumers.values())
    queue = summary.queue
    if (queue in consumed) if queue else consumed:
        return None
    if not consumers:
        elsewhere = "no worker is live"
    else:
        elsewhere = f"live workers consume only {', '.join(sorted(consumed)) or 'nothing'}"
    start = f"dramatiq pipeline.actors --queues {queue}" if queue else "dramatiq pipeline.actors"
    return (f"Warning: no live worker consumes queue {queue or '(unknown)'!r} of run {summary.run_id} "
            f"({elsewhere}): its messages wait until one does. Start one: {start}")
