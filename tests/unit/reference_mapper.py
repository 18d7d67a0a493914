"""The interpreted mapper, as it was before compilation: the oracle the compiled Mapper must equal.

It walks each expression with jmespath's TreeInterpreter and validates with ``schema.dump(schema.load())``,
the plain way; ``test_mapping_compiled.py`` checks that ``pipeline.mapping.Mapper`` gives the same
outputs and the same error messages. Test code only.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.visitor import TreeInterpreter
from marshmallow import ValidationError

from pipeline.entities import ENTITIES
from pipeline.errors import RecordError
from pipeline.mapping.functions import MappingFunctions
from pipeline.mapping.spec import FieldRule, MappingSpec
from pipeline.systems.base import INVALID_RECORD, LoadItem


class ReferenceMapper:
    """One mapping file, interpreted record by record."""

    def __init__(self, spec: MappingSpec) -> None:
        self.spec = spec
        self.entity = ENTITIES[spec.entity]
        self.options = jmespath.Options(custom_functions=MappingFunctions(spec.value_maps))
        # One interpreter for every search: ParsedResult.search builds a new one (and loses its
        # method cache) on each call. jmespath is pinned, as this is its internal API.
        self._interpreter = TreeInterpreter(self.options)
        fields = self.entity().fields
        # What the record's key is made of: (name, its rule or None for a constant, the entity's field).
        self._key_parts = [(name, next((rule for rule in spec.fields if rule.name == name), None), fields[name])
                           for name in self.entity.key_fields()]

    def source_key(self, record: dict) -> str | None:
        """The record's key, computed from the source alone (to name records that fail to map).

        None when a part of it cannot be computed: a compound key (``sku@source_code``) guessed
        from one part would give two different records the same name.
        """
        parts, complete = self._key_values(record)
        return self.entity.key_of(parts) if complete else None

    def source_label(self, record: dict) -> str | None:
        """The key if it can be computed, else the natural-key field alone: a name for messages."""
        parts, complete = self._key_values(record)
        if complete:
            return self.entity.key_of(parts)
        value = parts.get(self.entity.natural_key)
        return None if value is None else str(value)

    def _key_values(self, record: dict) -> tuple[dict, bool]:
        if not isinstance(record, dict):
            return {}, False
        parts, complete = {}, True
        for name, rule, field in self._key_parts:
            try:
                value = self._value(rule, record, "") if rule else self.spec.constants.get(name)
            except (RecordError, JMESPathError, TypeError, ValueError):
                complete = False
                continue
            if value is None:
                complete = complete and name != self.entity.natural_key  # other parts have defaults
                continue
            try:
                # Normalised as the entity would (a trimmed, lower-cased email), so keys match across runs.
                parts[name] = field.deserialize(value)
            except ValidationError:
                parts[name] = value
        return parts, complete

    def apply(self, record: dict) -> dict:
        """The mapped fields before entity validation (what ``connector preview`` shows first)."""
        if INVALID_RECORD in record:
            raise RecordError(str(record[INVALID_RECORD]))
        mapped = dict(self.spec.constants)
        mapped.update(self._fields(self.spec.fields, record, ""))
        return mapped

    def map(self, record: dict) -> LoadItem:
        """Map, validate and normalise one record.

        Raises:
            RecordError: naming the field at fault; the record fails alone.
        """
        try:
            mapped = self.apply(record)
            # Computed before validation, so a broken target field is named like any other field.
            native = _json_safe(self._fields(self.spec.target_fields, record, "target_fields."))
        except RecordError as error:
            key = self.source_label(record)
            named = f" {key!r}" if key else ""
            raise RecordError(f"Invalid {self.entity.entity_name} record{named}: {error}", error.problems) from None
        data = _json_safe(_normalise(self.entity, mapped))
        return LoadItem(key=self.entity.key_of(data), data=data, native=native)

    def _fields(self, rules: Sequence[FieldRule], record: object, prefix: str) -> dict:
        out = {}
        for rule in rules:
            value = self._value(rule, record, prefix)
            # Absent stays absent: a None would fail "Field may not be null." on optional fields.
            if value is not None:
                out[rule.name] = value
        return out

    def _value(self, rule: FieldRule, record: object, prefix: str) -> object:
        at = f"{prefix}{rule.name}"
        try:
            found = self._interpreter.visit(rule.expression.parsed, record) if rule.expression else record
        except JMESPathError as error:
            raise RecordError(f"{at}: {' '.join(str(error).split())}", {at: [str(error)]}) from None
        except RecordError as error:
            raise RecordError(f"{at}: {error}", {at: [str(error)]}) from None
        if not rule.children:
            return found
        if rule.many:
            if found is None:
                return None
            if not isinstance(found, list):
                raise RecordError(f"{at}: expected a list, got {type(found).__name__}.", {at: ["Not a list."]})
            return [self._fields(rule.children, element, f"{at}.{index}.") for index, element in enumerate(found)]
        return None if found is None else self._fields(rule.children, found, f"{at}.")


def _json_safe(value: object) -> object:
    # to_decimal() gives Decimals, which target_fields and entity Dict fields pass through as they
    # are; messages are JSON, so they travel as strings, as Money does.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_json_safe(inner) for inner in value]
    return value


_SCHEMAS: dict = {}


def _normalise(entity, data):
    schema = _SCHEMAS.setdefault(entity, entity())
    try:
        return schema.dump(schema.load(data))
    except ValidationError as err:
        problems = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise RecordError(entity._invalid_message(data, problems), problems=problems) from None
