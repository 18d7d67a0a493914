"""``{NAME}`` placeholders in system files: connection variables (upper case) and record values.

``{TOKEN}`` in a system file is the connection's ``PIPELINE_<CONNECTION>_TOKEN``; ``{key}`` and
``{id}`` in a write path are the record's natural key and the id its lookup found.

>>> fill("/customers/{id}.json", {"id": "7"})
'/customers/7.json'
>>> sorted(placeholders("{URL}/admin/{VERSION}"))
['URL', 'VERSION']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: Upper case: a connection variable. Lower case: a value of the record being written.
VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*$")
RECORD_VALUES = ("key", "id")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def fill(text: str, values: Mapping[str, str], quote: Callable[[str], str] = str) -> str:
    """``text`` with each placeholder replaced by ``quote(value)``; a missing one raises KeyError."""
    return PLACEHOLDER.sub(lambda match: quote(str(values[match.group(1)])), text)


def variables(text: str) -> set[str]:
    """The connection variables a template needs."""
    return {name for name in placeholders(text) if VARIABLE.match(name)}
