"""Building the Dramatiq broker from the settings, with our middleware in one fixed order."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage, Retries, default_middleware
from periodiq import PeriodiqMiddleware

from pipeline.flow.recovery import DeadWorkerRecovery
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
        # Dead workers' messages back in their queues under default settings (does nothing off Redis).
        DeadWorkerRecovery(),
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
    from dramatiq.brokers.redis import RedisBroker

    return RedisBroker(url=url, namespace=f"{settings.namespace}-dramatiq", middleware=middleware,
                       heartbeat_timeout=settings.heartbeat_timeout_ms)
