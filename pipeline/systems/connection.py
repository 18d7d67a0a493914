"""Reading a connection's environment variables, every problem collected and none of them echoing a secret.

Each vendor's ``config`` module subclasses ``ConnectionVars`` for what is its own (credentials, an
API key's data center, a URL's expected path) and raises all problems at once with ``check()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from pipeline.errors import ConfigError


class ConnectionVars:
    """The ``PIPELINE_<CONNECTION>_*`` variables of one connection."""

    def __init__(self, connection: str, environ: Mapping[str, str]) -> None:
        self.connection = connection
        self.prefix = f"PIPELINE_{connection.upper()}_"
        self.environ = environ
        self.problems: list[str] = []

    def name(self, suffix: str) -> str:
        return self.prefix + suffix

    def get(self, suffix: str) -> str:
        return (self.environ.get(self.name(suffix)) or "").strip()

    def required(self, suffix: str) -> str:
        value = self.get(suffix)
        if not value:
            self.problems.append(f"{self.name(suffix)} is not set.")
        return value

    def integer(self, suffix: str, default, *, minimum: int):
        """A whole number of at least ``minimum``, or ``default`` when unset."""
        raw = self.get(suffix)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{self.name(suffix)}={raw!r} is not a whole number.")
            return default
        if value < minimum:
            self.problems.append(f"{self.name(suffix)}={raw!r} must be at least {minimum}.")
        return value

    def number(self, suffix: str, default, low, high, kind=int):
        """A number of type ``kind`` from ``low`` to ``high``, or ``default`` when unset."""
        raw = self.get(suffix)
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            self.problems.append(f"{self.name(suffix)}={raw!r} is not a number.")
            return default
        if not low <= value <= high:
            self.problems.append(f"{self.name(suffix)}={raw!r} must be from {low} to {high}.")
            return default
        return value

    def choice(self, suffix: str, choices: tuple[str, ...]) -> str:
        """One of ``choices`` (case-insensitive); the first when unset."""
        raw = self.get(suffix).lower() or choices[0]
        if raw not in choices:
            self.problems.append(f"{self.name(suffix)}={raw!r} must be one of: {', '.join(choices)}.")
            return choices[0]
        return raw

    def http_url(self, *, what: str, path_part: str, path_hint: str, example: str) -> str:
        """``URL``: an http(s) URL whose path contains ``path_part``; checked without echoing it."""
        raw = self.get("URL")
        if not raw:
            self.problems.append(f"{self.name('URL')} is not set: {what}, e.g. {example}.")
            return ""
        parts = urlsplit(raw)
        # The value is not echoed: a URL may carry user:password@ (HTTP basic auth in front of a shop).
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problems.append(f"{self.name('URL')} must be an http(s) URL, e.g. {example}.")
        elif path_part not in parts.path:
            self.problems.append(f"{self.name('URL')} must {path_hint}, e.g. {example}.")
        return raw

    def check(self, label: str) -> None:
        """Raise every problem found, as one ConfigError."""
        if self.problems:
            lines = "\n  ".join(self.problems)
            raise ConfigError(f"Invalid {label} connection {self.connection!r}:\n  {lines}")
