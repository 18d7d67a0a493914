"""Marshmallow's error messages of a system file as ``{dotted path: [messages]}``, with "Did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from marshmallow import Schema, fields


#: Fields that are dicts of user-named keys: marshmallow files their errors under "key" and "value".
_DICTS = ("entities", "headers", "params", "lists", "references")


def without_dict_levels(messages: object, parent: str = "") -> object:
    """Marshmallow's ``{name: {"value": {...}}}`` for dict fields, as ``{name: {...}}``."""
    if not isinstance(messages, dict):
        return messages
    out: dict = {}
    for key, value in messages.items():
        if parent in _DICTS and isinstance(value, dict):
            merged: dict | list = {}
            for level, inner in value.items():
                if level == "value":
                    inner = without_dict_levels(inner, "")
                    merged = {**merged, **inner} if isinstance(inner, dict) and isinstance(merged, dict) else inner
                elif level == "key":
                    merged = inner if not merged else merged
            out[key] = merged
        else:
            out[key] = without_dict_levels(value, str(key))
    return out


def suggest_keys(messages: object, prefix: str, into: dict[str, list[str]], root: type[Schema]) -> None:
    """Add "Did you mean" to each unknown key that is close to a key the schema knows."""
    if not isinstance(messages, dict):
        return
    for key, value in messages.items():
        at = f"{prefix}.{key}" if prefix else str(key)
        if value == ["Unknown field."]:
            known = _known_keys(prefix, root)
            close = difflib.get_close_matches(str(key), known, n=1)
            if close:
                into[at] = [f"Unknown field. Did you mean {close[0]!r}?"]
        elif isinstance(value, dict):
            suggest_keys(value, at, into, root)


def _known_keys(prefix: str, root: type[Schema]) -> list[str]:
    schema = root
    for part in prefix.split(".") if prefix else ():
        field = schema().fields.get(part) or schema().load_fields.get(part)
        if isinstance(field, fields.Dict) and isinstance(field.value_field, fields.Nested):
            field = field.value_field
        elif field is None and schema is root:
            return []
        if isinstance(field, fields.Nested):
            schema = field.nested if isinstance(field.nested, type) else type(field.schema)
        elif isinstance(field, fields.Dict):
            continue
        elif field is None:
            # An entity name (a key of `entities`) sits between two schemas.
            continue
        else:
            return []
    return [f.data_key or name for name, f in schema().fields.items()]


def suggest(name: str, known: Mapping | set, before: str = "", after: str = "") -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" Did you mean {before}{close[0]}{after}?" if close else ""
