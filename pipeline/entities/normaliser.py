"""An entity's validation and normalisation in one pass over its marshmallow field objects.

``schema.dump(schema.load(raw))`` walks every record twice through marshmallow's generic machinery
(error stores, hooks, accessors, a second pass to turn Decimals and datetimes back into text). A
``Normaliser`` is built once per entity: for each field, marshmallow's own bound field object
validates the value (so the same messages come out: each field's ``deserialize`` runs as the schema
would run it), and the field's own ``_serialize`` turns the result JSON-safe right away; nested parts
are normalisers of their own. Errors are collected into the same nested dict ``ValidationError``
would carry, in the same order. ``tests/unit/test_mapping_compiled.py`` checks it against
``dump(load())`` over every shipped mapping's samples and generated invalid records.

Only what the entities use is compiled this way; a schema with hooks (``@validates``,
``@post_load``, ...) falls back to ``dump(load())`` as a whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, missing
from marshmallow.utils import is_collection

from pipeline.entities.fields import CountryCode, CurrencyCode, Email, TrimmedString

#: One field's work: (raw value, the whole raw record) -> JSON-safe value, or ``missing`` to leave it out.
Step = Callable[[Any, Mapping], Any]


class Normaliser:
    """Validate and normalise raw dicts for one schema, as ``schema.dump(schema.load(raw))`` would.

    >>> from pipeline.entities.customer import Customer
    >>> Normaliser(Customer())({"email": " A@B.CO ", "first_name": "Ada", "last_name": "L", "dob": "1815-12-10"})
    {'email': 'a@b.co', 'first_name': 'Ada', 'last_name': 'L', 'dob': '1815-12-10'}
    """

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._type_error = schema.error_messages["type"]
        self._unknown_error = schema.error_messages["unknown"]
        self._raise_unknown = schema.unknown not in (EXCLUDE, INCLUDE)
        self._fallback = _has_hooks(schema) or schema.unknown == INCLUDE
        load_fields = schema.load_fields
        self._names = {field.data_key if field.data_key is not None else name
                       for name, field in load_fields.items()}
        # A field that is absent, optional and without a load default is simply left out: known up front.
        self._steps = [(field.data_key if field.data_key is not None else name, field.attribute or name,
                        _step(field, name), not field.required and field.load_default is missing)
                       for name, field in load_fields.items() if name in schema.dump_fields]
        # A load-only or dump-only field would change what the two passes keep: leave that to marshmallow.
        self._fallback = self._fallback or len(self._steps) != len(load_fields) or any(
            attribute != key or field.data_key is not None
            for (key, attribute, _, _), field in zip(self._steps, load_fields.values()))

    def __call__(self, data: Any) -> dict:
        """The JSON-safe record. Raises ``ValidationError`` with marshmallow's nested messages."""
        if self._fallback:
            return self.schema.dump(self.schema.load(data))
        errors = self.collect(data)
        if type(errors) is dict:
            raise ValidationError(errors)
        return errors[0]

    def collect(self, data: Any) -> tuple[dict] | dict:
        """``(result,)`` when ``data`` is valid, else the errors dict (for nesting without raising)."""
        if not isinstance(data, Mapping):
            return {"_schema": [self._type_error]}
        out, errors = {}, None
        for key, attribute, step, skip_absent in self._steps:
            value = data.get(key, missing)
            if value is missing and skip_absent:
                continue
            try:
                value = step(value, data)
            except ValidationError as error:
                if errors is None:
                    errors = {}
                errors[key] = error.messages
                continue
            if value is not missing:
                out[attribute] = value
        if self._raise_unknown and not self._names.issuperset(data):
            errors = errors if errors is not None else {}
            # The same set expression as marshmallow's, so several unknown keys come in the same order.
            for key in set(data) - self._names:
                errors[key] = [self._unknown_error]
        return errors if errors is not None else (out,)


def _has_hooks(schema: Schema) -> bool:
    return any(schema._hooks.values())


def _step(field: fields.Field, name: str) -> Step:
    nested = _nested_normaliser(field)
    if nested is not None:
        return _nested_step(field, nested)
    inner = getattr(field, "inner", None) if isinstance(field, fields.List) else None
    inner_nested = _nested_normaliser(inner) if inner is not None else None
    if inner is not None and not (field.pre_load or field.post_load):
        if inner_nested is not None:
            return _list_step(field, name, _nested_step(inner, inner_nested))
        if not isinstance(inner, fields.Nested):
            return _list_step(field, name, _field_step(inner, None))
    return _field_step(field, name)


