"""Status tracking as a Dramatiq middleware: what happened to each message of a run.

Dramatiq calls after-hooks in reverse order, so this middleware (added after ``Retries``) sees
a failed attempt before ``Retries`` decides about it, and only a terminal failure reaches
``after_nack``. The error of each failed attempt is kept in the message's options, where
``after_nack`` finds it once retries have run out.
"""

from __future__ import annotations

import logging

import dramatiq

from pipeline.runs import Failure, RunStore
from pipeline.steps import load_failure

logger = logging.getLogger(__name__)


class RunAccounting(dramatiq.Middleware):
    """Counts the records of messages that failed for good into their run, so runs always finish."""

    def __init__(self, *, runs: RunStore) -> None:
        self.runs = runs

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is not None:
            message.options["last_error"] = f"{type(exception).__name__}: {exception}"
            message.options["last_error_type"] = type(exception).__name__

    def after_nack(self, broker, message):
        kwargs = message.kwargs or {}
        run_id = kwargs.get("run_id")
        if not run_id:
            return
        error = message.options.get("last_error", "failed")
        error_type = message.options.get("last_error_type", "Error")
        step = message.actor_name.split("__")[0]
        if step == "extract":
            self.runs.fail_run(run_id, error)
        elif step == "map":
            self.runs.record(run_id, failures=[
                Failure(key=f"{run_id}#{message.message_id}:{index}", stage="map", error=error,
                        error_type=error_type, record=record)
                for index, record in enumerate(kwargs.get("records", []))])
        elif step == "load":
            failures = [load_failure(item, error, error_type) for item in kwargs.get("items", [])]
            self.runs.record(run_id, failures=failures)
        logger.error("Message %r (%s) of run %r failed for good: %s", message.message_id,
                     message.actor_name, run_id, error)

