"""Keeping secrets out of logs, statuses, errors and pages.

Two nets: values of secret-looking settings (``*_TOKEN``, ``*_PASSWORD``, ``*_KEY``, ``*_SECRET``
environment variables) are masked wherever they appear, and secret-looking parts of text
(Authorization headers, ``password=`` and ``token=`` parameters, OAuth signatures) are masked by shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
#: Environment variable names whose values are secrets.
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|_KEY$|CREDENTIALS?)", re.IGNORECASE)
#: Query parameter / field names whose values are secrets.
SECRET_PARAM = re.compile(r"(token|password|passwd|secret|api_?key|apikey|signature|oauth_\w+|sig|auth)",
                          re.IGNORECASE)
_SHAPES = [
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"(?i)((?:password|passwd|token|secret|api_?key|apikey|oauth_signature)['\"]?\s*[:=]\s*['\"]?)"
               r"([^'\"&\s,;]+)"),
    # user:password@ in URLs
    re.compile(r"(?i)(://[^/:@\s]+:)([^@\s/]+)(@)"),
    # "Authorization: Bearer abc", "authorization': 'OAuth realm=...": last, the widest net
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)([^'\"\n]+)"),
]


def secret_values(environ: Mapping[str, str]) -> set[str]:
    """The values of secret-looking variables (at least 4 characters, so masking stays meaningful)."""
    return {value for name, value in environ.items() if SECRET_NAME.search(name) and len(value) >= 4}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with known secret values and secret-shaped parts masked."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    for shape in _SHAPES:
        text = shape.sub(_masker(shape), text)
    return text


def _masker(shape: re.Pattern):
    def mask(match: re.Match) -> str:
        if shape.groups >= 3:
            return f"{match.group(1)}{MASK}{match.group(3)}"
        if shape.groups == 2:
            return f"{match.group(1)}{MASK}"
        return f"{match.group(1)} {MASK}"
    return mask


def redact_url(url: str) -> str:
    """A URL safe to log: user info and secret query parameters masked."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    query = urlencode([(k, MASK if SECRET_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, True)],
                      safe="[]*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
