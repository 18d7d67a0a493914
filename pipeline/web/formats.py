"""How values look on the pages: times, durations, rates, payloads with secrets masked."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from datetime import datetime

from pipeline.redaction import MASK, redact

#: Payload field names whose values are secrets (narrower than query parameters: no 'sig', 'auth').
SECRET_FIELD = re.compile(r"(?i)(password|passwd|secret|token|api_?key|credentials?)")


def when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp)) if timestamp else "-"


def when_iso(text: str | None) -> str:
    """An ISO 8601 time (a next tick) in the pages' local format."""
    if not text:
        return "-"
    return when(datetime.fromisoformat(text).timestamp())


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def rate(per_s: float | None) -> str:
    return "-" if per_s is None else f"{per_s:,.1f}/s"


def masked(value: object) -> object:
    """``value`` with the values of secret-named fields (password, token, api_key...) masked."""
    if isinstance(value, dict):
        return {k: MASK if isinstance(k, str) and SECRET_FIELD.search(k) else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def payload_text(record: object, secrets: Iterable[str]) -> str:
    """A failed record's payload for an operator: pretty JSON, secret fields and known secrets masked."""
    if record is None:
        return ""
    return redact(json.dumps(masked(record), indent=2, sort_keys=True, default=str, ensure_ascii=False), secrets)


FILTERS = {"when": when, "when_iso": when_iso, "duration": duration, "rate": rate}
