"""Request checks against Magento's official admin schema (the vendored subset in ``../specs``).

Bodies are validated with jsonschema (Draft 4, which Swagger 2.0 uses) plus one rule Magento
applies beyond the schema: a key the data interface does not declare is rejected ("is not
supported", 2.4.7+). Query parameter names are checked against the operation's declared ones,
in either of the spellings Magento reads (camelCase, as the schema writes them, or snake_case).
A bulk request (``/async/bulk/V1/...``) is a JSON array of the synchronous route's bodies, each
checked as that route's body is. A few operations also vendor their answer's schema, which tests
hold the emulator's own answers to (``check_answer``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft4Validator, ValidationError, validators

from pipeline.testing.magento2.responses import (
    INVALID_VALUE,
    REQUIRED_FIELD,
    UNSUPPORTED_FIELD,
    WRONG_TYPE,
    MagentoError,
    bad_request,
)
from pipeline.testing.server import Request

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


def _null_or_type(validator, types, instance, schema):
    # Magento's output keeps a getter the interface declares non-nullable (so "required") even
    # when its value is null: an open operation's result_message, for one.
    if instance is not None:
        yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


StrictValidator = validators.extend(Draft4Validator, {"properties": _declared_only})
AnswerValidator = validators.extend(StrictValidator, {"type": _null_or_type})


@dataclass(frozen=True)
class Operation:
    key: str
    pattern: re.Pattern
    query: tuple[re.Pattern, ...]
    validator: Draft4Validator | None
    answer: Draft4Validator | None = None


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
        answer = spec.get("response")
        return Operation(key, pattern, query, validator,
                         AnswerValidator({**answer, "definitions": definitions}) if answer else None)

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


    def check(self, request: Request, path: str, violations: list[str], *, bulk: bool = False) -> None:
        """Append every problem of ``request`` to ``violations``; raise Magento's 400 for a bad body.

        ``path`` is the ``/V1/...`` part; ``bulk`` says the body is an array of that route's bodies.
        """
        operation = self.operation(request.method, path)
        where = f"{request.method} {'/async/bulk' if bulk else ''}{path}"
        if operation is None:
            violations.append(f"{where}: the operation is not in the vendored schema subset.")
            return
        unknown = self.unknown_query(operation, request.query)
        if unknown:
            violations.append(f"{where}: query parameters not in the schema: {', '.join(unknown)}.")
        if operation.validator is None:
            return
        try:
            body = request.json()
        except ValueError:
            violations.append(f"{where}: the body is not JSON.")
            raise bad_request("Decoding error.") from None
        if bulk and not isinstance(body, list):
            # Magento reads a bulk's input as a list of the route's parameters; nothing else decodes.
            violations.append(f"{where}: the body is not a JSON array.")
            raise bad_request("Decoding error.")
        for label, one in _bodies(body, bulk):
            error = self.check_body(operation, one)
            if error is not None:
                violations.append(f"{where}: {label}{describe(error)}")
                raise error

    def check_answer(self, method: str, path: str, body: object) -> list[str]:
        """Every way ``body`` differs from the operation's vendored answer schema."""
        operation = self.operation(method, path)
        assert operation is not None and operation.answer is not None, f"No answer schema: {method} {path}."
        return [f"{'.'.join(map(str, error.path)) or 'body'}: {error.message}"
                for error in operation.answer.iter_errors(body)]


def _bodies(body: object, bulk: bool) -> list[tuple[str, object]]:
    if bulk and isinstance(body, list):
        return [(f"item {index}: ", one) for index, one in enumerate(body)]
    return [("", body)]


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
    """The filled-in message (``%name`` or ``%1``), as violations and bulk results show it."""
    parameters = error.parameters
    named = (parameters.items() if isinstance(parameters, dict)
             else enumerate(parameters, start=1) if isinstance(parameters, list) else ())
    text = error.message
    # Longest names first, so that %10 is not read as %1 followed by "0".
    for name, value in sorted(((str(name), value) for name, value in named), key=lambda pair: -len(pair[0])):
        text = text.replace(f"%{name}", str(value))
    return text
