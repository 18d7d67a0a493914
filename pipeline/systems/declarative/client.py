"""A declared system's HTTP calls: the shared HttpClient plus the file's errors, retries and limits.

* error bodies are read with the file's ``errors.message`` (JMESPath), never shown whole;
* ``errors.retryable`` decides which statuses are retried (connection errors and timeouts always are);
* a GET that meets a retryable error is retried in place (``ReadRetries``); writes are not, the
  pipeline retries them per record;
* a 401 is tried once more when the signer can renew (an OAuth 2 token);
* every message is redacted with the connection's secret values, whatever the API echoes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

import requests

from pipeline.errors import AuthError, FatalError, RemoteError, RetryableError
from pipeline.redaction import redact
from pipeline.systems.declarative.spec import ErrorsSpec
from pipeline.systems.http import HttpClient, make_session
from pipeline.systems.read_retries import ReadRetries

#: Longest vendor message kept in an error (bodies can be pages long).
MAX_MESSAGE = 300


class DeclaredClient:
    def __init__(self, system: str, base_url: str, *, errors: ErrorsSpec, signer, secrets: Iterable[str] = (),
                 headers: dict[str, str] | None = None, reads: ReadRetries | None = None,
                 limiter: Callable[[], AbstractContextManager] | None = None,
                 session: requests.Session | None = None) -> None:
        self.system, self.errors, self.signer = system, errors, signer
        self.secrets = {secret for secret in secrets if secret}
        self.reads = reads or ReadRetries()
        self.session = session or make_session()
        self.session.headers.update(headers or {})
        self.http = HttpClient(system, base_url, parse_message=self.message, sign=signer.sign,
                               session=self.session, limiter=limiter)

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def get(self, path: str, params: list[tuple[str, str]] | None = None) -> requests.Response:
        return self.reads.call(lambda: self.call("GET", path, params=params or None), f"{self.system} GET")

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            try:
                return self.http.request(method, path, **kwargs)
            except AuthError:
                if not self.signer.renew():
                    raise
                return self.http.request(method, path, **kwargs)
        except RemoteError as error:
            raise self._classified(error) from None

    def message(self, response: requests.Response) -> str:
        """The vendor's message out of an error body, by the file's ``errors.message``."""
        try:
            body = response.json()
        except ValueError:
            return f"{response.reason or 'error'} (the body was not JSON)."
        found = self.errors.message.search(body) if self.errors.message else None
        if found is None:
            return response.reason or "error"
        text = found if isinstance(found, str) else _readable(found)
        return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "..."

    def _classified(self, error: RemoteError) -> RemoteError:
        text = redact(str(error), self.secrets)
        status = error.status
        if status is None or isinstance(error, AuthError):
            kind = type(error)
        elif status in self.errors.retryable:
            kind = RetryableError
        else:
            kind = type(error) if not isinstance(error, RetryableError) else FatalError
        if kind is RetryableError:
            return RetryableError(text, system=error.system, status=status,
                                  retry_after=getattr(error, "retry_after", None))
        return kind(text, system=error.system, status=status)


def json_body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except json.JSONDecodeError:
        raise FatalError(f"{response.request.method} answered with a body that is not JSON.",
                         status=response.status_code) from None


def _readable(found: object) -> str:
    # {"email": ["has already been taken"]} -> "email: has already been taken" (Shopify, Rails APIs).
    if isinstance(found, dict):
        return "; ".join(f"{key}: {_readable(value)}" for key, value in found.items())
    if isinstance(found, list):
        return ", ".join(_readable(item) for item in found)
    return str(found)
