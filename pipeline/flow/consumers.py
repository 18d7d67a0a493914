"""Which queues each live worker process consumes, kept in Redis and refreshed with its heartbeat.

Dramatiq's heartbeats (``<broker ns>:__heartbeats__``) say that a process talks to the broker, not
which queues it takes: a worker started with ``--queues urgent`` beats like one that takes every
queue, while a run on ``normal`` waits in silence. So each worker process records its queues when
it boots, and beats while it lives::

    ns:consumers              sorted set: process id -> last beat (epoch ms)
    ns:consumers:queues       hash: process id -> the queues it consumes, comma-separated
    ns:consumers:deliveries   hash: process id -> the deliveries it ran at that beat (books.inflight)

A process is live while its last beat is younger than the heartbeat timeout (Dramatiq's own
measure of a dead worker); readers drop older entries. These keys live in the books' Redis, so
they say the same with the RabbitMQ broker. The process id also names who runs a delivery in a
run's in-flight books (``pipeline.books.inflight``), so a dead worker's deliveries can be told apart.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable

import dramatiq
import redis
from dramatiq.common import current_millis, q_name

from pipeline.books.inflight import beats_key, deliveries_key

logger = logging.getLogger(__name__)


def queues_key(namespace: str) -> str:
    return f"{namespace}:consumers:queues"


class ConsumerRegistry(dramatiq.Middleware):
    """Records the queues of this worker process and beats for it, from a thread, while it lives.

    Args:
        client: the books' Redis.
        namespace: the settings' namespace.
        timeout_ms: a process silent this long is dead (the settings' heartbeat timeout).
        on_beat: called after each beat, on the beat's thread (finishing runs whose last end was lost).
    """

    def __init__(self, *, client: redis.Redis, namespace: str, timeout_ms: int,
                 on_beat: Iterable[Callable[[], None]] = ()) -> None:
        self.client, self.ns, self.timeout_ms = client, namespace, timeout_ms
        self.on_beat = list(on_beat)
        #: This process's id: fixed for its life, unlike a broker id, which a Redis outage renews.
        self.process_id = uuid.uuid4().hex
        self.queues: list[str] = []
        #: The tokens of the deliveries running in this process now (``StatusTracking.running_deliveries``).
        self.deliveries: Callable[[], Iterable[str]] = list
        self._stop = threading.Event()

    @property
    def interval_s(self) -> float:
        # Several beats per timeout: one lost beat must not make a live worker look dead.
        return min(self.timeout_ms / 4000, 5.0)

    def after_worker_boot(self, broker, worker) -> None:
        # Consumers exist by now, one per queue and delay queue this worker takes (``--queues``).
        self.queues = sorted({q_name(name) for name in worker.consumers})
        self.beat()
        threading.Thread(target=self._run, name="consumer-registry", daemon=True).start()

    def before_worker_shutdown(self, broker, worker) -> None:
        self._stop.set()
        try:
            with self.client.pipeline() as pipe:
                pipe.zrem(beats_key(self.ns), self.process_id)
                pipe.hdel(queues_key(self.ns), self.process_id)
                pipe.hdel(deliveries_key(self.ns), self.process_id)
                pipe.execute()
        except redis.RedisError:  # it ages out by itself
            pass

    def beat(self) -> None:
        # The time first, then the list: a delivery started before this beat is on it (finish.lua).
        now = current_millis()
        with self.client.pipeline() as pipe:
            pipe.zadd(beats_key(self.ns), {self.process_id: now})
            pipe.hset(queues_key(self.ns), self.process_id, ",".join(self.queues))
            pipe.hset(deliveries_key(self.ns), self.process_id, ",".join(self.deliveries()))
            pipe.execute()
        for callback in self.on_beat:
            callback()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.beat()
            except Exception as error:  # Redis away: beat again next time; readers see the gap
                logger.warning("Could not record this worker's heartbeat (%s: %s).",
                               type(error).__name__, error)


def live_consumers(client: redis.Redis, namespace: str, timeout_ms: int) -> dict[str, set[str]]:
    """Live worker processes and the queues each consumes; drops the entries of dead ones."""
    now = current_millis()
    with client.pipeline() as pipe:
        pipe.zrangebyscore(beats_key(namespace), "-inf", f"({now - timeout_ms}")
        pipe.zrangebyscore(beats_key(namespace), now - timeout_ms, "+inf")
        pipe.hgetall(queues_key(namespace))
        dead, live, queues = pipe.execute()
    if dead:
        with client.pipeline() as pipe:
            pipe.zrem(beats_key(namespace), *dead)
            pipe.hdel(queues_key(namespace), *dead)
            pipe.hdel(deliveries_key(namespace), *dead)
            pipe.execute()
    return {_text(process): set(filter(None, _text(queues.get(process, b"")).split(","))) for process in live}


def consumed_queues(client: redis.Redis, namespace: str, timeout_ms: int) -> set[str]:
    """Every queue some live worker process consumes."""
    return set().union(*live_consumers(client, namespace, timeout_ms).values())


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
