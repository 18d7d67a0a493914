"""Request checks against Magento's official admin schema (the vendored subset in ``../specs``).

Bodies are validated with jsonschema (Draft 4, which Swagger 2.0 uses) plus one rule Magento
applies beyond the schema: a key the data interface does not declare is rejected ("is not
supported", 2.4.7+). Query parameter names are checked against the operation's declared ones,
in either of the spellings Magento reads (camelCase, as the schema writes them, or snake_case).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft4Validator, ValidationError, validators

from pipeline.testing.magento2.responses import (
    INVALID_VALUE, REQUIRED_FIELD, UNSUPPORTED_FIELD, WRONG_TYPE, MagentoError, bad_request)

SUBSET = Path(__file__).resolve().parent.parent / "specs" / "magento2-admin-2.4.9.subset.json"
_SNAKE = {"filterGroups": "filter_groups", "conditionType": "condition_type", "sortOrders": "sort_orders",
          "pageSize": "page_size", "currentPage": "current_page"}


def _declared_only(validator, properties, instance, schema):
    yield from Draft4Validator.VALIDATORS["properties"](validator, properties, instance, schema)
    if validator.is_type(instance, "object") and "additionalProperties" not in schema:
        for name in instance:
            if name not in properties:
                yield ValidationError(f"{name!r} is not declared.", validator="unsupported",
                                      validator_value=name)


StrictValidator = validators.extend(Draft4Validator, {"properties": _declared_only})


@dataclass(frozen=True)
class Operation:
    key: str
    pattern: re.Pattern
    query: tuple[re.Pattern, ...]
    validator: Draft4Validator | None


class RequestSchema:
    """The operations of the subset, matched by method and path (``/V1/...``)."""

    def __init__(self, path: Path = SUBSET) -> None:
        document = json.loads(path.read_text(encoding="utf-8"))
        self.source = document["x-source"]
        self.operations = [self._operation(key, spec, document["definitions"])
                           for key, spec in document["operations"].items()]

    @staticmethod
    def _operation(key: str, spec: dict, definitions: dict) -> Operation:
        method, template = key.split(" ", 1)
        pattern = re.compile(f"^{method} " + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
        query = tuple(re.compile("^" + re.escape(name).replace(r"\[0\]", r"\[\d+\]") + "$")
                      for name in spec["query"])
        body = spec["body"]
        validator = StrictValidator({**body, "definitions": definitions}) if body else None
        return Operation(key, pattern, query, validator)

    def operation(self, method: str, path: str) -> Operation | None:
        # Literal segments win over parameters (/V1/customers/search over /V1/customers/{customerId}).
        found = [op for op in self.operations if op.pattern.match(f"{method} {path}")]
        return min(found, key=lambda op: op.key.count("{"), default=None)

    def unknown_query(self, operation: Operation, query: list[tuple[str, str]]) -> list[str]:
        names = {_camel(name) for name, _ in query}
        return sorted(name for name in names if not any(p.match(name) for p in operation.query))

    def check_body(self, operation: Operation, body: object) -> MagentoError | None:
        """Magento's 400 for the first problem of ``body`` (None when valid)."""
        if operation.validator is None:
            return None
        errors = sorted(operation.validator.iter_errors(body),
                        key=lambda error: (len(error.path), list(map(str, error.path))))
        return _as_magento(errors[0]) if errors else None


def _camel(name: str) -> str:
    for camel, snake in _SNAKE.items():
        name = name.replace(f"[{snake}]", f"[{camel}]")
    return name


def _as_magento(error: ValidationError) -> MagentoError:
    where = ".".join(map(str, error.path)) or "body"
    if error.validator == "unsupported":
        return bad_request(UNSUPPORTED_FIELD, {"fieldName": error.validator_value})
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        return bad_request(REQUIRED_FIELD, {"fieldName": missing})
    if error.validator == "type":
        return bad_request(WRONG_TYPE, {"value": json.dumps(error.instance), "type": error.validator_value})
    return bad_request(INVALID_VALUE, {"value": json.dumps(error.instance), "fieldName": where})


def describe(error: MagentoError) -> str:
    """The filled-in message, for the emulator's list of violations."""
    text = error.message
    for name, value in (error.parameters or {}).items() if isinstance(error.parameters, dict) else ():
        text = text.replace(f"%{name}", str(value))
    return text
