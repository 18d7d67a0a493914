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

import dramatiq
from dramatiq.common import current_millis

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
    """Requeues dead workers' unacknowledged messages, on every queue, every half heartbeat timeout.

    Only for the Redis broker (RabbitMQ gives a dead consumer's messages back by itself).
    """

    def __init__(self) -> None:
        self._stop = threading.Event()

    def after_worker_boot(self, broker, worker):
        from dramatiq.brokers.redis import RedisBroker

        if isinstance(broker, RedisBroker):
            threading.Thread(target=self._run, args=(broker,), name="dead-worker-recovery", daemon=True).start()

    def before_worker_shutdown(self, broker, worker):
        self._stop.set()

    def _run(self, broker) -> None:
        interval_s = broker.heartbeat_timeout / 2000
        while True:
            try:
                dead = recover_dead_workers(broker)
            except Exception as error:  # Redis away: the next pass tries again, the worker goes on
                logger.warning("Could not look for dead workers' messages (%s: %s); trying again in %.0f s.",
                               type(error).__name__, error, interval_s)
            else:
                for worker, count in dead.items():
                    logger.warning("Requeued %d unacknowledged messages of dead worker %s (silent for more than "
                                   "%d ms).", count, worker, broker.heartbeat_timeout)
            if self._stop.wait(interval_s):
                return
