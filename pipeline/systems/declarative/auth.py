"""The ways a declared system authenticates, each a signer of prepared requests.

A signer adds its credentials to a prepared request (``sign``) and says whether a second attempt
after a 401 can succeed (``renew``): only the OAuth 2 client-credentials signer can, by fetching
a new access token. OAuth 1.0a goes through ``OAuthSigner``, the HMAC-SHA256 code our Magento 2
system signs with, so a declared system and a vendor system sign the same way.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping

import requests

from pipeline.errors import AuthError, FatalError, RemoteError
from pipeline.systems.declarative.spec import AuthSpec
from pipeline.systems.http import HttpClient
from pipeline.systems.magento2.auth import OAuthCredentials, OAuthSigner

#: A token is fetched again this long before the expiry the server announced.
EXPIRY_MARGIN_S = 30.0


class NoAuth:
    def sign(self, prepared: requests.PreparedRequest) -> None:
        pass

    def renew(self) -> bool:
        return False


class HeaderAuth(NoAuth):
    """A fixed header: an API key, ``Bearer <token>`` or ``Basic <user:password>``."""

    def __init__(self, name: str, value: str) -> None:
        self._name, self._value = name, value

    def sign(self, prepared: requests.PreparedRequest) -> None:
        prepared.headers[self._name] = self._value


class QueryKeyAuth(NoAuth):
    """An API key in the query string (the URL is redacted wherever it is shown)."""

    def __init__(self, name: str, value: str) -> None:
        self._name, self._value = name, value

    def sign(self, prepared: requests.PreparedRequest) -> None:
        prepared.prepare_url(prepared.url, {self._name: self._value})


class ClientCredentialsAuth(NoAuth):
    """OAuth 2 client credentials (RFC 6749 section 4.4): a token fetched on first use, cached
    until shortly before it expires, and fetched again once when the API answers 401.

    Args:
        fetch: posts to the token URL and returns the token response's JSON.
        clock: seconds (tests pass a hand-moved one).
    """

    def __init__(self, fetch: Callable[[], dict], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._clock = fetch, clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._refused = False
        # Worker threads share one system: one token request at a time, not one per thread.
        self._lock = threading.Lock()

    def sign(self, prepared: requests.PreparedRequest) -> None:
        prepared.headers["Authorization"] = f"Bearer {self.token()}"

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                try:
                    body = self._fetch()
                except AuthError:
                    self._refused = True
                    raise
                self._refused = False
                token = body.get("access_token") if isinstance(body, dict) else None
                if not isinstance(token, str) or not token:
                    raise FatalError("The OAuth 2 token response has no access_token.")
                lifetime = float(body.get("expires_in") or 3600)
                self._token, self._expires_at = token, self._clock() + max(lifetime - EXPIRY_MARGIN_S, 0.0)
            return self._token

    def renew(self) -> bool:
        with self._lock:
            self._token = None
            return not self._refused


def make_signer(auth: AuthSpec, values: Mapping[str, str], token_http: HttpClient | None = None):
    """The signer of ``auth`` with its templates filled (``values``: auth value name -> secret)."""
    if auth.type == "api_key":
        return (HeaderAuth if auth.location == "header" else QueryKeyAuth)(auth.name, values["value"])
    if auth.type == "bearer":
        return HeaderAuth("Authorization", f"Bearer {values['token']}")
    if auth.type == "basic":
        pair = base64.b64encode(f"{values['username']}:{values['password']}".encode()).decode()
        return HeaderAuth("Authorization", f"Basic {pair}")
    if auth.type == "oauth1":
        return OAuthSigner(OAuthCredentials(values["consumer_key"], values["consumer_secret"], values["token"],
                                            values["token_secret"]))
    if auth.type == "oauth2_client_credentials":
        assert token_http is not None, "the client-credentials signer needs the token endpoint's client"
        return ClientCredentialsAuth(lambda: _token_request(token_http, auth, values))
    return NoAuth()


def _token_request(http: HttpClient, auth: AuthSpec, values: Mapping[str, str]) -> dict:
    form = {"grant_type": "client_credentials"}
    if auth.scope:
        form["scope"] = auth.scope
    # Client authentication by HTTP Basic, the one every server must support (RFC 6749 section 2.3.1).
    try:
        response = http.request("POST", "", data=form, auth=(values["client_id"], values["client_secret"]),
                                changes=False)
    except RemoteError as error:
        if error.status in (400, 401):
            # RFC 6749 answers bad client credentials with 400 invalid_client or 401.
            raise AuthError(f"The OAuth 2 token endpoint refused the client credentials: {error}",
                            system=error.system, status=error.status) from None
        raise
    return response.json()
