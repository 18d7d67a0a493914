"""The base schemas of canonical records, and their validation and normalisation into JSON-safe dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, missing

from pipeline.entities.normaliser import Normaliser
from pipeline.errors import RecordError


#: Entity class -> its Normaliser (a race builds two equal ones, harmlessly).
_normalisers: dict[type, Normaliser] = {}


class Part(Schema):
    """A nested part of an entity (an address, an order line, a tracking number).

    Unknown keys raise. An optional field without a default also accepts ``null``: vendors send it
    for "no value", and a JMESPath expression over a missing path yields it too.
    """

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj) -> None:
        # A field with a default keeps rejecting null, or null would silently replace the default.
        if not field_obj.required and field_obj.load_default is missing:
            field_obj.allow_none = True


class Entity(Part):
    """A canonical record kind (customer, order, product, ...) as every system sees it.

    Subclasses name the field that identifies a record, which loaders upsert by:

        class Customer(Entity):
            entity_name = "customer"
            natural_key = "email"
            email = Email(required=True)

    ``Customer.normalise(raw)`` validates and normalises a record and returns it JSON-safe
    (amounts as strings, datetimes as ISO 8601 in UTC): that dict is what travels between workers.
    """

    #: The entity's registry name, used in messages.
    entity_name: ClassVar[str]
    #: The field whose value identifies a record: an email, an order number, a SKU.
    natural_key: ClassVar[str]

    @classmethod
    def key_fields(cls) -> tuple[str, ...]:
        """The fields ``key_of`` reads: the natural key, and more where the key is compound."""
        return (cls.natural_key,)

    @classmethod
    def key_of(cls, record: Mapping[str, Any]) -> str:
        """Return the natural key of a loaded or dumped record, as a string.

        Raises:
            KeyError: the record has no natural key.
        """
        return str(record[cls.natural_key])

    @classmethod
    def normalise(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and normalise one raw record, and return it as a JSON-safe dict.

        Raises:
            RecordError: the record is invalid; ``problems`` holds marshmallow's messages by field.
        """
        try:
            return cls._normaliser()(data)
        except ValidationError as err:
            problems = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
            raise RecordError(cls._invalid_message(data, problems), problems=problems) from None

    @classmethod
    def _normaliser(cls) -> Normaliser:
        # Built once per entity and shared by threads: it only reads its field objects. Building a
        # schema deep-copies every declared field, far too costly per record.
        normaliser = _normalisers.get(cls)
        if normaliser is None:
            normaliser = _normalisers[cls] = Normaliser(cls())
        return normaliser

    @classmethod
    def _invalid_message(cls, data: object, problems: Mapping[str, Any]) -> str:
        key = ""
        if isinstance(data, Mapping) and data.get(cls.natural_key) not in (None, ""):
            key = f" {cls.key_of(data)!r}"
        details = "; ".join(f"{path}: {message}" for path, message in message_paths(problems))
        return f"Invalid {cls.entity_name} record{key}: {details}"


def message_paths(messages: Any, prefix: str = "", renames: Mapping[str, str] | None = None):
    """Yield ``(dotted path, message)`` from marshmallow's nested messages (list indexes included).

    ``renames`` gives a field's name in the file for its attribute name (``fields_`` -> ``fields``).
    """
    if isinstance(messages, Mapping):
        for name, inner in messages.items():
            name = (renames or {}).get(name, name)
            yield from message_paths(inner, f"{prefix}.{name}" if prefix else str(name), renames)
    elif isinstance(messages, list):
        for message in messages:
            yield from message_paths(message, prefix, renames)
    else:
        yield prefix, messages


def problems_by_path(messages: Any, into: dict[str, list[str]], renames: Mapping[str, str] | None = None) -> None:
    """Add marshmallow's messages to ``into`` as ``{dotted path: [messages]}`` ("(file)" for the top)."""
    for path, message in message_paths(messages, renames=renames):
        into.setdefault(path or "(file)", []).append(str(message))
