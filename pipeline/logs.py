"""Logging for workers and the command line: one line per event, text or JSON, secrets masked.

The redaction filter sits on the handler, so it masks every record that reaches the output,
Dramatiq's own included (its tracebacks carry the arguments of failing calls).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable

from pipeline.errors import RetryableError, WaitError
from pipeline.redaction import redact

#: Attributes every LogRecord has; anything else was passed with ``extra=`` and goes into JSON output.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Masks secrets in the rendered message and traceback of every record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = set(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


class MessageNaming(logging.Filter):
    """Dramatiq names a message by its actor *and arguments*: whole records, personal data. Here a
    message is named by its actor and id; and an expected, retryable failure is one line, no traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_is_message(arg) for arg in record.args):
            record.args = tuple(f"{arg.actor_name}[{arg.message_id}]" if _is_message(arg) else arg
                                for arg in record.args)
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RetryableError) and record.name.startswith("dramatiq"):
            # The status line and the message's stored error say the rest; a traceback per attempt
            # of an outage buried everything else.
            said = record.getMessage().rstrip(".")
            record.args, record.exc_info, record.exc_text = None, None, None
            if isinstance(error, WaitError):  # no attempt failed: the message waits for its target
                record.msg = f"{said}: {error} (not an attempt)."
                record.levelno, record.levelname = logging.INFO, "INFO"
            else:
                record.msg = f"{said}: {type(error).__name__}: {error} (retried with backoff)."
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _is_message(value: object) -> bool:
    return hasattr(value, "actor_name") and hasattr(value, "message_id") and hasattr(value, "kwargs")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "pid": record.process}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, default=str)


def configure_logging(*, level: int, json_output: bool, secrets: Iterable[str]) -> None:
    """Install our formatter and the redaction filter on the root logger's handlers (adding one if none)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    formatter = JsonFormatter() if json_output else logging.Formatter(
        "[%(asctime)s] [PID %(process)d] [%(levelname)s] %(name)s: %(message)s")
    redacting = RedactingFilter(secrets)
    for handler in root.handlers:
        handler.setFormatter(formatter)
        handler.addFilter(MessageNaming())  # before redaction, which renders the message
        handler.addFilter(redacting)
    root.setLevel(level)
