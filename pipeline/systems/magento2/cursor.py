"""Where an incremental pull stands, and which records it has already delivered.

Magento stamps ``updated_at`` to the second, and a record saved in a transaction that commits
late can carry a time earlier than records already read. So each pull re-reads a look-back
window (``updated_at >= last - lookback``) and skips the versions it delivered before: the
cursor keeps the ``(updated_at, id)`` pairs read inside the window ("seen"), beside the position
of the last record. A quiet shop therefore delivers nothing twice, and a late commit inside the
window is still delivered once.

The cursor is a JSON string::

    {"updated_at": "2024-05-01 10:00:05", "id": 42, "seen": [["2024-05-01 09:58:10", 17], ...]}

A plain timestamp (ISO 8601 or Magento's ``YYYY-MM-DD HH:MM:SS``) is accepted as a starting point.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass

from pipeline.systems.cursors import dump_cursor, parse_cursor
from pipeline.systems.magento_time import magento_time, shift

#: Most seen pairs a cursor keeps; past it, older pairs in the window are assumed delivered.
MAX_SEEN = 1000

Pair = tuple[str, int]




@dataclass(frozen=True)
class Cursor:
    updated_at: str
    id: int
    seen: frozenset[Pair] = frozenset()
    #: When ``seen`` was cut to MAX_SEEN: older pairs at or before the position count as seen.
    complete_from: str | None = None

    @classmethod
    def parse(cls, since: str | None) -> Cursor | None:
        """The cursor stored by the last pull, or a plain timestamp as a starting point.

        Raises:
            ConfigError: ``since`` is neither (e.g. an operator's ``connector cursor --set`` typo).
        """
        def from_json(data: dict) -> Cursor:
            return cls(updated_at=magento_time(str(data["updated_at"])), id=int(data.get("id") or 0),
                       seen=frozenset((str(u), int(i)) for u, i in data.get("seen") or ()),
                       complete_from=data.get("complete_from"))

        return parse_cursor(since, system="Magento 2",
                            example="a date and time such as '2024-05-01 10:00:00'", from_json=from_json,
                            from_time=lambda text: cls(updated_at=magento_time(text), id=0))

    def covers(self, pair: Pair) -> bool:
        """Whether the pull that wrote this cursor delivered this version of a record."""
        if pair in self.seen:
            return True
        if not self.complete_from:
            return False
        return pair[0] < self.complete_from and pair <= (self.updated_at, self.id)


class Window:
    """Tracks one pull: filters out delivered versions and builds the next cursor.

    The pairs inside the look-back window are kept sorted as they are read (a pull reads them in
    order, so each one is appended), and the cursor takes the last ``MAX_SEEN`` of them: building
    it costs the same on every page, however many records share one change time.
    """

    def __init__(self, cursor: Cursor | None, lookback_s: int) -> None:
        self.previous = cursor
        self.lookback_s = lookback_s
        self.position: Pair | None = (cursor.updated_at, cursor.id) if cursor else None
        # The previous pull's seen pairs count as read: the window's floor prunes both alike.
        self._sorted: list[Pair] = sorted(cursor.seen) if cursor else []
        self.read: set[Pair] = set(self._sorted)

    @property
    def start(self) -> str | None:
        """The ``updated_at >=`` bound of the query, or None for everything."""
        return shift(self.previous.updated_at, -self.lookback_s) if self.previous else None

    def is_new(self, record: dict, id_field: str) -> bool:
        pair = (str(record.get("updated_at") or ""), int(record[id_field]))
        delivered = pair in self.read or (self.previous is not None and self.previous.covers(pair))
        if pair not in self.read:
            self.read.add(pair)
            insort(self._sorted, pair)  # an append, but for a late commit
        if self.position is None or pair > self.position:
            self.position = pair
        return not delivered

    def cursor(self) -> str | None:
        """The JSON cursor after what was read so far (None before anything was)."""
        if self.position is None or not self.position[0]:
            return None
        updated_at, last_id = self.position
        floor = shift(updated_at, -self.lookback_s)
        # Pruned as the pull advances, so a full pull's memory stays the size of one window.
        below = bisect_left(self._sorted, (floor,))
        if below:
            self.read.difference_update(self._sorted[:below])
            del self._sorted[:below]
        seen = self._sorted[-MAX_SEEN:]
        complete_from = self.previous.complete_from if self.previous else None
        if len(self._sorted) > MAX_SEEN:
            complete_from = seen[0][0]
        data: dict = {"updated_at": updated_at, "id": last_id, "seen": [list(pair) for pair in seen]}
        if complete_from and complete_from > floor:
            data["complete_from"] = complete_from
        return dump_cursor(data)
