"""Exit codes of ``connector``, and the one-line advice printed instead of a traceback.

Scripts branch on the exit status: ``0`` the command did what was asked (a run completed),
``1`` it finished but something failed (failed records, a failed run, a failed check),
``2`` it could not start: a usage or configuration error, or a service it needs is unreachable.

``explain`` turns the errors an operator can fix (Redis down, a busy port, a missing extra, a
mapping too deep to parse) into *what* failed, *where*, and *what to do*; anything else keeps
its traceback. ``-v`` shows the traceback of explained errors too.
"""

from __future__ import annotations

import errno
import os

import redis

from pipeline.errors import ConfigError, PipelineError
from pipeline.redaction import redact_url
from pipeline.settings import DEFAULT_REDIS_URL

#: The command did what was asked.
OK = 0
#: It finished, but records or the run failed (or a check did not pass).
FAILED = 1
#: Usage or configuration error, or a service the command needs cannot be reached.
USAGE = 2


class Exit(Exception):
    """Stop the command with ``code``, printing ``message`` (one line) on stderr."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


def explain(error: BaseException) -> Exit | None:
    """The advice and exit code for an error an operator can fix; None for anything else (a bug)."""
    if isinstance(error, Exit):
        return error
    if isinstance(error, ConfigError):
        return Exit(str(error), USAGE)
    if isinstance(error, PipelineError):
        return Exit(str(error), FAILED)
    if isinstance(error, redis.ConnectionError):
        url = redact_url(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
        return Exit(f"Cannot reach Redis at {url} (REDIS_URL): {_first_line(error)} "
                    "Start Redis, or point REDIS_URL at it, or use `connector run X --embedded`.", USAGE)
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return Exit(f"Cannot listen: the address is already in use ({error.strerror}). Stop what listens "
                    "there, or choose another port (--port / --port-base).", USAGE)
    if isinstance(error, ModuleNotFoundError) and error.name == "pika":
        return Exit("PIPELINE_BROKER_URL is amqp:// (RabbitMQ) but the 'pika' package is not installed: "
                    "pip install 'pipeline-connectors[rabbitmq]', or use a redis:// broker URL.", USAGE)
    if isinstance(error, RecursionError):
        return Exit("A mapping file is nested too deeply to read (YAML nesting or a JMESPath expression "
                    "hundreds of levels deep): flatten it. Run `connector validate` to find the file.", USAGE)
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if text.endswith(".") else text + "."
