"""A clock that tests move by hand, for emulators whose records carry change times."""

from __future__ import annotations

import datetime as dt


class Clock:
    """The emulators' time, moved by the test: records changed between runs get later stamps.

    Starts at ``start`` (a datetime or ISO 8601 text; naive means UTC), or now.

    >>> clock = Clock("2026-11-02 09:00:00")
    >>> clock.advance(90); clock().isoformat()
    '2026-11-02T09:01:30+00:00'
    """

    def __init__(self, start: dt.datetime | str | None = None) -> None:
        self.set(start or dt.datetime.now(dt.timezone.utc).replace(microsecond=0))

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime | str) -> None:
        moment = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        self.now = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)

    def advance(self, seconds: float = 60) -> None:
        self.now += dt.timedelta(seconds=seconds)
