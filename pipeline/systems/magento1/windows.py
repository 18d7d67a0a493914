"""Incremental pulls in ``updated_at`` windows, because Magento 1's list calls do not page.

``customer.list`` and its kin return every matching row at once, so a pull asks for one window
of ``updated_at`` at a time (``{"updated_at": {"from": a, "to": b}}``), from the cursor (or the
configured start) up to now. Varien reads ``from`` and ``to`` as ``>=`` and ``<=``: both ends are
inclusive, so a record stamped exactly on a boundary comes back in two windows and is passed on
once. Window sizes adapt to what comes back: halved after a window far above the target number
of rows, doubled (up to ``MAX_GROWTH`` times the configured size) after a sparse one, so that a
first pull over years of quiet history costs tens of calls, not thousands.

The cursor is the end of the last complete window, plus the ``(id, updated_at)`` pairs read
within ``lookback_s`` of it::

    {"end": "2024-05-01 10:00:00", "seen": {"42": "2024-05-01 09:58:10"}}

The next pull starts ``lookback_s`` before ``end`` (a row committed late carries a stamp earlier
than rows already read) and skips the pairs it has seen; a changed record has a new stamp and
goes through. A plain time (``2024-05-01 10:00:00`` or ISO 8601) is accepted as a start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pipeline.systems.cursors import dump_cursor, parse_cursor
from pipeline.systems.magento_time import magento_time, shift

#: Pairs a cursor keeps at most; past it a few boundary rows may be read twice (loads are idempotent).
MAX_SEEN = 1000
#: Smallest window, and how many times the configured size a window may grow to.
MIN_WINDOW_S = 60
MAX_GROWTH = 32

#: ``(from, to)`` -> the rows stamped within, both ends included.
Fetch = Callable[[str, str], list[dict]]




@dataclass(frozen=True)
class Cursor:
    end: str
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, since: str | None) -> Cursor | None:
        """The cursor a pull stored, a plain time to start from, or None.

        Raises:
            ConfigError: neither (e.g. an operator's ``connector cursor --set`` typo).
        """
        def from_json(data: dict) -> Cursor:
            seen = {str(key): magento_time(str(stamp)) for key, stamp in (data.get("seen") or {}).items()}
            return cls(magento_time(str(data["end"])), seen)

        return parse_cursor(since, system="Magento 1", example="a UTC time such as '2024-05-01 10:00:00'",
                            from_json=from_json, from_time=lambda text: cls(magento_time(text)))

    def dump(self) -> str:
        return dump_cursor({"end": self.end, "seen": self.seen}, sort_keys=True)


def resize(size: int, rows: int, *, target: int, configured: int) -> int:
    """The next window's size after one of ``size`` seconds returned ``rows`` rows.

    >>> resize(86400, 0, target=100, configured=86400), resize(86400, 900, target=100, configured=86400)
    (172800, 43200)
    """
    if rows > 2 * target:
        return max(size // 2, MIN_WINDOW_S)
    if rows < target // 2:
        return min(size * 2, configured * MAX_GROWTH)
    return size


def pull(fetch: Fetch, since: str | None, *, id_field: str, now: str, start: str, window_s: int,
         lookback_s: int, target: int) -> Iterator[tuple[list[dict], str]]:
    """Yield the new rows of each window and the cursor after it, up to ``now``.

    Rows are Magento's, unconverted: ``id_field`` and ``updated_at`` (``YYYY-MM-DD HH:MM:SS``).
    """
    cursor = Cursor.parse(since)
    seen = dict(cursor.seen) if cursor else {}
    lower = shift(cursor.end, -lookback_s) if cursor else start
    # Our clock behind the shop's last window: read up to that window, never move the cursor back.
    now = max(now, cursor.end) if cursor else now
    size = window_s
    while True:
        upper = max(min(shift(lower, size), now), lower)
        rows = fetch(lower, upper)
        pairs = [(str(row[id_field]), str(row.get("updated_at") or "")) for row in rows]
        fresh = [row for row, (key, stamp) in zip(rows, pairs, strict=True) if seen.get(key) != stamp]
        seen.update(pairs)
        seen = _recent(seen, upper, lookback_s)
        yield fresh, Cursor(upper, seen).dump()
        if upper >= now:
            return
        lower, size = upper, resize(size, len(rows), target=target, configured=window_s)


def _recent(seen: dict[str, str], end: str, lookback_s: int) -> dict[str, str]:
    # Only rows the next window (from ``end``) or the next pull (from end - lookback) can read again.
    floor = shift(end, -lookback_s)
    recent = sorted(((stamp, key) for key, stamp in seen.items() if stamp >= floor), reverse=True)[:MAX_SEEN]
    return {key: stamp for stamp, key in sorted(recent)}
