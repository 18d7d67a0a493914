"""Incremental pulls with SuiteQL: keyset paging over ``(lastmodifieddate, id)`` and a JSON cursor.

Each page is a fresh query with ``offset=0`` whose condition starts after the last row read, so a
pull of any size never meets SuiteQL's 100,000-row offset cap and rows changing meanwhile shift no
page. ``TO_CHAR`` gives the stamps to the second: plain ``lastmodifieddate`` comes back in the
account's date format, often without a time at all.

A record may be committed after rows stamped later than it were read (its stamp is taken when the
change starts), so each pull looks ``lookback_s`` back from the cursor. Rows read in that window
are remembered in the cursor (id -> stamp) and skipped when they come again unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from pipeline.errors import ConfigError, FatalError
from pipeline.systems.netsuite.client import NetSuiteClient
from pipeline.systems.netsuite.records import Source

#: The stamp format in queries (Oracle's spelling) and in cursors (Python's).
SQL_DATE_FORMAT = "YYYY-MM-DD HH24:MI:SS"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Boundary rows a cursor remembers at most; past it a few rows may be read twice (loads are idempotent).
MAX_SEEN = 1000


@dataclass(frozen=True)
class Cursor:
    """Where a pull stopped: the last ``(modified, id)`` read, and the rows of the look-back window."""

    modified: str
    id: int
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Read a stored cursor.

        Raises:
            ConfigError: the text is not a cursor this system wrote (e.g. a hand-set value).
        """
        try:
            data = json.loads(text)
            cursor = cls(_checked_stamp(data["modified"]), int(data["id"]),
                         {str(key): _checked_stamp(value) for key, value in (data.get("seen") or {}).items()})
        except (ValueError, TypeError, KeyError, AttributeError):
            raise ConfigError(f"Invalid NetSuite cursor {text!r}: expected JSON such as "
                              f"{{\"modified\": \"2024-01-15 10:00:00\", \"id\": \"107\"}}. "
                              f"Reset it with `connector cursor <integration> --reset`.") from None
        return cursor

    def dump(self) -> str:
        return json.dumps({"modified": self.modified, "id": str(self.id), "seen": self.seen}, sort_keys=True)


def changed_ids(client: NetSuiteClient, source: Source, since: str | None, *, limit: int,
                lookback_s: int) -> Iterator[tuple[list[str], str]]:
    """Yield ``(ids changed since the cursor, cursor after them)`` page by page, oldest first.

    Ids already read at the same stamp in the previous pull (the look-back window) are left out,
    so a page may be empty but still move the cursor.
    """
    cursor = Cursor.parse(since) if since else None
    seen = dict(cursor.seen) if cursor else {}
    watermark = (cursor.modified, cursor.id) if cursor else None
    floor = _shifted(cursor.modified, -lookback_s) if cursor else None
    after: tuple[str, int] | None = None
    while True:
        page = client.suiteql(keyset_query(source, floor=floor, after=after), limit=limit)
        rows = page.get("items") or []
        if not rows:
            return
        fresh = [str(row["id"]) for row in rows if seen.get(str(row["id"])) != row["modified"]]
        seen.update((str(row["id"]), row["modified"]) for row in rows)
        last = (_checked_stamp(rows[-1]["modified"]), int(rows[-1]["id"]))
        if after is not None and last <= after:
            raise FatalError(f"SuiteQL keyset paging of {source.table!r} did not advance past {after}: the "
                             f"table's stamps are finer than seconds.", system="netsuite")
        after = last
        watermark = max(watermark, last) if watermark else last
        yield fresh, Cursor(watermark[0], watermark[1], _recent(seen, watermark[0], lookback_s)).dump()
        if not page.get("hasMore"):
            return


def keyset_query(source: Source, *, floor: str | None = None, after: tuple[str, int] | None = None) -> str:
    """The ids and stamps of ``source``'s rows after ``after`` (or from ``floor``), oldest first."""
    conditions = [source.condition] if source.condition else []
    if after is not None:
        stamp, last_id = to_date(after[0]), int(after[1])
        conditions.append(f"(lastmodifieddate > {stamp} OR (lastmodifieddate = {stamp} AND id > {last_id}))")
    elif floor is not None:
        conditions.append(f"lastmodifieddate >= {to_date(floor)}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return (f"SELECT id, TO_CHAR(lastmodifieddate, '{SQL_DATE_FORMAT}') AS modified FROM {source.table}"
            f"{where} ORDER BY lastmodifieddate, id")


def to_date(stamp: str) -> str:
    """A SuiteQL date literal; the stamp is checked first, since it ends up inside the query."""
    return f"TO_DATE({sql_string(_checked_stamp(stamp))}, '{SQL_DATE_FORMAT}')"


def sql_string(value: str) -> str:
    """A SuiteQL string literal (quotes doubled, as Oracle SQL escapes them)."""
    return "'" + str(value).replace("'", "''") + "'"


def _checked_stamp(stamp: object) -> str:
    dt.datetime.strptime(str(stamp), DATE_FORMAT)  # raises ValueError on anything else
    return str(stamp)


def _shifted(stamp: str, seconds: int) -> str:
    return (dt.datetime.strptime(stamp, DATE_FORMAT) + dt.timedelta(seconds=seconds)).strftime(DATE_FORMAT)


def _recent(seen: dict[str, str], modified: str, lookback_s: int) -> dict[str, str]:
    # Only rows the next pull's look-back window can return again are worth remembering.
    floor = _shifted(modified, -lookback_s)
    recent = sorted(((stamp, int(key)) for key, stamp in seen.items() if stamp >= floor), reverse=True)
    return {str(key): stamp for stamp, key in sorted(recent[:MAX_SEEN])}
