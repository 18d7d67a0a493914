"""What the console reads and does, over the application the command line uses.

The console performs retries and discards through the very operations of ``connector
dead-letters`` (``App.retry_dead_letters``, the dead-letter store's ``discard``),
so a retry from the page is the same retry as one from the shell. Queue depths and workers are
read where Dramatiq's Redis broker keeps them::

    <broker ns>:<queue>            list: ready message ids
    <broker ns>:<queue>.DQ         list: delayed (scheduled, or waiting to be retried)
    <broker ns>:<queue>.XQ         sorted set: dead (Dramatiq gave up on the message)
    <broker ns>:__heartbeats__     sorted set: broker id -> last heartbeat (ms)
    <broker ns>:__acks__.<id>.<q>  set: messages a worker fetched and has not acknowledged yet
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.books import Books
from pipeline.books.dead_letters import DeadLetter
from pipeline.flow.consumers import live_consumers

#: The queues, in the order workers take them (Dramatiq priority).
QUEUES = ("urgent", "normal", "background")
#: A consuming worker beats at least this often: its idle delay-queue consumers fetch every second
#: (Dramatiq's worker timeout), and every ack beats. A producer beats only when it enqueues.
CONSUMER_BEAT_S = 10.0


@dataclass(frozen=True)
class QueueDepth:
    name: str
    ready: int
    delayed: int
    dead: int

    @property
    def waiting(self) -> int:
        return self.ready + self.delayed


@dataclass(frozen=True)
class WorkerBeat:
    broker_id: str
    last_beat_at: float
    age_s: float
    #: Within Dramatiq's heartbeat timeout: its unacknowledged messages are left to it.
    live: bool
    #: Beat within ``CONSUMER_BEAT_S``: a worker consuming messages (or a producer that just sent one).
    consuming: bool
    #: Messages fetched and not yet acknowledged, per queue.
    in_flight: dict


class Console:
    """The console's view of one deployment.

    Args:
        app: the application the command line builds (``pipeline.app.App``): its ``books``,
            ``integrations``, ``broker``, ``settings``, ``ticks`` and ``retry_dead_letters``.
    """

    def __init__(self, app, *, clock=time.time) -> None:
        self.app, self.clock = app, clock
        self.books: Books = app.books
        self.settings = app.settings

    # Integrations ------------------------------------------------------------------------------
    @property
    def integrations(self) -> dict:
        return self.app.integrations

    def integration_names(self) -> list[str]:
        return sorted(self.app.integrations)

    def last_tick(self, integration: str):
        decisions = self.app.ticks.decisions(integration, 1)
        return decisions[0] if decisions else None

    # Actions -----------------------------------------------------------------------------------
    def retry(self, letters: Iterable[DeadLetter]) -> dict[str, str]:
        """Send dead letters again (urgent queue), each at the step it failed; integration -> run id."""
        return self.app.retry_dead_letters(list(letters))

    def discard(self, letters: Iterable[DeadLetter]) -> int:
        return sum(self.books.dead_letters.discard(letter.integration, letter.failure.key) for letter in letters)

    # Vendor request budgets ------------------------------------------------------------------------
    def _budget_names(self) -> list[str]:
        return sorted(name.decode() for name in self.books.redis.smembers(f"{self.settings.namespace}:budgets"))

    def budgets(self) -> dict[str, int]:
        """Concurrency budget name -> request slots held now (``pipeline.systems.concurrency``)."""
        names, ns = self._budget_names(), self.settings.namespace
        values = self.books.redis.mget([f"{ns}:budget:{name}" for name in names]) if names else []
        return {name: int(value or 0) for name, value in zip(names, values)}

    def vendor_requests(self) -> dict[str, dict[str, int]]:
        """Budget name -> outcome (2xx, 429, 5xx, unanswered...) -> requests, as the budgets' slots count them."""
        names, ns = self._budget_names(), self.settings.namespace
        with self.books.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(f"{ns}:vendor:{name}")
            replies = pipe.execute() if names else []
        return {name: {k.decode(): int(v) for k, v in reply.items()} for name, reply in zip(names, replies) if reply}

    # Queues and workers --------------------------------------------------------------------------
    @property
    def _broker_redis(self):
        """(client, namespace) of Dramatiq's Redis broker, or None for RabbitMQ and the embedded broker."""
        broker = self.app.broker
        client = getattr(broker, "client", None)
        return (client, broker.namespace) if client is not None else None

    @property
    def broker_kind(self) -> str:
        return type(self.app.broker).__name__

    def queues(self) -> list[QueueDepth]:
        found = self._broker_redis
        if found is None:
            return []
        client, ns = found
        with client.pipeline(transaction=False) as pipe:
            for queue in QUEUES:
                pipe.llen(f"{ns}:{queue}")
                pipe.llen(f"{ns}:{queue}.DQ")
                pipe.zcard(f"{ns}:{queue}.XQ")
            replies = pipe.execute()
        return [QueueDepth(queue, *replies[i * 3:i * 3 + 3]) for i, queue in enumerate(QUEUES)]

    def workers(self) -> list[WorkerBeat]:
        """Every broker that sent Dramatiq a heartbeat, newest first; live if within the heartbeat timeout.

        Producers (the command line, this console) beat too when they enqueue; this console's own
        broker is left out.
        """
        found = self._broker_redis
        if found is None:
            return []
        client, ns = found
        own = getattr(self.app.broker, "broker_id", None)
        timeout_s = self.settings.heartbeat_timeout_ms / 1000
        now = self.clock()
        beats = [(raw_id.decode(), score / 1000)
                 for raw_id, score in client.zrevrange(f"{ns}:__heartbeats__", 0, -1, withscores=True)
                 if raw_id.decode() != own]
        # Each worker's unacknowledged messages, by known queue name: no SCAN of the keyspace, which
        # holds a key per message status.
        queues = [name for queue in QUEUES for name in (queue, f"{queue}.DQ")]
        with client.pipeline(transaction=False) as pipe:
            for broker_id, _ in beats:
                for queue in queues:
                    pipe.scard(f"{ns}:__acks__.{broker_id}.{queue}")
            sizes = pipe.execute() if beats else []
        found = []
        for number, (broker_id, at) in enumerate(beats):
            held = dict(zip(queues, sizes[number * len(queues):(number + 1) * len(queues)]))
            age = max(now - at, 0.0)
            found.append(WorkerBeat(broker_id, at, age, age < timeout_s, age < CONSUMER_BEAT_S,
                                    {queue: count for queue, count in held.items() if count}))
        return found

    def consumers(self) -> dict[str, list[str]]:
        """Live worker processes (their ids in ``pipeline.flow.consumers``) and the queues each consumes."""
        settings = self.settings
        found = live_consumers(self.app.books.redis, settings.namespace, settings.heartbeat_timeout_ms)
        return {process: sorted(queues) for process, queues in sorted(found.items())}

    def stranded_queues(self, queues: list[QueueDepth]) -> list[QueueDepth]:
        """Queues with work waiting while no live worker consumes them: the banner's subject.

        Per queue: workers started with ``--queues urgent`` leave ``normal`` stranded.
        """
        consumed = set().union(*self.consumers().values())
        return [queue for queue in queues if queue.waiting and queue.name not in consumed]
