"""Status changes a worker could not write (Redis away) are written once Redis answers, never moving a message back.

Against the machine's Redis; the outage is a client pointed at a port nothing listens on, then the
real one (``tests/integration/test_redis_outage.py`` runs the same backlog in real workers).
"""

from __future__ import annotations

import socket

import redis

from pipeline.books.backlog import StatusBacklog
from pipeline.books.messages import MessageStatuses


def unreachable_client() -> redis.Redis:
    with socket.socket() as probe:  # a free port: connections to it are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return redis.Redis(port=port, socket_connect_timeout=1)


def test_held_changes_are_written_when_redis_answers_unless_the_message_moved_on(redis_client, namespace):
    clock = iter(range(100, 200)).__next__
    away = MessageStatuses(unreachable_client(), namespace=namespace, ttl_s=600)
    backlog = StatusBacklog(away, clock=clock)
    statuses = MessageStatuses(redis_client, namespace=namespace, ttl_s=600, clock=clock)
    statuses.transition("stale", "enqueued", "run-1")  # at 100
    statuses.transition("idle", "enqueued", "run-1")  # at 101

    backlog.hold("stale", "running", "run-1", {"attempt": 1})  # at 102, Redis away
    backlog.hold("idle", "running", "run-1", {"attempt": 1})  # at 103
    assert backlog.flush() == (0, 0) and len(backlog) == 2  # still away: nothing lost
    statuses.transition("stale", "running", "run-1", attempt=2)  # at 104: another worker ran it again
    statuses.transition("stale", "done", "run-1")  # at 105

    backlog.messages = statuses  # Redis answers again
    assert backlog.flush() == (1, 1) and len(backlog) == 0
    assert statuses.get("stale")["state"] == "done"  # the late "running" did not move it back
    assert statuses.get("idle")["state"] == "running" and statuses.get("idle")["running_at"] == "103"
    assert {k.decode(): int(v) for k, v in redis_client.hgetall(f"{namespace}:run:run-1:states").items()
            if int(v)} == {"done": 1, "running": 1}


def test_a_full_backlog_drops_its_oldest_changes_and_counts_them():
    backlog = StatusBacklog(MessageStatuses(unreachable_client(), namespace="unused", ttl_s=600), limit=2)
    for number in range(3):
        backlog.hold(f"m{number}", "running", None, {})
    assert len(backlog) == 2 and backlog.dropped == 1
