"""Running a mapping: a source record in, a validated canonical entity (a LoadItem) out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from jmespath.exceptions import JMESPathError
from marshmallow import ValidationError, fields

from pipeline.entities import ENTITIES
from pipeline.errors import RecordError
from pipeline.mapping.compiler import compile_expression
from pipeline.mapping.functions import MappingFunctions
from pipeline.mapping.spec import FieldRule, MappingSpec
from pipeline.systems.base import INVALID_RECORD, LoadItem

#: A compiled rule: (the value it reads from, the path prefix for messages) -> the field's value.
Rule = Callable[[object, str], object]
#: Compiled rules of one object: (source, prefix) -> the mapped dict (absent values left out).
Fields = Callable[[object, str], dict]


class Mapper:
    """One mapping file, compiled once per process and applied to many records.

    Every expression is compiled to Python closures (``compiler.py``) and the entity's validation
    runs in one pass over its field objects (``entities/normaliser.py``); both give what jmespath's
    interpreter and ``dump(load())`` give, messages included.

    >>> from pipeline.mapping import load_mapping
    >>> mapper = Mapper(load_mapping("mappings/demo_files_customer.yaml"))
    >>> item = mapper.map({"Email": " Ada@Example.COM ", "First": "Ada", "Last": "Lovelace", "Country": "GB"})
    >>> item.key
    'ada@example.com'
    """

    def __init__(self, spec: MappingSpec) -> None:
        self.spec = spec
        self.entity = ENTITIES[spec.entity]
        functions = MappingFunctions(spec.value_maps)
        self._fields = _compile_fields(spec.fields, functions)
        self._target_fields = _compile_fields(spec.target_fields, functions)
        self._has_native = bool(spec.target_fields)
        self._constants = dict(spec.constants)
        schema = self.entity()
        # Entity fields whose values pass through unchecked (a Dict's values) may hold Decimals from
        # to_decimal(): only those need the JSON-safe walk.
        self._untyped = tuple(name for name, field in schema.fields.items() if _untyped(field))
        rules = {rule.name: rule for rule in spec.fields}
        # What the record's key is made of: (name, its compiled rule or None for a constant, the field).
        self._key_parts = [(name, _compile_rule(rules[name], functions) if name in rules else None,
                            schema.fields[name]) for name in self.entity.key_fields()]

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
                value = rule(record, "") if rule else self._constants.get(name)
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
        mapped = self._constants.copy()
        mapped.update(self._fields(record, ""))
        return mapped

    def map(self, record: dict) -> LoadItem:
        """Map, validate and normalise one record.

        Raises:
            RecordError: naming the field at fault; the record fails alone.
        """
        try:
            mapped = self.apply(record)
            # Computed before validation, so a broken target field is named like any other field.
            native = _json_safe(self._target_fields(record, "target_fields.")) if self._has_native else {}
        except RecordError as error:
            key = self.source_label(record)
            named = f" {key!r}" if key else ""
            raise RecordError(f"Invalid {self.entity.entity_name} record{named}: {error}", error.problems) from None
        data = self.entity.normalise(mapped)
        for name in self._untyped:
            if name in data:
                data[name] = _json_safe(data[name])
        return LoadItem(key=self.entity.key_of(data), data=data, native=native)


def _compile_fields(rules: Sequence[FieldRule], functions: MappingFunctions) -> Fields:
    # Plain fields (most of them) run their compiled expression inline; nested ones go through their rule.
    compiled = [(rule.name, _compile_expression(rule, functions), None if not rule.children
                 else _compile_rule(rule, functions)) for rule in rules]

    def fields_of(source: object, prefix: str) -> dict:
        out = {}
        for name, find, nested in compiled:
            if nested is not None:
                value = nested(source, prefix)
            else:
                try:
                    value = find(source)
                except (JMESPathError, RecordError) as error:
                    raise _located(error, f"{prefix}{name}") from None
            # Absent stays absent: a None would fail "Field may not be null." on optional fields.
            if value is not None:
                out[name] = value
        return out
    return fields_of


def _compile_expression(rule: FieldRule, functions: MappingFunctions):
    if rule.expression is None:
        return lambda source: source  # a nested object read from the record itself
    return compile_expression(rule.expression.parsed, functions)


def _located(error: Exception, at: str) -> RecordError:
    """The error of one field's expression, named by the field's path."""
    if isinstance(error, JMESPathError):
        return RecordError(f"{at}: {' '.join(str(error).split())}", {at: [str(error)]})
    return RecordError(f"{at}: {error}", {at: [str(error)]})


def _compile_rule(rule: FieldRule, functions: MappingFunctions) -> Rule:
    name, find = rule.name, _compile_expression(rule, functions)

    def value(source: object, prefix: str) -> object:
        try:
            return find(source)
        except (JMESPathError, RecordError) as error:
            raise _located(error, f"{prefix}{name}") from None

    if not rule.children:
        return value
    children = _compile_fields(rule.children, functions)
    if not rule.many:
        def nested(source: object, prefix: str) -> object:
            found = value(source, prefix)
            return None if found is None else children(found, f"{prefix}{name}.")
        return nested

    def each(source: object, prefix: str) -> object:
        found = value(source, prefix)
        if found is None:
            return None
        at = f"{prefix}{name}"
        if not isinstance(found, list):
            raise RecordError(f"{at}: expected a list, got {type(found).__name__}.", {at: ["Not a list."]})
        return [children(element, f"{at}.{index}.") for index, element in enumerate(found)]
    return each


def _untyped(field: fields.Field) -> bool:
    if isinstance(field, fields.List):
        return _untyped(field.inner)
    if isinstance(field, fields.Nested):
        return any(_untyped(inner) for inner in field.schema.fields.values())
    return isinstance(field, fields.Dict) or type(field) is fields.Raw


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
