"""Building the Dramatiq broker from the settings, with our middleware in one fixed order."""

from __future__ import annotations

from contextlib import nullcontext

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import current_millis
from dramatiq.middleware import CurrentMessage, Retries, default_middleware
from periodiq import PeriodiqMiddleware

from pipeline.books.round_trip import deferred, pending, queue_script, same_database
from pipeline.settings import Settings


def make_broker(settings: Settings, extra_middleware: list | None = None) -> dramatiq.Broker:
    """The broker named by ``settings.broker_url``: Redis, RabbitMQ, or the in-process StubBroker.

    Middleware order matters: Dramatiq runs after-hooks in reverse order, so middleware added
    after ``Retries`` (ours) sees each failed attempt before ``Retries`` decides about it.
    """
    middleware = [m() for m in default_middleware if m is not Retries]
    middleware += [
        Retries(max_retries=settings.max_retries, min_backoff=settings.retry_min_backoff_ms,
                max_backoff=settings.retry_max_backoff_ms),
        CurrentMessage(),
        # periodiq's option (periodic=) must be known before any actor is declared. Its own skip of
        # late ticks is pushed far out: pipeline.schedule.ticks decides about late ticks and records why.
        PeriodiqMiddleware(skip_delay=86_400),
        *(extra_middleware or []),
    ]
    url = settings.broker_url
    if settings.embedded:
        return StubBroker(middleware=middleware)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, middleware=middleware)
    return PipelinedRedisBroker(url=url, namespace=f"{settings.namespace}-dramatiq", middleware=middleware,
                                heartbeat_timeout=settings.heartbeat_timeout_ms,
                                maintenance_chance=settings.maintenance_chance)


class PipelinedRedisBroker(RedisBroker):
    """Dramatiq's Redis broker, whose enqueue joins a round trip already under way (``books/round_trip.py``).

    Outside ``round_trip()`` it is the stock broker. Inside, the message's dispatch script is queued
    on the pending pipeline, after the page's books and status, instead of being sent on its own.
    The arguments are the stock ``_dispatch``'s (dramatiq is pinned: they are its internals).
    """

    def round_trip(self, client):
        """A context in which writes to ``client``'s Redis and this broker's enqueues go out together."""
        if not same_database(self.client, client):
            return nullcontext()
        return deferred(client.pipeline(transaction=False))

    def do_enqueue(self, queue_name, *args):
        pipe = pending(self.client)
        if pipe is None:
            return self._dispatch("enqueue")(queue_name, *args)
        return queue_script(
            pipe, self.scripts["dispatch"], [self.namespace],
            ["enqueue", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
                  self.dead_message_ttl, self._should_do_maintenance("enqueue"), self._max_unpack_size(), *args])
