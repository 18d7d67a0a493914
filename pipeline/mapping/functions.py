"""The custom JMESPath functions mapping files may call, on top of JMESPath's built-ins.

A new function is one ``@signature`` method named ``_func_<name>`` with a one-line docstring,
plus a golden case in ``tests/unit/test_mapping_functions.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from jmespath import functions

from pipeline.errors import RecordError


class MappingFunctions(functions.Functions):
    """JMESPath functions bound to one mapping file's value maps.

    >>> import jmespath
    >>> opts = jmespath.Options(custom_functions=MappingFunctions({"status": {"A": "active"}}))
    >>> jmespath.search("map_value('status', s)", {"s": "A"}, options=opts)
    'active'
    """

    def __init__(self, value_maps: Mapping[str, Mapping[str, object]] | None = None) -> None:
        super().__init__()
        self.value_maps = dict(value_maps or {})

    @functions.signature({"types": ["string", "null"]})
    def _func_lower(self, value):
        """Lower-case a string (null stays null)."""
        return None if value is None else value.lower()

    @functions.signature({"types": ["string", "null"]})
    def _func_upper(self, value):
        """Upper-case a string (null stays null)."""
        return None if value is None else value.upper()

    @functions.signature({"types": ["string", "null"]})
    def _func_trim(self, value):
        """Strip surrounding white space; an empty result becomes null."""
        return (value.strip() or None) if value is not None else None

    @functions.signature({"types": ["string", "number", "null"]})
    def _func_to_decimal(self, value):
        """Parse a number exactly (via its text, never through a binary float); blank is null."""
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            number = None
        # Decimal also reads "NaN" and "Infinity", which no amount or quantity can be.
        if number is None or not number.is_finite():
            raise RecordError(f"to_decimal() cannot read {value!r} as a number.")
        return number

    @functions.signature({"types": ["string", "null"]}, {"types": ["string"]})
    def _func_to_datetime(self, value, source_format):
        """Parse a date/time with a strptime format into ISO 8601 UTC (naive values are taken as UTC)."""
        if not value:
            return None
        try:
            parsed = _strptime(value.strip(), source_format)
        except ValueError:
            raise RecordError(f"to_datetime() cannot read {value!r} with format {source_format!r}.") from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=timezone.utc).isoformat()  # already UTC: no conversion to do
        return parsed.astimezone(timezone.utc).isoformat()

    @functions.signature({"types": ["string", "null"]}, {"types": ["string"]})
    def _func_to_date(self, value, source_format):
        """Parse a calendar date with a strptime format into ISO 8601 (``YYYY-MM-DD``)."""
        if not value:
            return None
        try:
            return _strptime(value.strip(), source_format).date().isoformat()
        except ValueError:
            raise RecordError(f"to_date() cannot read {value!r} with format {source_format!r}.") from None

    @functions.signature({"types": ["string", "null"]}, {"types": ["string"]})
    def _func_split(self, value, separator):
        """Split a string into a list of trimmed, non-empty parts."""
        if not separator:
            # str.split would raise a bare ValueError, failing the whole batch instead of the record.
            raise RecordError("split() needs a non-empty separator.")
        if not value:
            return []
        return [part.strip() for part in value.split(separator) if part.strip()]

    @functions.signature({"types": [], "variadic": True})
    def _func_coalesce(self, *values):
        """The first argument that is neither null nor an empty string."""
        return next((value for value in values if value is not None and value != ""), None)

    @functions.signature({"types": []}, {"types": []})
    def _func_default(self, value, fallback):
        """``value``, or ``fallback`` when value is null or an empty string."""
        return fallback if value is None or value == "" else value

    @functions.signature({"types": ["string"]})
    def _func_md5(self, value):
        """Hex md5 of a string (Mailchimp's subscriber hash is md5 of the lower-cased email)."""
        return hashlib.md5(value.encode("utf-8")).hexdigest()

    @functions.signature({"types": ["string"]}, {"types": ["string", "number", "null"]})
    def _func_map_value(self, map_name, value):
        """Translate a code through one of the file's ``value_maps`` (its ``_default`` for the rest)."""
        table = self.value_maps.get(map_name)
        if table is None:
            raise RecordError(f"Unknown value map {map_name!r}.")
        if value is None:
            return None
        key = str(value)
        if key in table:
            return table[key]
        if "_default" in table:
            return table["_default"]
        raise RecordError(f"Value {value!r} is not in value map {map_name!r} and the map has no _default.")


#: The strptime directives a fast parser reads: fixed-width digits, in datetime()'s argument order.
_DIGITS = {"Y": (4, 0), "m": (2, 1), "d": (2, 2), "H": (2, 3), "M": (2, 4), "S": (2, 5)}


@lru_cache(maxsize=64)
def _fast_format(source_format: str) -> tuple[re.Pattern, tuple[int, ...]] | None:
    """A regex for the zero-padded form of a format made of %Y %m %d %H %M %S and literals, or None."""
    pattern, order, rest = "", [], source_format
    while rest:
        if rest[0] == "%":
            directive = _DIGITS.get(rest[1:2])
            if directive is None or directive[1] in order:
                return None
            pattern += rf"(\d{{{directive[0]}}})"
            order.append(directive[1])
            rest = rest[2:]
        elif rest[0].isspace():
            pattern, rest = pattern + r"\s+", rest.lstrip()  # as strptime: a run of white space, one or more
        elif rest[0].isalpha():
            pattern, rest = pattern + f"(?i:{re.escape(rest[0])})", rest[1:]  # strptime ignores case
        elif rest[0].isdigit():
            return None
        else:
            pattern, rest = pattern + re.escape(rest[0]), rest[1:]
    if not {0, 1, 2} <= set(order):
        return None
    return re.compile(pattern), tuple(order) if order != sorted(order) else None


def _strptime(value: str, source_format: str) -> datetime:
    # strptime spends most of its time in generic machinery; an exactly zero-padded value of a simple
    # format is read directly (the same datetime), anything else still goes through strptime.
    fast = _fast_format(source_format)
    match = fast[0].fullmatch(value) if fast else None
    if match is None:
        return datetime.strptime(value, source_format)
    order = fast[1]
    if order is None:  # the fields come in datetime()'s own order
        parts = map(int, match.groups())
    else:
        parts = [1900, 1, 1, 0, 0, 0]
        for position, digits in zip(order, match.groups()):
            parts[position] = int(digits)
    try:
        return datetime(*parts)
    except ValueError:
        return datetime.strptime(value, source_format)  # out of range: strptime's own error


def _arities() -> dict[str, tuple[int, int | None]]:
    table = {}
    for name, entry in MappingFunctions.FUNCTION_TABLE.items():
        signature = entry["signature"]
        variadic = bool(signature) and signature[-1].get("variadic", False)
        # A variadic signature's last entry stands for "one or more".
        table[name] = (len(signature), None if variadic else len(signature))
    return table


#: name -> (fewest, most) arguments (most None: variadic), to check expressions when a file loads,
#: since jmespath itself only notices unknown functions and wrong arity at search time.
ARITIES = _arities()
