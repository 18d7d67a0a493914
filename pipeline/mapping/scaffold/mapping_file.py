"""The text of a scaffolded mapping file: every field of the entity, required ones marked, each with its type.

Required fields are written as active lines: with a guess from the sample when there is one, or
`` `null` `` (so the golden test names them as missing until they are filled in). Optional fields are
written commented out, so the file lists everything without mapping anything the author has not chosen.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import Schema, fields

from pipeline.entities import fields as ours
from pipeline.mapping.scaffold.guesses import expression, guess
from pipeline.systems.carrying import uncarried

#: A target system's name and its carried-fields table (``pipeline.systems.carrying``).
Target = tuple[str, Mapping[str, str]]

#: A marshmallow field class -> how the mapping file describes its type.
TYPES = [(ours.Email, "email address"), (ours.UtcDateTime, "date-time, ISO 8601 (to_datetime() converts others)"),
         (ours.Money, "amount, exact decimal (to_decimal())"), (ours.CountryCode, "ISO 3166-1 alpha-2 country code"),
         (ours.CurrencyCode, "ISO 4217 currency code"), (fields.Date, "date, YYYY-MM-DD (to_date() converts others)"),
         (fields.Boolean, "true or false"), (fields.Integer, "whole number"), (fields.Decimal, "decimal number"),
         (fields.Dict, "object"), (fields.String, "text")]


def type_of(field: fields.Field) -> str:
    if isinstance(field, fields.List):
        inner = field.inner
        if isinstance(inner, fields.Nested):
            return f"list of {_schema(inner).__name__.lower()}"
        return f"list of {type_of(inner)}"
    if isinstance(field, fields.Nested):
        return _schema(field).__name__.lower()
    return next((label for kind, label in TYPES if isinstance(field, kind)), type(field).__name__)


def field_lines(schema: type[Schema], sample: dict, indent: str = "  ", *, carries: Target | None = None,
                prefix: str = "") -> list[str]:
    """The ``fields:`` entries of ``schema``, one block per field.

    With ``carries`` (the target's name and its carried-fields table), each field also says where the
    target's load puts it, or that it does not carry it (such a field, if mapped, goes under ``ignore:``).
    """
    lines: list[str] = []
    for name, field in schema().fields.items():
        lines += _field(name, field, sample, indent, carries, prefix + name)
    return lines


def carried_note(path: str, carries: Target | None) -> str:
    if carries is None:
        return ""
    target, table = carries
    if path in table:
        return f"; {target}: {table[path]}"
    if uncarried([path], table):
        return f"; not carried by {target}'s load (list it under ignore: if you map it)"
    return ""


def _field(name: str, field: fields.Field, sample: dict, indent: str, carries: Target | None = None,
           path: str = "") -> list[str]:
    required = bool(field.required)
    note = ("required, " if required else "") + type_of(field) + carried_note(path or name, carries)
    nested = _nested(field)
    if nested is not None:
        many = isinstance(field, fields.List)
        source_key = guess(name, sample)
        inner_sample = _first_object(sample.get(source_key.strip('"')) if source_key else None)
        where = f"{'each' if many else 'from'}: {source_key or 'TODO'}"
        block = [f"{name}:  # {note}", f"  {where}" + ("  # guessed from the sample: check it" if source_key else
                                                       "  # TODO: the source list" if many else "  # TODO"),
                 "  fields:"] + [f"  {line}" for line in field_lines(nested, inner_sample, "  ", carries=carries,
                                                                      prefix=f"{path or name}.")]
        return [indent + (line if required else "# " + line) for line in block]
    found = guess(name, sample)
    if found and isinstance(field, fields.List) and not isinstance(sample.get(found.strip('"')), list):
        # One value where the entity keeps a list (a street line): a list of that one value.
        found = f"[{found}]"
    if required:
        value = found or "\"`null`\""
        tail = "guessed from the sample: check it" if found else "TODO"
        return [f"{indent}{name}: {value}  # {note}; {tail}"]
    return [f"{indent}# {name}: {found or 'TODO'}  # {note}" + ("; guessed from the sample" if found else "")]


def _nested(field: fields.Field) -> type[Schema] | None:
    inner = field.inner if isinstance(field, fields.List) else field
    return _schema(inner) if isinstance(inner, fields.Nested) else None


def _schema(field: fields.Nested) -> type[Schema]:
    nested = field.nested
    return nested if isinstance(nested, type) else type(field.schema)


def _first_object(value: object) -> dict:
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


__all__ = ["expression", "field_lines", "type_of"]
