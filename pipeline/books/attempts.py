"""Dramatiq middleware that counts a message's attempts and keeps its last error, always on.

The count and the error live in the message's options, where the step (``load_records`` books a
record's attempts) and ``RunAccounting`` (a dead letter's attempts and error) read them; status
tracking only reads them too, so turning it off changes no dead letter.

It must sit after ``Retries`` in the middleware list: after-hooks run in reverse order, so the
error is kept before ``Retries`` enqueues the message again or gives up on it.
"""

from __future__ import annotations

from collections.abc import Iterable

import dramatiq

from pipeline.errors import WaitError
from pipeline.redaction import redact


class Attempts(dramatiq.Middleware):
    """Sets ``attempts`` before each attempt, ``last_error`` and ``last_error_type`` after a failed one.

    Args:
        secrets: values masked in the error kept (on top of secret-shaped text).
    """

    def __init__(self, *, secrets: Iterable[str] = ()) -> None:
        self.secrets = set(secrets)

    def before_process_message(self, broker, message):
        # Our own count: Dramatiq's "retries" is bumped before a final failure but not before an abort.
        message.options["attempts"] = message.options.get("attempts", 0) + 1

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None:
            return
        if isinstance(exception, WaitError):
            # It waited for its target instead of trying (DurableRetries re-sends it): no attempt made.
            message.options["attempts"] -= 1
            return
        # Kept in the message itself, where after_nack finds it if this was the last attempt.
        message.options["last_error"] = redact(f"{type(exception).__name__}: {exception}", self.secrets)
        message.options["last_error_type"] = type(exception).__name__
