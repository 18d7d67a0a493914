"""Dead workers' messages go back to their queues within about one and a half heartbeat timeouts.

Dramatiq's Redis broker keeps each fetched message in its worker's "acks" set until it is
acknowledged, and gives the messages of a worker silent for ``heartbeat_timeout`` back to their
queue only during "maintenance": on 1 in 1,000 broker calls by default, and only for the queue
that call touched. A killed worker's messages could wait for hours (an idle queue is never
touched), and a run with them never finishes.

``DeadWorkerRecovery`` runs that same maintenance (the broker's own ``dispatch`` Lua script, so
nothing of the broker's layout is re-implemented) on every queue and delay queue, every half
heartbeat timeout, from a thread of each worker process. Each call also refreshes the process's
heartbeat, so a worker busy with one long message for longer than the timeout is not taken for
dead while it lives.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import dramatiq
from dramatiq.common import current_millis
from dramatiq.middleware import MiddlewareError, Retries

from pipeline.errors import WaitError

logger = logging.getLogger(__name__)

#: How many ids the maintenance unpacks at once when it drops expired dead-lettered messages
#: (Lua's stack holds about 8,000; Dramatiq itself uses half of what it measures).
UNPACK_LIMIT = 1_000


def recover_dead_workers(broker) -> dict[str, int]:
    """Run the Redis broker's maintenance on every declared queue now.

    Returns each dead worker that had unacknowledged messages, with how many went back to a queue
    (processes that only sent messages, such as the command line, fall silent too, with none).
    """
    now = current_millis()
    queues = sorted(broker.get_declared_queues() | broker.get_declared_delay_queues())
    dead = [worker.decode() for worker in broker.client.zrangebyscore(
        f"{broker.namespace}:__heartbeats__", 0, now - broker.heartbeat_timeout)]
    requeued: dict[str, int] = {}
    if dead:
        with broker.client.pipeline(transaction=False) as pipe:
            for worker in dead:
                for queue in queues:
                    pipe.scard(f"{broker.namespace}:__acks__.{worker}.{queue}")
            counts = pipe.execute()
        for index, worker in enumerate(dead):
            total = sum(counts[index * len(queues):(index + 1) * len(queues)])
            if total:
                requeued[worker] = total
    dispatch = broker.scripts["dispatch"]
    for queue in queues:
        # "qsize" changes nothing; the flag before the limit asks for the maintenance pass.
        dispatch(args=["qsize", now, queue, broker.broker_id, broker.heartbeat_timeout, broker.dead_message_ttl,
                       1, UNPACK_LIMIT], keys=[broker.namespace])
    return requeued


class DeadWorkerRecovery(dramatiq.Middleware):
    """Requeues dead workers' unacknowledged messages, on every queue, every half heartbeat timeout;
    and after a Redis outage, gives up the messages this worker held when it began.

    A Redis outage leaves a live worker holding messages it will never finish: Dramatiq's consumers
    drop the messages they had fetched and their delayed retries when their connection fails, and a
    retry that could not be enqueued (see ``DurableRetries``) is not acknowledged. All stay in the
    worker's "acks" set, which no one requeues while its heartbeat goes on. So once Redis answers
    again after an outage, the worker takes a new identity: its old one falls silent, and its
    messages are requeued one heartbeat timeout later, like a dead worker's. A message it was still
    running may then run twice; every step is safe to run again (``pipeline.crash_points``).

    Only for the Redis broker (RabbitMQ gives a dead consumer's messages back by itself).
    """

    #: How often Redis is asked whether it answers (an outage shorter than this may go unseen,
    #: unless a retry could not be enqueued during it, which reports it).
    CHECK_S = 1.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._outage = threading.Event()

    def outage_seen(self) -> None:
        """Redis failed a call somewhere in this process: take a new identity once it answers."""
        self._outage.set()

    def after_worker_boot(self, broker, worker):
        from dramatiq.brokers.redis import RedisBroker

        self._worker = worker
        if isinstance(broker, RedisBroker):
            threading.Thread(target=self._run, args=(broker,), name="dead-worker-recovery", daemon=True).start()

    def before_worker_shutdown(self, broker, worker):
        self._stop.set()

    def _run(self, broker) -> None:
        interval_s, due = broker.heartbeat_timeout / 2000, 0.0
        while not self._stop.is_set():
            try:
                broker.client.ping()
                if self._outage.is_set():
                    self._outage.clear()
                    self._new_identity(broker)
                    self._forget_held(getattr(self, "_worker", None))
                    due = 0.0
                if time.monotonic() >= due:
                    due = time.monotonic() + interval_s
                    self._maintain(broker)
            except Exception as error:  # Redis away: the worker goes on, and changes identity once it is back
                if not self._outage.is_set():
                    logger.warning("Redis does not answer (%s: %s); this worker takes a new identity once it does.",
                                   type(error).__name__, error)
                self._outage.set()
            self._stop.wait(self.CHECK_S)

    @staticmethod
    def _maintain(broker) -> None:
        for worker, count in recover_dead_workers(broker).items():
            logger.warning("Requeued %d unacknowledged messages of dead worker %s (silent for more than %d ms).",
                           count, worker, broker.heartbeat_timeout)

    @staticmethod
    def _forget_held(worker) -> None:
        # A consumer counts each message it handed out until its ack or nack, and fetches no more
        # once its prefetch is counted. An ack or nack that failed in the outage (a middleware's
        # before-hook could not reach Redis) never comes, so its count would stay: a consumer
        # could stop fetching for good. What the old identity held is requeued anyway.
        for thread in (worker.consumers.values() if worker is not None else ()):
            consumer = getattr(thread, "consumer", None)
            if consumer is not None and hasattr(consumer, "queued_message_ids"):
                consumer.queued_message_ids.clear()

    @staticmethod
    def _new_identity(broker) -> None:
        old, broker.broker_id = broker.broker_id, str(uuid.uuid4())
        logger.warning("Redis answers again: this worker goes on as %s; what it held as %s is requeued once that "
                       "identity has been silent %d ms.", broker.broker_id, old, broker.heartbeat_timeout)


class RetryNotEnqueuedError(MiddlewareError):
    """Raised before acknowledging a message whose retry could not be enqueued: it must stay unacked."""


class DurableRetries(Retries):
    """Dramatiq's retries, except that a retry Redis refused to enqueue keeps its message.

    Dramatiq logs the failed enqueue and acknowledges the message anyway (once Redis answers):
    the message and its records were lost. Here the acknowledgement is refused instead, and the
    outage reported to ``DeadWorkerRecovery``, which makes the message come back.
    """

    def __init__(self, *, recovery: DeadWorkerRecovery, **options) -> None:
        super().__init__(**options)
        self.recovery = recovery
        self._unsent: set[str] = set()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        try:
            if isinstance(exception, WaitError):
                # Waiting for its target is a delay, not an attempt: re-sent without counting a retry.
                message.options["waits"] = message.options.get("waits", 0) + 1
                broker.enqueue(message, delay=int((exception.retry_after or 1) * 1000))
                return
            super().after_process_message(broker, message, result=result, exception=exception)
        except Exception as error:
            self._unsent.add(message.message_id)
            self.recovery.outage_seen()
            logger.warning("Could not enqueue the retry of message %s (%s: %s); it stays unacknowledged and comes "
                           "back after the outage.", message.message_id, type(error).__name__, error)

    def before_ack(self, broker, message):
        if message.message_id in self._unsent:
            self._unsent.discard(message.message_id)
            # Acks run on the consumer's thread. The consumer counts the message as outstanding until
            # it is acked, and it never will be here: without this, a consumer whose whole prefetch was
            # refused would never fetch again (the message itself stays in Redis' acks set, to be requeued).
            consumer = getattr(threading.current_thread(), "consumer", None)
            if consumer is not None and hasattr(consumer, "queued_message_ids"):
                consumer.queued_message_ids.discard(message.message_id)
            raise RetryNotEnqueuedError(f"The retry of message {message.message_id} was not enqueued.")
