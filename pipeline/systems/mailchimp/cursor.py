"""Where an incremental pull of audience members stands, and which versions it delivered.

Mailchimp stamps ``last_changed`` to the second, and its lists are eventually consistent, so a
change can show up after newer ones were read. Each pull re-reads a look-back window
(``since_last_changed = last - lookback``) and skips the ``(last_changed, id)`` pairs it delivered
before, as the Magento 2 and NetSuite pulls do. The cursor is a JSON string::

    {"last_changed": "2024-05-01T10:00:05+00:00", "seen": [["2024-05-01T09:58:10+00:00", "62eeb2..."]]}

A plain ISO 8601 timestamp is accepted as a starting point (``connector cursor --set``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.systems.cursors import dump_cursor, parse_cursor

#: Most pairs a cursor keeps: forgetting older ones can only deliver a record again, never lose one.
MAX_SEEN = 5000

Pair = tuple[str, str]


def mailchimp_time(value: str) -> str:
    """``value`` as Mailchimp writes times: ISO 8601 in UTC with ``+00:00``, to the second.

    >>> mailchimp_time("2024-05-01T12:00:05+02:00")
    '2024-05-01T10:00:05+00:00'
    """
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def shift(moment: str, seconds: int) -> str:
    return (dt.datetime.fromisoformat(moment) + dt.timedelta(seconds=seconds)).isoformat()


@dataclass(frozen=True)
class Cursor:
    last_changed: str
    seen: frozenset[Pair] = frozenset()

    @classmethod
    def parse(cls, since: str | None) -> Cursor | None:
        """The cursor stored by the last pull, or a timestamp to start from.

        Raises:
            ConfigError: ``since`` is neither.
        """
        def from_json(data: dict) -> Cursor:
            return cls(mailchimp_time(str(data["last_changed"])),
                       frozenset((str(when), str(key)) for when, key in data.get("seen") or ()))

        return parse_cursor(since, system="Mailchimp",
                            example="an ISO 8601 time such as '2024-05-01T10:00:00+00:00'",
                            from_json=from_json,
                            from_time=lambda text: cls(mailchimp_time(text)))


class Window:
    """One pull: filters out delivered versions and builds the next cursor."""

    def __init__(self, cursor: Cursor | None, lookback_s: int) -> None:
        self.previous = cursor
        self.lookback_s = lookback_s
        self.newest: str | None = cursor.last_changed if cursor else None
        self.read: set[Pair] = set()

    @property
    def start(self) -> str | None:
        """The ``since_last_changed`` of the pull, or None for every member."""
        return shift(self.previous.last_changed, -self.lookback_s) if self.previous else None

    def is_new(self, member: dict) -> bool:
        pair = (mailchimp_time(member["last_changed"]), str(member["id"]))
        delivered = pair in self.read or (self.previous is not None and pair in self.previous.seen)
        self.read.add(pair)
        if self.newest is None or pair[0] > self.newest:
            self.newest = pair[0]
        return not delivered

    def cursor(self) -> str | None:
        """The JSON cursor after what was read so far (None before anything was)."""
        if self.newest is None:
            return None
        floor = shift(self.newest, -self.lookback_s)
        earlier = self.previous.seen if self.previous else frozenset()
        # Pruned as the pull advances, so that a full pull's memory stays the size of one window.
        self.read = {pair for pair in self.read if pair[0] >= floor}
        seen = sorted(self.read | {pair for pair in earlier if pair[0] >= floor})[-MAX_SEEN:]
        data = {"last_changed": self.newest, "seen": [list(pair) for pair in seen]}
        return dump_cursor(data)
