"""Source records made safe to send to the next step, each bad one failing alone.

Any source may hand over a value that is not a record (``None``, a number), or a record the
message encoder refuses (an integer beyond 64 bits, nesting deeper than 255 levels, a string
with a lone surrogate). Sent as it is, it would fail its whole page; here it becomes an
unreadable record (``INVALID_RECORD``) that names it, and the map step fails it alone.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat

import orjson

from pipeline.flow.encoding import EncodedPage
from pipeline.systems.base import INVALID_RECORD

#: Characters of a refused value kept with its error.
EXCERPT = 500


def sendable(records: list, where: str, key_of: Callable[[dict], str | None]) -> list[dict]:
    """``records``, with each one that cannot travel in a message replaced by an unreadable record.

    ``where`` names the page (e.g. ``"page 3 of files:erp"``); ``key_of`` names a record if it can.
    The common case, a page that encodes whole, comes back as an ``EncodedPage``: its message reuses
    this encoding instead of making a second one.
    """
    try:
        if all(map(isinstance, records, repeat(dict))):
            return EncodedPage(records, orjson.dumps(records))
    except (orjson.JSONEncodeError, TypeError):
        pass
    return [_sendable(record, f"{where}, record {index + 1}", key_of) for index, record in enumerate(records)]


def _sendable(record: object, where: str, key_of: Callable[[dict], str | None]) -> dict:
    if not isinstance(record, dict):
        return {INVALID_RECORD: f"{where}: a {type(record).__name__} where a record (an object) belongs.",
                "_value": repr(record)[:EXCERPT]}
    try:
        orjson.dumps(record)
    except (orjson.JSONEncodeError, TypeError) as error:
        try:
            key = key_of(record)
        except Exception:  # naming it is a courtesy; the error must be kept whatever
            key = None
        named = f" {key!r}" if key else ""
        return {INVALID_RECORD: f"{where}: the record{named} cannot be sent ({error}).",
                "_value": repr(record)[:EXCERPT]}  # repr escapes what orjson refused
    return record
