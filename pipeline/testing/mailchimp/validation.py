"""Request bodies checked against the vendored schemas, answered as Mailchimp answers them.

A body that fails the schema of its exact verb and path gets 400 ``Invalid Resource`` with one
``{field, message}`` per problem, in Mailchimp's own words where we have seen them ("Required
fields were not provided: email_address", "Schema describes string, NULL found instead").
Properties a schema does not declare are refused too (``additionalProperties: false`` wherever the
spec lists an object's properties): a client must send only what the spec knows for that verb,
e.g. no ``lines[].id`` in an order ``PATCH`` (3.0.55's ``E_commerce_Order_Line_Item_2`` has none).
[unverified] the wording of that refusal; Mailchimp's own is not published.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass

from jsonschema import Draft4Validator, ValidationError

from pipeline.testing.mailchimp.problems import VALIDATION_DETAIL, invalid
from pipeline.testing.mailchimp.schemas import SCHEMAS

_JSON_TYPES = {type(None): "NULL", bool: "boolean", int: "integer", float: "number", str: "string",
               list: "array", dict: "object"}


@dataclass(frozen=True)
class Operation:
    key: str
    pattern: re.Pattern
    validator: Draft4Validator


def _schema(key: str, schema: dict) -> dict:
    schema = copy.deepcopy(schema)
    if key.startswith(("PUT /lists/", "PATCH /lists/")):
        # A conversion artefact: the spec types each merge field value as an object, while FNAME
        # and the like are strings. The emulator checks merge fields by their audience's types.
        schema["properties"]["merge_fields"].pop("additionalProperties", None)
    return closed(schema)


def closed(schema: object) -> object:
    """``schema`` with every object that lists its properties closed to any other property.

    An object without a property list (merge fields, a batch operation's ``params``) stays open:
    the spec leaves its keys to the account.
    """
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: ({name: closed(sub) for name, sub in value.items()} if key == "properties" else closed(value))
           for key, value in schema.items()}
    if schema.get("properties") and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


def _operation(key: str, schema: dict) -> Operation:
    method, template = key.split(" ", 1)
    pattern = re.compile(f"^{method} " + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
    return Operation(key, pattern, Draft4Validator(_schema(key, schema)))


OPERATIONS = [_operation(key, schema) for key, schema in SCHEMAS.items()]


def operation_for(method: str, path: str) -> Operation | None:
    return next((op for op in OPERATIONS if op.pattern.match(f"{method} {path}")), None)


def check(method: str, path: str, body: object) -> None:
    """Raise the 400 of a body its operation's schema refuses, or of an operation without one."""
    operation = operation_for(method, path)
    if operation is None:
        # Every route that takes a body has its schema vendored; anything else is no operation of 3.0.55.
        raise invalid(VALIDATION_DETAIL, [{"field": "", "message": f"No {method} operation at {path}."}])
    errors = sorted(operation.validator.iter_errors(body), key=lambda error: list(map(str, error.path)))
    if errors:
        # jsonschema reports each missing required property apart; Mailchimp lists them in one.
        unique = {json.dumps(problem, sort_keys=True): problem for problem in map(field_error, errors)}
        raise invalid(VALIDATION_DETAIL, list(unique.values()))


def field_error(error: ValidationError) -> dict:
    """One problem as Mailchimp lists it: a dotted field (``operations.item:80``) and a message."""
    field = ".".join(f"item:{part}" if isinstance(part, int) else str(part) for part in error.path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return {"field": field, "message": f"Required fields were not provided: {', '.join(missing)}"}
    if error.validator == "type":
        found = _JSON_TYPES.get(type(error.instance), "value")
        return {"field": field, "message": f"Schema describes {error.validator_value}, {found} found instead"}
    if error.validator == "additionalProperties":  # [unverified] wording
        known = error.schema.get("properties") or {}
        extra = ", ".join(sorted(name for name in error.instance if name not in known))
        return {"field": field, "message": f"Schema does not describe these properties: {extra}"}
    if error.validator == "enum":  # [unverified] wording
        allowed = ", ".join(map(str, error.validator_value))
        return {"field": field, "message": f"Value must be one of: {allowed}"}
    return {"field": field, "message": error.message}
