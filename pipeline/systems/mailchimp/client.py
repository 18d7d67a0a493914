"""Mailchimp's JSON calls over our HttpClient: HTTP Basic with the API key, problem+json errors.

Every call holds a slot of the account's concurrency budget (10 connections per user), shared by
all worker processes, so that our own traffic never causes Mailchimp's 429s.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

import requests

from pipeline.errors import FatalError
from pipeline.systems.http import HttpClient, make_session
from pipeline.systems.mailchimp.problems import SYSTEM, parse_message

#: Any user name works with Basic auth (CONTRACTS 3.1); the key is the password.
BASIC_USER = "pipeline"


def subscriber_hash(email: str) -> str:
    """The id of a member in its audience: md5 of the lower-cased address (CONTRACTS 3.2).

    >>> subscriber_hash("Urist.McVankab@freddiesjokes.com")
    '62eeb292278cc15f5817cb78f7790b08'
    """
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


def basic_auth(api_key: str) -> str:
    token = base64.b64encode(f"{BASIC_USER}:{api_key}".encode()).decode()
    return f"Basic {token}"


class MailchimpClient:
    """JSON calls against one account's base URL (``https://<dc>.api.mailchimp.com/3.0``).

    Args:
        base_url: the API root, ending in ``/3.0``.
        api_key: sent as the Basic password of every API call (never to archive URLs).
        limiter: the account's concurrency budget.
        pool_size: connections kept open (at least the budget, or threads wait for sockets).
    """

    def __init__(self, base_url: str, api_key: str, *,
                 limiter: Callable[[], AbstractContextManager] | None = None, pool_size: int = 10) -> None:
        authorization = basic_auth(api_key)

        def sign(prepared: requests.PreparedRequest) -> None:
            prepared.headers["Authorization"] = authorization

        self.session = make_session(pool_size=pool_size)
        self.http = HttpClient(SYSTEM, base_url, parse_message=parse_message, sign=sign, session=self.session,
                               limiter=limiter)
        # Batch results live on another host (a signed storage URL): no key goes there. The download
        # still holds a slot, which keeps the emulator's count of connections exact and costs little.
        self.downloads = HttpClient(SYSTEM, "", parse_message=parse_message, session=self.session,
                                    limiter=limiter)

    def get(self, path: str, params: dict | None = None) -> Any:
        return self.call("GET", path, params=params)

    def put(self, path: str, body: object) -> Any:
        return self.call("PUT", path, json=body)

    def post(self, path: str, body: object) -> Any:
        return self.call("POST", path, json=body)

    def patch(self, path: str, body: object) -> Any:
        return self.call("PATCH", path, json=body)

    def call(self, method: str, path: str, **kwargs) -> Any:
        return _json(self.http.request(method, path, **kwargs))

    def download(self, url: str) -> bytes:
        """The bytes at a full URL (a batch's ``response_body_url``), without our credentials."""
        return self.downloads.request("GET", url).content


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None  # 204 No Content (tags)
    try:
        return response.json()
    except json.JSONDecodeError:
        # A proxy's HTML page with a 200: nothing we can use, and nothing to retry blindly.
        raise FatalError(f"{SYSTEM} answered {response.request.method} {urlsplit(response.url).path} with a "
                         "body that is not JSON.", system=SYSTEM, status=response.status_code) from None
