"""Building the Dramatiq broker from the settings, with our middleware in one fixed order."""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext
from pathlib import Path

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import compute_backoff, current_millis
from dramatiq.errors import ConnectionClosed
from dramatiq.message import Message
from dramatiq.middleware import CurrentMessage, Retries, default_middleware
from periodiq import PeriodiqMiddleware

from pipeline import redis_clients
from pipeline.books.round_trip import deferred, execute, pending, queue_script, same_database
from pipeline.flow.recovery import DeadWorkerRecovery, DurableRetries
from pipeline.settings import Settings


def make_broker(settings: Settings, extra_middleware: list | None = None) -> dramatiq.Broker:
    """The broker named by ``settings.broker_url``: Redis, RabbitMQ, or the in-process StubBroker.

    Middleware order matters: Dramatiq runs after-hooks in reverse order, so middleware added
    after ``Retries`` (ours) sees each failed attempt before ``Retries`` decides about it.
    """
    middleware = [m() for m in default_middleware if m is not Retries]
    # Dead workers' messages back in their queues under default settings, and a worker's own after
    # a Redis outage (does nothing off Redis).
    recovery = DeadWorkerRecovery()
    middleware += [
        DurableRetries(recovery=recovery, max_retries=settings.max_retries,
                       min_backoff=settings.retry_min_backoff_ms, max_backoff=settings.retry_max_backoff_ms),
        CurrentMessage(),
        # periodiq's option (periodic=) must be known before any actor is declared. Its own skip of
        # late ticks is pushed far out: pipeline.schedule.ticks decides about late ticks and records why.
        PeriodiqMiddleware(skip_delay=86_400),
        recovery,
        *(extra_middleware or []),
    ]
    if settings.worker_metrics:
        # Imported only when asked for: the module makes its database folder as it is imported.
        from dramatiq.middleware.prometheus import Prometheus

        middleware.append(Prometheus())
    url = settings.broker_url
    if settings.embedded:
        return StubBroker(middleware=middleware)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, middleware=middleware)
    return PipelinedRedisBroker(client=redis_clients.client(url), namespace=f"{settings.namespace}-dramatiq",
                                middleware=middleware, heartbeat_timeout=settings.heartbeat_timeout_ms)


class PipelinedRedisBroker(RedisBroker):
    """Dramatiq's Redis broker, whose enqueue joins a round trip already under way (``books/round_trip.py``).

    Outside ``round_trip()`` it is the stock broker. Inside, the message's dispatch script is queued
    on the pending pipeline, after the page's books and status, instead of being sent on its own.
    The arguments are the stock ``_dispatch``'s (dramatiq is pinned: they are its internals).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._wake = self.client.register_script(_WAKE)

    def round_trip(self, client):
        """A context in which writes to ``client``'s Redis and this broker's enqueues go out together."""
        if not same_database(self.client, client):
            return nullcontext()
        return deferred(client.pipeline(transaction=False))

    @property
    def consumer_class(self):
        return WakingConsumer

    def wake_key(self, queue_name: str) -> str:
        """The list a queue's idle consumers block on; each enqueue pushes a wake-up onto it."""
        return f"{self.namespace}:{queue_name}.wake"

    def do_enqueue(self, queue_name, *args):
        # A delayed message (".DQ") wakes no one: it is not due. The wake-up rides in the same round
        # trip as the message, so waking idle workers costs no extra one.
        wake = None if queue_name.endswith(".DQ") else self.wake_key(queue_name)
        pipe = pending(self.client)
        if pipe is None:
            if wake is None:
                return self._dispatch("enqueue")(queue_name, *args)
            with self.client.pipeline(transaction=False) as own:
                self._queue_enqueue(own, queue_name, args, wake)
                return execute(own)[0]
        return self._queue_enqueue(pipe, queue_name, args, wake)

    def _queue_enqueue(self, pipe, queue_name: str, args: tuple, wake: str | None) -> None:
        queue_script(pipe, self.scripts["dispatch"], [self.namespace],
                     ["enqueue", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
                      self.dead_message_ttl, self._should_do_maintenance("enqueue"), self._max_unpack_size(), *args])
        if wake is not None:
            queue_script(pipe, self._wake, [wake], [WAKE_UPS_KEPT, 60_000])


#: Wake-ups kept per queue: enough for every idle consumer of a busy deployment to be woken at once.
WAKE_UPS_KEPT = 64
_WAKE = (Path(__file__).with_name("wake.lua")).read_text()


class WakingConsumer(_RedisConsumer):
    """Dramatiq's Redis consumer, whose idle wait blocks on the queue's wake-up list instead of sleeping.

    The stock consumer backs off (up to the worker timeout, 1 s by default) between empty fetches,
    so a message sent to idle workers waits for the next poll: 200-700 ms measured. This one waits
    as long, but in ``BLPOP`` on the list each enqueue pushes to, so it fetches as soon as a message
    arrives. With its prefetch full, it waits for the first ack or nack instead of sleeping the
    backoff. Fetching, acks, prefetch and redelivery are Dramatiq's own (its ``__next__``, pinned
    version, with ``time.sleep`` replaced).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: Set when a message ends (its ack or nack, by a worker thread): the prefetch has room again.
        self._room = threading.Event()

    def __next__(self):
        try:
            while True:
                try:
                    data = self.message_cache.pop(0)
                    if data is None:
                        continue  # as the stock consumer (dramatiq #266), which also logs a warning
                    self.misses = 0
                    message = Message.decode(data)
                    self.queued_message_ids.add(message.message_id)
                    return MessageProxy(message)
                except IndexError:
                    messages = []
                    if self.outstanding_message_count < self.prefetch:
                        self.message_cache = messages = self.broker.do_fetch(
                            self.queue_name, self.prefetch - self.outstanding_message_count)
                    if not messages:
                        self.misses, backoff_ms = compute_backoff(self.misses, max_backoff=self.timeout)
                        self._idle(backoff_ms)
                        return None
        except redis.ConnectionError as e:
            raise ConnectionClosed(e) from None

    def ack(self, message) -> None:
        try:
            super().ack(message)
        finally:
            self._room.set()

    def nack(self, message) -> None:
        try:
            super().nack(message)
        finally:
            self._room.set()

    def _idle(self, backoff_ms: int) -> None:
        if self.outstanding_message_count >= self.prefetch:
            # Full: nothing can be fetched until a message ends. The stock consumer slept a growing
            # backoff here (up to the worker timeout, 1 s), so threads that finished sat without work
            # while messages waited in Redis; this wait ends at the first ack or nack instead.
            self._room.clear()
            if self.outstanding_message_count >= self.prefetch:
                self._room.wait(backoff_ms / 1000)
            return
        if self.queue_name.endswith(".DQ"):
            time.sleep(backoff_ms / 1000)  # delayed messages become due by the clock: no wake-up helps
            return
        self.broker.client.blpop([self.broker.wake_key(self.queue_name)], timeout=max(backoff_ms, 1) / 1000)
