"""The three ways to authenticate against Magento 2's REST API, as request signers.

* ``BearerAuth``: an integration access token (when the shop allows it as a bearer token,
  ``oauth/consumer/enable_integration_as_bearer``, off by default since 2.4.4) or a long-lived token.
* ``AdminTokenAuth``: an admin user name and password, exchanged for a token through
  ``POST /V1/integration/admin/token``; cached, and fetched again once when Magento answers 401.
* ``OAuthSigner``: OAuth 1.0a with HMAC-SHA256 over the decoded-then-re-encoded query (RFC 5849,
  as Adobe's PHP sample does it), from an integration's four credentials.

Each signer adds its ``Authorization`` header to a prepared request; ``renew()`` says whether a
second attempt after a 401 can succeed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import requests
from oauthlib.common import generate_nonce
from oauthlib.oauth1.rfc5849 import parameters, signature

from pipeline.errors import AuthError

SIGNATURE_METHOD = "HMAC-SHA256"


class BearerAuth:
    """A fixed bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def sign(self, prepared: requests.PreparedRequest) -> None:
        prepared.headers["Authorization"] = f"Bearer {self._token}"

    def renew(self) -> bool:
        return False


class AdminTokenAuth:
    """An admin token obtained with ``fetch`` on first use, dropped when Magento rejects it.

    Args:
        fetch: returns a fresh token (the client's ``POST /V1/integration/admin/token``).
    """

    def __init__(self, fetch: Callable[[], str]) -> None:
        self._fetch = fetch
        self._token: str | None = None
        self._login_refused = False
        # Worker threads share one system: one login at a time, not one per thread.
        self._lock = threading.Lock()

    def sign(self, prepared: requests.PreparedRequest) -> None:
        with self._lock:
            if self._token is None:
                try:
                    self._token = self._fetch()
                except AuthError:
                    self._login_refused = True
                    raise
                self._login_refused = False
            token = self._token
        prepared.headers["Authorization"] = f"Bearer {token}"

    def renew(self) -> bool:
        # Admin tokens expire (4 hours by default): the next request logs in again. A refused
        # login, though, would only be refused again.
        with self._lock:
            self._token = None
            return not self._login_refused


@dataclass(frozen=True, repr=False)
class OAuthCredentials:
    """An integration's four OAuth 1.0a values (System > Extensions > Integrations)."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str

    # oauthlib's names for the two secrets (its ``*_with_client`` signing functions read them).
    @property
    def client_secret(self) -> str:
        return self.consumer_secret

    @property
    def resource_owner_secret(self) -> str:
        return self.access_token_secret


class OAuthSigner:
    """Signs each request with OAuth 1.0a HMAC-SHA256.

    Built from oauthlib's RFC 5849 functions rather than its ``Client`` or requests-oauthlib's
    ``OAuth1``: both log the collected parameters (the access token among them) at DEBUG level.

    Args:
        nonce: a new nonce per call (tests pass a fixed one).
        clock: seconds since the epoch (tests pass a fixed one).
    """

    def __init__(self, credentials: OAuthCredentials, *, nonce: Callable[[], str] = generate_nonce,
                 clock: Callable[[], float] = time.time) -> None:
        self.credentials = credentials
        self._nonce, self._clock = nonce, clock

    def sign(self, prepared: requests.PreparedRequest) -> None:
        prepared.headers["Authorization"] = self.authorization(prepared.method or "GET", prepared.url or "")

    def renew(self) -> bool:
        # A rejected signature or revoked integration will not sign any better a second time.
        return False

    def authorization(self, method: str, url: str) -> str:
        """The ``Authorization`` header value for one request."""
        oauth = self.oauth_params()
        text = self.base_string(method, url, oauth)
        digest = signature.sign_hmac_sha256_with_client(text, self.credentials)
        return parameters.prepare_headers(oauth + [("oauth_signature", digest)])["Authorization"]

    def oauth_params(self) -> list[tuple[str, str]]:
        return [
            ("oauth_consumer_key", self.credentials.consumer_key),
            ("oauth_nonce", self._nonce()),
            ("oauth_signature_method", SIGNATURE_METHOD),
            ("oauth_timestamp", str(int(self._clock()))),
            ("oauth_token", self.credentials.access_token),
            ("oauth_version", "1.0"),
        ]

    @staticmethod
    def base_string(method: str, url: str, oauth: list[tuple[str, str]]) -> str:
        """RFC 5849 signature base string; query parameters are decoded first, then re-encoded.

        The query is decoded with the standard library: oauthlib's own decoder refuses the
        literal brackets of ``searchCriteria[...]`` that Magento URLs are often written with.
        """
        query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        normalized = signature.normalize_parameters(query + oauth)
        return signature.signature_base_string(method, signature.base_string_uri(url), normalized)
