"""The incremental cursor of a declared entity: the latest change time read, and the ids read at it.

A pull asks for records changed at or after the cursor's time (``incremental.param``) and skips
the ones it delivered at exactly that time before, so a record is not delivered twice because
it shares the last second of the previous pull. The cursor is a JSON string::

    {"updated_at": "2024-05-01T10:00:05+00:00", "ids": ["42", "43"]}

A plain date and time (ISO 8601, or ``YYYY-MM-DD HH:MM:SS`` in UTC) is accepted as a starting point.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from pipeline.errors import ConfigError


def parse_time(value: object) -> datetime | None:
    """A record's change time as an aware UTC datetime (naive times are UTC), or None."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    try:
        when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def format_time(when: datetime, pattern: str) -> str:
    """``when`` as the API's filter wants it: ``iso``, ``epoch`` or a strftime pattern (in UTC)."""
    if pattern == "iso":
        return when.isoformat()
    if pattern == "epoch":
        return str(int(when.timestamp()))
    return when.strftime(pattern)


class Position:
    """Where a pull stands: filters out what the last pull delivered, and writes the next cursor."""

    def __init__(self, since: str | None) -> None:
        self.start, self.delivered = _parse(since)
        self.latest, self.ids_at_latest = self.start, set(self.delivered)

    def is_new(self, when: datetime | None, record_id: str) -> bool:
        if when is not None and when == self.start and record_id in self.delivered:
            return False
        if when is not None:
            if self.latest is None or when > self.latest:
                self.latest, self.ids_at_latest = when, {record_id}
            elif when == self.latest:
                self.ids_at_latest.add(record_id)
        return True

    def cursor(self) -> str | None:
        if self.latest is None:
            return None
        return json.dumps({"updated_at": self.latest.isoformat(), "ids": sorted(self.ids_at_latest)},
                          separators=(",", ":"))


def _parse(since: str | None) -> tuple[datetime | None, set[str]]:
    if not since:
        return None, set()
    try:
        data = json.loads(since)
    except ValueError:
        data = since
    when = parse_time(data.get("updated_at") if isinstance(data, dict) else data)
    if when is None:
        raise ConfigError(f"Invalid cursor {since!r}: expected the JSON cursor of a pull or a date and time "
                          "such as '2024-05-01T10:00:00+00:00'.")
    return when, {str(i) for i in data.get("ids", ())} if isinstance(data, dict) else set()
