"""NetSuite hosts and token-based authentication (OAuth 1.0a, HMAC-SHA256).

One account id has two spellings: the host slug is lower-case with ``-`` (``1234567-sb1``), the
OAuth ``realm`` upper-case with ``_`` (``1234567_SB1``). Requests are signed by oauthlib through
requests-oauthlib: query parameters are signed, JSON bodies are not (RFC 5849 signs only
form-encoded bodies, and NetSuite expects exactly that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

#: Every SuiteTalk REST host is ``<slug>.<HOST_SUFFIX>``.
HOST_SUFFIX = "suitetalk.api.netsuite.com"
#: An account id: letters and digits, sandboxes and release previews after ``_`` or ``-`` (``123_SB1``).
ACCOUNT_SHAPE = re.compile(r"^[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*$")


def host_slug(account: str) -> str:
    """The account's host label: ``"1234567_SB1"`` gives ``"1234567-sb1"``."""
    return account.strip().lower().replace("_", "-")


def realm_of(account: str) -> str:
    """The account's OAuth realm: ``"1234567-sb1"`` gives ``"1234567_SB1"``."""
    return account.strip().upper().replace("-", "_")


def default_base_url(account: str) -> str:
    """``https://<slug>.suitetalk.api.netsuite.com``: every REST path starts with ``/services/rest``."""
    return f"https://{host_slug(account)}.{HOST_SUFFIX}"


@dataclass(frozen=True)
class Credentials:
    """The four token-based-authentication secrets of one integration record and access token."""

    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str

    def __repr__(self) -> str:
        # Settings objects end up in tracebacks and debug logs; the secrets must not.
        return "Credentials(***)"


def token_signer(account: str, credentials: Credentials, *, nonce: str | None = None,
                 timestamp: str | None = None) -> OAuth1:
    """A requests auth hook signing each request for ``account``.

    ``nonce`` and ``timestamp`` are for reproducing known signatures only: left out, each request
    gets a fresh pair (NetSuite rejects a reused nonce).
    """
    return OAuth1(credentials.consumer_key, credentials.consumer_secret, credentials.token_id,
                  credentials.token_secret, signature_method=SIGNATURE_HMAC_SHA256, realm=realm_of(account),
                  nonce=nonce, timestamp=timestamp)
