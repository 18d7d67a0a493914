"""Magento 2's REST client: our HttpClient with Magento's auth, error bodies and JSON calls."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from pipeline.errors import AuthError, FatalError
from pipeline.systems.http import HttpClient, make_session
from pipeline.systems.read_retries import ReadRetries

SYSTEM = "magento2"
ADMIN_TOKEN_PATH = "/V1/integration/admin/token"


class Signer(Protocol):
    def sign(self, prepared: requests.PreparedRequest) -> None: ...

    def renew(self) -> bool: ...


def fill_placeholders(template: str, parameters: object) -> str:
    """Magento's message template with its parameters filled in.

    ``%name`` takes ``parameters["name"]``; ``%1``, ``%2``... take positions of a list.

    >>> fill_placeholders("No such entity with %fieldName = %fieldValue",
    ...                   {"fieldName": "customerId", "fieldValue": 7})
    'No such entity with customerId = 7'
    """
    if isinstance(parameters, dict):
        named = {str(key): value for key, value in parameters.items()}
    elif isinstance(parameters, list):
        named = {str(index): value for index, value in enumerate(parameters, start=1)}
    else:
        return template
    # Longest names first, so that %10 is not read as %1 followed by "0".
    for name in sorted(named, key=len, reverse=True):
        value = named[name]
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        template = template.replace(f"%{name}", text)
    return template


def error_message(response: requests.Response) -> str:
    """Magento's error body (``{message, parameters, errors}``) as one readable sentence."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.reason or 'error'} (the body was not JSON)."
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return f"{response.reason or 'error'} (no message in the body)."
    message = fill_placeholders(body["message"], body.get("parameters"))
    details = [fill_placeholders(str(error.get("message", "")), error.get("parameters"))
               for error in body.get("errors") or [] if isinstance(error, dict)]
    return message + (" " + " ".join(details) if details else "")


class Magento2Client:
    """JSON calls against one Magento 2 store's REST base URL (``.../rest/<store_code>``).

    A call rejected with 401 is sent once more when the signer could renew its credentials
    (an expired admin token). A GET that meets a retryable error is retried in place (``reads``);
    every other error is raised as HttpClient classifies it.
    """

    def __init__(self, base_url: str, *, limiter: Callable[[], AbstractContextManager] | None = None,
                 session: requests.Session | None = None, reads: ReadRetries | None = None) -> None:
        self.reads = reads or ReadRetries()
        self.session = session or make_session()
        self.signer: Signer | None = None
        self.http = HttpClient(SYSTEM, base_url, parse_message=error_message, sign=self._sign,
                               session=self.session, limiter=limiter)
        # The token call carries the password in its body and no Authorization header.
        self.login_http = HttpClient(SYSTEM, base_url, parse_message=error_message, session=self.session,
                                     limiter=limiter)

    def _sign(self, prepared: requests.PreparedRequest) -> None:
        if self.signer is not None:
            self.signer.sign(prepared)

    def admin_token(self, username: str, password: str) -> str:
        """A new admin token (``POST /V1/integration/admin/token``)."""
        return self.login_http.request("POST", ADMIN_TOKEN_PATH, changes=False,
                                       json={"username": username, "password": password}).json()

    def get(self, path: str, params: Sequence[tuple[str, str]] | None = None) -> Any:
        query = list(params or ())
        return self.reads.call(lambda: self.call("GET", path, params=query), f"{SYSTEM} GET {path}")

    def post(self, path: str, body: object) -> Any:
        return self.call("POST", path, json=body)

    def put(self, path: str, body: object) -> Any:
        return self.call("PUT", path, json=body)

    def call(self, method: str, path: str, **kwargs) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except AuthError:
            if self.signer is None or not self.signer.renew():
                raise
            response = self.http.request(method, path, **kwargs)
        return _json(response)


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except json.JSONDecodeError:
        # A proxy's HTML page with a 200: nothing we can use, and nothing to retry blindly.
        path = urlsplit(response.url).path
        raise FatalError(f"{SYSTEM} answered {response.request.method} {path} with a body that is not JSON.",
                         system=SYSTEM, status=response.status_code) from None
