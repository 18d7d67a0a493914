"""OAuth 1.0a (RFC 5849) signatures with the standard library only, as the emulator checks them.

Deliberately independent of oauthlib, which our client signs with: a shared bug would pass unseen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote, unquote, urlsplit

_PARAM = re.compile(r'([A-Za-z_][\w-]*)\s*=\s*"([^"]*)"')


def percent_encode(value: str) -> str:
    """RFC 3986 encoding: everything but letters, digits and ``-._~``."""
    return quote(value, safe="-._~")


def parse_authorization(header: str) -> dict[str, str] | None:
    """The decoded parameters of an ``Authorization: OAuth k="v", ...`` header; None for other schemes."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "oauth":
        return None
    return {key: unquote(value) for key, value in _PARAM.findall(rest)}


def base_string_uri(url: str) -> str:
    """Scheme and host lower-cased, default ports dropped, path kept, query and fragment dropped."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """The signature base string over ``params`` (oauth_* without signature and realm, plus the query)."""
    pairs = sorted((percent_encode(key), percent_encode(value)) for key, value in params)
    normalised = "&".join(f"{key}={value}" for key, value in pairs)
    return "&".join((method.upper(), percent_encode(base_string_uri(url)), percent_encode(normalised)))


def hmac_sha256(base: str, consumer_secret: str, token_secret: str) -> str:
    """The base64 HMAC-SHA256 of ``base`` under ``consumer_secret&token_secret``."""
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()