def _field_step(field: fields.Field, name: str) -> Step:
    # Field.deserialize is _validate_missing, pre_load, the null check, _deserialize, _validate and
    # post_load; for a present, non-null value without pre/post-load functions only the middle two do
    # anything, so they are called directly (and skipped where the class is known to be a no-op).
    deserialize, load, serialize = field.deserialize, field._deserialize, _serializer(field)
    validate = field._validate if field.validators else None
    allow_none = field.allow_none
    fast = _STRING_LOADS.get(type(field)._deserialize) if not (field.pre_load or field.post_load) else None
    if type(field) in _PURE:
        load = _remembered(load)
    if field.pre_load or field.post_load:
        def step(value, data):
            loaded = deserialize(value, name, data)
            if loaded is missing or loaded is None or serialize is None:
                return loaded
            return serialize(loaded, name, None)
        return step

    def step(value, data):
        if value is None:
            if allow_none:
                return None
            return deserialize(value, name, data)  # the null check and its message
        if value is missing:
            return deserialize(value, name, data)  # the required check and the load default
        if fast is not None and type(value) is str:
            loaded = fast(value)
        elif type(value) is bool and isinstance(field, fields.Boolean):
            loaded = value
        else:
            loaded = load(value, name, data)
        if validate is not None:
            validate(loaded)
        return loaded if serialize is None else serialize(loaded, name, None)
    return step


#: What a string field's ``_deserialize`` makes of a ``str`` (anything else goes through the field).
_STRING_LOADS = {fields.String._deserialize: lambda value: value,
                 TrimmedString._deserialize: str.strip,
                 Email._deserialize: lambda value: value.strip().lower()}


#: Fields whose result depends on the value alone and repeats across records (a handful of codes).
_PURE = {CountryCode, CurrencyCode}


def _remembered(load):
    # pycountry's lookups are the cost of a country or currency code; the codes seen are few.
    known: dict = {}

    def load_code(value, attr, data):
        if type(value) is str:
            loaded = known.get(value)
            if loaded is None:
                loaded = load(value, attr, data)  # raises for a bad code: those are not remembered
                if len(known) < 4096:
                    known[value] = loaded
            return loaded
        return load(value, attr, data)
    return load_code


def _list_step(field: fields.List, name: str, inner: Step) -> Step:
    # fields.List._deserialize, with the inner field's step per element; errors are keyed by index.
    deserialize, validate = field.deserialize, field._validate if field.validators else None

    def step(value, data):
        if value is None or value is missing:
            return deserialize(value, name, data)
        if not is_collection(value):
            raise field.make_error("invalid")
        out, errors = [], None
        for index, element in enumerate(value):
            try:
                out.append(inner(element, None))
            except ValidationError as error:
                if error.valid_data is not None:
                    out.append(error.valid_data)
                if errors is None:
                    errors = {}
                errors[index] = error.messages
        if errors is not None:
            raise ValidationError(errors, valid_data=out)
        if validate is not None:
            validate(out)
        return out
    return step


def _serializer(field: fields.Field):
    """``field._serialize``, or None where it gives back what ``deserialize`` gave (plain strings, booleans)."""
    kind = type(field)
    if kind._serialize is fields.String._serialize or kind._serialize is fields.Boolean._serialize:
        return None
    if isinstance(field, fields.List) and _serializer(field.inner) is None:
        return None
    return field._serialize


def _nested_normaliser(field: fields.Field | None) -> Normaliser | None:
    if not isinstance(field, fields.Nested) or field.many or field.only or field.exclude or field.validators:
        return None
    if field.unknown is not None or field.pre_load or field.post_load:
        return None
    normaliser = Normaliser(field.schema)
    return None if normaliser._fallback else normaliser


def _nested_step(field: fields.Nested, nested: Normaliser) -> Step:
    def step(value, data):
        if value is missing or value is None:
            return field.deserialize(value)  # required / null checks, with the field's own messages
        result = nested.collect(value)
        if type(result) is dict:
            raise ValidationError(result)
        return result[0]
    return step
