"""The whole exception tree of the library (standard library only).

* PipelineError
  + ConfigError            a setting, a mapping file or a name is wrong; fix it and restart
    - MappingError         every problem of one mapping file, each with its field path
    - SystemFileError      every problem of one system file (a REST system described in YAML)
    - UnknownNameError     a name that is not registered (system, entity, connector, ...)
  + RemoteError            an external system failed a request
    - RetryableError       try again later (timeouts, connection errors, 429, 5xx)
    - FatalError           retrying will not help (other 4xx, rejected payloads)
      - AuthError          credentials rejected (401, 403)
      - NotFoundError      the record or endpoint does not exist (404)
  + RecordError            one record cannot be mapped or validated; it fails alone
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


class PipelineError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigError(PipelineError):
    """A setting, mapping file or name is wrong: fix the configuration and start again."""


class MappingError(ConfigError):
    """Every problem found in one mapping file.

    Args:
        path: the mapping file.
        problems: ``{dotted field path: [messages]}``, all problems at once.
    """

    def __init__(self, path: str, problems: Mapping[str, list[str]]) -> None:
        self.path = path
        self.problems = dict(problems)
        lines = [f"  {where}: {message}" for where, messages in self.problems.items() for message in messages]
        count = sum(len(messages) for messages in self.problems.values())
        super().__init__(f"Invalid mapping file {path} ({count} problem{'s' * (count != 1)}):\n" + "\n".join(lines))


class SystemFileError(ConfigError):
    """Every problem found in one system file (``systems/*.yaml``), each with its dotted path."""

    def __init__(self, path: str, problems: Mapping[str, list[str]]) -> None:
        self.path = path
        self.problems = dict(problems)
        lines = [f"  {where}: {message}" for where, messages in self.problems.items() for message in messages]
        count = sum(len(messages) for messages in self.problems.values())
        super().__init__(f"Invalid system file {path} ({count} problem{'s' * (count != 1)}):\n" + "\n".join(lines))


class UnknownNameError(ConfigError):
    """A name that is not one of the known values, with a close match as a suggestion."""

    def __init__(self, kind: str, name: object, known: Iterable[str], where: str = "") -> None:
        self.kind, self.name, self.known = kind, name, sorted(known)
        message = f"Unknown {kind} {name!r}{f' in {where}' if where else ''}. Known values: {', '.join(self.known)}."
        close = difflib.get_close_matches(str(name), self.known, n=1)
        if close:
            message += f" Did you mean {close[0]!r}?"
        super().__init__(message)


class RemoteError(PipelineError):
    """An external system failed a request.

    Args:
        message: what failed, never with secrets or whole response bodies.
        system: the system's name.
        status: the HTTP status (or the vendor's fault code), when there is one.
    """

    def __init__(self, message: str, *, system: str = "", status: int | None = None) -> None:
        self.system, self.status = system, status
        super().__init__(message)


class RetryableError(RemoteError):
    """A failure worth retrying; ``retry_after`` (seconds) is the server's own hint, if it gave one."""

    def __init__(self, message: str, *, system: str = "", status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, system=system, status=status)
        self.retry_after = retry_after


class NotSentError(RetryableError):
    """A record not sent at all: the records before it found its target down. Retried like them."""


class WaitError(RetryableError):
    """The message waits ``retry_after`` seconds for its target (an open circuit breaker) without trying:
    the wait is a delay, not an attempt, and uses up none of its retries."""


class FatalError(RemoteError):
    """A failure that retrying cannot fix: the record fails at once and waits for an operator."""


class AuthError(FatalError):
    """The system rejected our credentials: no record can succeed until an operator fixes them."""


class NotFoundError(FatalError):
    """The record or endpoint does not exist (HTTP 404); upserts use it to decide to create."""


class RecordError(PipelineError):
    """One record cannot be mapped or validated.

    Args:
        message: a one-line summary.
        problems: ``{field path: [messages]}`` as marshmallow reports them.
    """

    def __init__(self, message: str, problems: Mapping[str, object] | None = None) -> None:
        self.problems = dict(problems or {})
        super().__init__(message)


#: Exception class names retried by default besides RetryableError: network trouble from any client.
RETRYABLE_NAMES = frozenset({"ConnectionError", "TimeoutError", "Timeout", "ConnectTimeout", "ReadTimeout",
                             "ChunkedEncodingError", "ProtocolError"})


def finds_target_down(error: BaseException) -> bool:
    """Whether ``error`` says the target itself is down (no answer, or a 5xx), not that it refused a record.

    A 429 is not: the target answers, only slower (the concurrency budget deals with it).
    """
    status = getattr(error, "status", None)
    if isinstance(error, RetryableError):
        return status is None or (isinstance(status, int) and status >= 500)
    return is_retryable(error)


def is_retryable(error: BaseException, also: Iterable[str] = ()) -> bool:
    """Whether retrying may help: RetryableError, network errors, or a class an integration allows.

    Class names are compared along the MRO, so an integration's allow-list (``retry_on``) can
    name a client library's exception without this module importing that library.
    """
    if isinstance(error, RetryableError):
        return True
    if isinstance(error, (FatalError, RecordError, ConfigError)):
        return False
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & RETRYABLE_NAMES or names & set(also))
