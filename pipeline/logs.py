"""Logging for workers and the command line: one line per event, text or JSON, secrets masked.

The redaction filter sits on the handler, so it masks every record that reaches the output,
Dramatiq's own included (its tracebacks carry the arguments of failing calls).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable

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
        handler.addFilter(redacting)
    root.setLevel(level)
