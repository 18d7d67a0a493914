"""Magento's side of OAuth 1.0a: checks ``Authorization: OAuth ...`` as ``Framework\\Oauth\\Oauth`` does.

Written with the standard library only, independently of the client's oauthlib-based signer,
so that a test of one against the other can fail. Checks and messages follow Magento's order:
version, required parameters, token length, signature method, consumer, timestamp, nonce
(recorded even when the signature then fails), token ownership, signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote

from pipeline.testing.magento2.responses import REQUIRED_FIELD, MagentoError, bad_request

REQUIRED = ("oauth_consumer_key", "oauth_signature", "oauth_signature_method", "oauth_nonce",
            "oauth_timestamp", "oauth_token")
#: Seconds a timestamp may run ahead of the server (Magento's nonce generator allows 600).
TIME_DEVIATION_S = 600
_PARAM = re.compile(r'([A-Za-z0-9_.~%-]+)="([^"]*)"')


@dataclass(frozen=True)
class Integration:
    """An active integration: its consumer and access token."""

    consumer_id: int
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str


def encode(value: str) -> str:
    """RFC 5849 section 3.6 percent-encoding (unreserved characters stay)."""
    return quote(value, safe="~")


def base_string(method: str, base_uri: str, query: list[tuple[str, str]], oauth: dict[str, str]) -> str:
    """The signature base string over decoded ``query`` pairs and the header's oauth parameters."""
    params = list(query) + [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
    normalized = "&".join(f"{k}={v}" for k, v in sorted((encode(k), encode(v)) for k, v in params))
    return "&".join((encode(method.upper()), encode(base_uri), encode(normalized)))


def signature(method_name: str, text: str, consumer_secret: str, token_secret: str) -> str:
    digest = hashlib.sha256 if method_name == "HMAC-SHA256" else hashlib.sha1
    key = f"{encode(consumer_secret)}&{encode(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, text.encode(), digest).digest()).decode()


def parse_header(value: str) -> dict[str, str] | None:
    """The parameters of an OAuth Authorization header (scheme case-insensitive), or None."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "oauth":
        return None
    return {unquote(k): unquote(v) for k, v in _PARAM.findall(rest)}


class OAuthVerifier:
    """Verifies signed requests for a set of integrations; remembers nonces per consumer."""

    def __init__(self, integrations: list[Integration], *, allow_sha1: bool = False) -> None:
        self.integrations = integrations
        self.allow_sha1 = allow_sha1
        self.nonces: set[tuple[int, str]] = set()

    def verify(self, oauth: dict[str, str], method: str, base_uri: str,
               query: list[tuple[str, str]]) -> Integration:
        """The signing integration.

        Raises:
            MagentoError: 400 for malformed parameters, 401 for a refused signature, nonce or token.
        """
        if "oauth_version" in oauth and oauth["oauth_version"] != "1.0":
            raise bad_request('The "%1" Oauth version isn\'t supported.', [oauth["oauth_version"]])
        missing = [name for name in REQUIRED if name not in oauth]
        if missing:
            raise bad_request(REQUIRED_FIELD, {"fieldName": missing[0]})
        if len(oauth["oauth_token"]) != 32:
            raise bad_request("The token length is invalid. Check the length and try again.")
        allowed = ("HMAC-SHA256", "HMAC-SHA1") if self.allow_sha1 else ("HMAC-SHA256",)
        if oauth["oauth_signature_method"] not in allowed:
            raise bad_request("Signature method %1 is not supported", [oauth["oauth_signature_method"]])
        integration = self._consumer(oauth["oauth_consumer_key"])
        self._check_nonce(integration, oauth["oauth_nonce"], oauth["oauth_timestamp"])
        if integration.access_token != oauth["oauth_token"]:
            raise MagentoError(401, "The token is not associated with the specified consumer. "
                                    "Verify and try again.")
        expected = signature(oauth["oauth_signature_method"], base_string(method, base_uri, query, oauth),
                             integration.consumer_secret, integration.access_token_secret)
        if not hmac.compare_digest(expected, oauth["oauth_signature"]):
            raise MagentoError(401, "The signature is invalid. Verify and try again.")
        return integration

    def _consumer(self, key: str) -> Integration:
        for integration in self.integrations:
            if integration.consumer_key == key:
                return integration
        raise MagentoError(401, "A consumer having the specified key does not exist")

    def _check_nonce(self, integration: Integration, nonce: str, timestamp: str) -> None:
        if not timestamp.isdigit() or int(timestamp) <= 0 or int(timestamp) > time.time() + TIME_DEVIATION_S:
            raise bad_request("Incorrect timestamp value in the oauth_timestamp parameter")
        if (integration.consumer_id, nonce) in self.nonces:
            raise MagentoError(401, "The nonce is already being used by the consumer with ID %1",
                               [integration.consumer_id])
        self.nonces.add((integration.consumer_id, nonce))
