"""The codec of the vendor systems' incremental cursors: JSON a pull wrote, or a time to start from.

Each vendor's pull stores its position as a JSON object of its own shape; an operator may also
set a plain time (``connector cursor X --set '2024-05-01 10:00:00'``). Reading either, and the
error for anything else, is the same for every vendor; only the shape and the time format differ.

    >>> parse_cursor('{"at": "2024-05-01"}', system="Example", example="a date",
    ...              from_json=lambda data: data["at"], from_time=str.strip)
    '2024-05-01'
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from pipeline.errors import ConfigError

T = TypeVar("T")


def parse_cursor(since: str | None, *, system: str, example: str, from_json: Callable[[dict], T],
                 from_time: Callable[[str], T]) -> T | None:
    """The cursor in ``since``: ``from_json`` of a stored JSON object, ``from_time`` of anything else.

    Args:
        system: the vendor, as error messages name it (``"Magento 2"``).
        example: what a time to start from looks like, for the error message.

    Raises:
        ConfigError: ``since`` is neither (e.g. an operator's ``connector cursor --set`` typo).
    """
    if not since:
        return None
    try:
        data = json.loads(since)
    except ValueError:
        data = None
    try:
        return from_json(data) if isinstance(data, dict) else from_time(since)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ConfigError(f"Invalid {system} cursor {since!r}: expected the JSON cursor of a pull or "
                          f"{example}.") from None


def dump_cursor(data: dict, *, sort_keys: bool = False) -> str:
    """The compact JSON a pull stores as its cursor."""
    return json.dumps(data, sort_keys=sort_keys, separators=(",", ":"))
