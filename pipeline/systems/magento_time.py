"""Magento's timestamps (1 and 2 alike): UTC, ``YYYY-MM-DD HH:MM:SS``, no zone suffix."""

from __future__ import annotations

import datetime as dt

#: Magento's date format in its APIs and database.
MAGENTO_TIME = "%Y-%m-%d %H:%M:%S"


def magento_time(value: str) -> str:
    """``value`` (ISO 8601 or Magento's format) as Magento's UTC ``YYYY-MM-DD HH:MM:SS``.

    Raises:
        ValueError: not a date and time.
    """
    text = value.strip().replace("T", " ")
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.strftime(MAGENTO_TIME)


def shift(moment: str, seconds: int) -> str:
    """A Magento timestamp moved by ``seconds`` (negative: earlier)."""
    return (dt.datetime.strptime(moment, MAGENTO_TIME) + dt.timedelta(seconds=seconds)).strftime(MAGENTO_TIME)
