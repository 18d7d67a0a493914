"""Dramatiq middleware that records what happens to every message, and closes the books of failures.

Hook order matters (verified on dramatiq 2.2): after-hooks run in reverse order of the
middleware list, so ours, added after ``Retries``, see a failed attempt *before* ``Retries``
decides about it; a failed attempt that will be retried is acked and enqueued again (with a
delay, through ``before_enqueue``); only the terminal failure reaches ``after_nack``.

So: ``before_enqueue`` -> scheduled / enqueued / retrying; ``before_process_message`` -> running;
``after_process_message`` -> done, or keeps the attempt's error; ``after_skip_message`` -> skipped;
``after_nack`` -> failed.

Each change also keeps the run's in-flight books (``pipeline.books.inflight``) in the same
transaction. Each delivery gets a token of its own (``options["delivery"]``), so two copies of one
message running at once (a worker taken for dead that was not) are two entries, and the run is
not finished while either runs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Mapping

import dramatiq
from dramatiq.common import q_name

from pipeline.books import Books, Failure, LoadOutcomes
from pipeline.books.backlog import StatusBacklog
from pipeline.books.batches import record_name, unkeyed
from pipeline.errors import WaitError
from pipeline.redaction import redact

logger = logging.getLogger(__name__)

#: How many record keys a message's status shows.
KEYS_SHOWN = 10


def step_of(actor_name: str) -> str:
    """``load__background`` -> ``load``: the step an actor runs, whatever its tier."""
    return actor_name.split("__")[0]


class StatusTracking(dramatiq.Middleware):
    """Keeps a status record per message (``pipeline.books.messages``) and logs one line per change.

    Args:
        books: where statuses are written.
        secrets: values to mask in errors and tracebacks (on top of secret-shaped text).
        owner: this process's id as its heartbeat names it (``pipeline.flow.consumers``): the deliveries
            it runs are its own, and end with it.
    """

    #: How often a worker tries to write the changes it holds (``pipeline.books.backlog``).
    FLUSH_S = 1.0

    def __init__(self, *, books: Books, secrets: set[str], owner: str = "") -> None:
        self.books, self.secrets, self.owner = books, secrets, owner
        #: Changes Redis refused (an outage), written once it answers again.
        self.backlog = StatusBacklog(books.messages)
        self._stop = threading.Event()
        #: Tokens of the deliveries running in this process, listed at each heartbeat: a delivery the
        #: books still show but its live worker no longer lists ended without its end being written.
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def after_worker_boot(self, broker, worker):
        threading.Thread(target=self._flush_held, name="status-backlog", daemon=True).start()

    def before_worker_shutdown(self, broker, worker):
        self._stop.set()
        self.backlog.flush()

    def _flush_held(self) -> None:
        while not self._stop.wait(self.FLUSH_S):
            if len(self.backlog):
                self.backlog.flush()

    def running_deliveries(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

    def _in_flight(self, message) -> tuple[str, str, str, str]:
        # The Redis broker's own id of this copy (set before ``before_enqueue``; "" on other brokers).
        return (q_name(message.queue_name), message.options.get("delivery", ""), self.owner,
                message.options.get("redis_message_id", ""))

    def _ended(self, message) -> None:
        with self._lock:
            self._running.discard(message.options.get("delivery", ""))

    def _change(self, message, state: str, **fields) -> None:
        kwargs = message.kwargs or {}
        run_id = kwargs.get("run_id")
        try:
            old = self.books.messages.transition(message.message_id, state, run_id,
                                                 in_flight=self._in_flight(message), **fields)
        except Exception as error:  # a status write must never fail the work itself: held, written later
            if not len(self.backlog):
                logger.warning("Could not record state %r of message %s (%s: %s); this worker holds its status "
                               "changes until Redis answers.", state, message.message_id, type(error).__name__,
                               error)
            self.backlog.hold(message.message_id, state, run_id, fields, self._in_flight(message))
            return
        logger.info("Message %s of run %s (%s, %s) %s -> %s.", message.message_id, run_id, message.actor_name,
                    kwargs.get("integration"), old or "new", state,
                    extra={"event": "message_state", "message_id": message.message_id, "run_id": run_id,
                           "actor": message.actor_name, "integration": kwargs.get("integration"),
                           "state": state, "previous_state": old, "keys": fields.get("keys")})

    def before_enqueue(self, broker, message, delay):
        retries = message.options.get("retries", 0)
        waits = message.options.get("waits")  # times it waited for its target (DurableRetries), not attempts
        if delay and retries:
            self._change(message, "retrying", attempts=retries, next_attempt_at=time.time() + delay / 1000,
                         max_retries=message.options.get("max_retries"), waits=waits)
        elif delay and waits:
            self._change(message, "scheduled", eta=time.time() + delay / 1000, waits=waits)
        elif delay:
            self._change(message, "scheduled", eta=time.time() + delay / 1000, **self._describe(message))
        else:
            self._change(message, "enqueued", **self._describe(message))

    def before_process_message(self, broker, message):
        # Listed as running before its start is written: a heartbeat between the two lists it
        # (finish.lua counts on it).
        delivery = message.options["delivery"] = uuid.uuid4().hex[:16]
        with self._lock:
            self._running.add(delivery)
        # Counted by the Attempts middleware (pipeline.books.attempts), which runs before this one.
        self._change(message, "running", attempt=message.options["attempts"], worker=os.getpid())

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None:
            self._change(message, "done")
            self._ended(message)
            return
        try:
            # This delivery is over; the message is not (a retry, or ``after_nack``, comes next).
            self.books.messages.delivery_ended(message.message_id, (message.kwargs or {}).get("run_id"),
                                               self._in_flight(message))
        except Exception:
            logger.exception("Could not record the end of a delivery of message %r.", message.message_id)
        self._ended(message)
        if isinstance(exception, WaitError):
            return  # no attempt failed: it waits for its target (scheduled again by DurableRetries)
        error = redact(f"{type(exception).__name__}: {exception}", self.secrets)
        trace = redact("".join(traceback.format_exception(exception, limit=20)), self.secrets)
        try:
            self.books.messages.redis.hset(self.books.messages.key(message.message_id), mapping={
                "error_type": type(exception).__name__, "error": error, "traceback": trace})
        except Exception as error:  # Redis away: the attempt's failure still counts, in the message's options
            logger.warning("Could not record the error of message %s (%s: %s).", message.message_id,
                           type(error).__name__, error)

    def after_skip_message(self, broker, message):
        self._change(message, "skipped", reason=message.options.get("skip_reason", "skipped by middleware"))
        self._ended(message)

    def after_nack(self, broker, message):
        self._change(message, "failed", attempts=message.options.get("attempts", 1))
        self._ended(message)

    def _describe(self, message) -> dict:
        kwargs = message.kwargs or {}
        integration = kwargs.get("integration")
        if "items" in kwargs:
            keys = [item.get("key") for item in kwargs["items"]]
        elif "records" in kwargs:
            keys = [None] * len(kwargs["records"])  # named once mapped, in their load message
        else:
            keys = list(kwargs.get("refs") or [])
        return {"actor": message.actor_name, "queue": message.queue_name, "integration": integration,
                "records": len(keys), "keys": [key for key in keys[:KEYS_SHOWN] if key] or None}


class RunAccounting(dramatiq.Middleware):
    """When a message fails for good, its records become dead letters and count as failed in their run.

    Without it, a run whose message ran out of retries would never finish. It reads everything
    from the message's options: ``attempts`` and ``last_error`` (kept by ``Attempts``, always on),
    and ``booked_as`` and ``batch_id`` (set by the sender, ``pipeline.flow.chain``).
    """

    def __init__(self, *, books: Books, integrations: Mapping[str, object] | None = None) -> None:
        self.books = books
        #: The app's integrations (``pipeline.flow``, a layer above: not imported), to name the records
        #: of a failed map message as the map step does (``batches.record_name``).
        self.integrations = integrations or {}

    def after_nack(self, broker, message):
        kwargs = message.kwargs or {}
        run_id, integration = kwargs.get("run_id"), kwargs.get("integration")
        if not run_id or not integration:
            return
        error = message.options.get("last_error", "failed")
        error_type = message.options.get("last_error_type", "Error")
        attempts = message.options.get("attempts", 1)
        step = step_of(message.actor_name)
        if step == "extract":
            # The run itself failed: no record was lost, so nothing counts as a failed record; the
            # extraction is kept as a dead letter, and retrying it starts the run again.
            self.books.runs.fail_run(run_id, error)
            failed = Failure(key=f"(extract {run_id})", stage="extract", error=error, error_type=error_type,
                             record={"mode": kwargs.get("mode"), "refs": kwargs.get("refs")})
            with self.books.redis.pipeline() as pipe:
                self.books.dead_letters.add(pipe, integration, [failed], run_id, message.message_id, attempts)
                pipe.execute()
            failures = []
        elif step == "map":
            batch = message.options.get("batch_id") or message.message_id
            found = self.integrations.get(integration)
            failures = [Failure(key=record_name(found.mapper, found.spec.source.system, record, batch, index)
                                if found else unkeyed(batch, index),
                                stage="map", error=error, error_type=error_type, record=record)
                        for index, record in enumerate(kwargs.get("records", []))]
        elif step == "load":
            failures = [Failure(key=item["key"], stage="load", error=error, error_type=error_type, record=item)
                        for item in kwargs.get("items", [])]
        else:
            return
        if failures:
            self.books.loads_done(run_id, integration, LoadOutcomes(failures=failures), message.message_id,
                                  message.options.get("booked_as") or message.message_id, attempts)
        logger.error("Message %s (%s) of run %s failed for good after %d attempts: %s", message.message_id,
                     message.actor_name, run_id, attempts, error,
                     extra={"event": "message_failed", "message_id": message.message_id, "run_id": run_id,
                            "integration": integration, "attempts": attempts})
