"""Route and query parameters, checked before anything reads Redis with them.

A run id names one key family (``ns:run:<id>``): an id such as ``<id>:booked`` or ``<id>:states``
would read another key through it (the old page answered 500 or showed a fake run). Ids are
therefore checked against a strict pattern here, and against the runs index by the store.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from flask import abort, request

#: What our run ids look like (``20261205T083000-1a2b3c4d``), loosely: letters, digits, ``_ . -``.
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def run_id_param(value: str) -> str:
    if not RUN_ID.match(value):
        abort(404, f"No run {value!r}: a run id has only letters, digits, '_', '.' and '-'.")
    return value


def choice(name: str, allowed: Collection[str]) -> str | None:
    """A query parameter that must be one of ``allowed`` (empty or absent: no filter)."""
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        abort(400, f"Unknown {name} {value!r}. Known values: {', '.join(sorted(allowed))}.")
    return value


def number(name: str, allowed: Collection[int]) -> int | None:
    raw = request.args.get(name) or None
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) not in allowed:
        abort(400, f"Unknown {name} {raw!r}. Known values: {', '.join(str(n) for n in allowed)}.")
    return int(raw)

