"""Loading and validating mapping files: every problem of a file reported at once, with its path.

A mapping file (YAML) declares one integration::

    connector: customer_pull            # entity + direction
    source: {system: files, connection: erp_drop}
    target: {system: memory, connection: shop}
    schedule: "*/15 * * * *"            # optional
    value_maps: {group: {"1": general, _default: retail}}
    constants: {website: base}
    fields:                             # target field -> JMESPath over the source record
      email: lower(trim(Email))
      group: map_value('group', GroupId)
      addresses:
        each: Addresses                 # one nested object per element
        fields: {country_code: Country, city: City}
    target_fields: {subsidiary: "`1`"}  # target-native extras, passed through as they are
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path

import jmespath
import yaml
from jmespath.exceptions import JMESPathError
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from pipeline.entities import ENTITIES
from pipeline.entities.base import problems_by_path
from pipeline.entities.connectors import CONNECTOR_TYPES
from pipeline.errors import ConfigError, MappingError
from pipeline.mapping.functions import ARITIES
from pipeline.mapping.spec import FieldRule, MappingSpec, Options, SystemRef
from pipeline.schedule.cron import cron_problem
from pipeline.systems import GENERIC, SHOPS, SYSTEMS
from pipeline.systems.declarative import (
    SystemFileError, declared_names, declared_spec, reference_problems, systems_dir,
)
from pipeline.systems.declarative.carried import declared_carries
from pipeline.systems.carrying import carried, uncarried
from pipeline.systems.lifecycle import MISSING_ACTIONS, missing_problem

NAME = r"^[a-z][a-z0-9_]*$"


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key written twice is an error instead of the last one winning."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


class _SystemRefSchema(Schema):
    class Meta:
        unknown = RAISE

    system = fields.String(required=True)
    connection = fields.String(validate=validate.Regexp(NAME, error="Must be lower_snake_case."))
    entity = fields.String()


class _OptionsSchema(Schema):
    class Meta:
        unknown = RAISE

    batch_size = fields.Integer(validate=validate.Range(1, 10_000))
    max_retries = fields.Integer(validate=validate.Range(0, 100))
    retry_on = fields.List(fields.String())
    on_missing = fields.String(validate=validate.OneOf(MISSING_ACTIONS))
    missing_limit_pct = fields.Float(validate=validate.Range(0, 100))


class _DocumentSchema(Schema):
    class Meta:
        unknown = RAISE

    integration = fields.String(validate=validate.Regexp(NAME, error="Must be lower_snake_case."))
    description = fields.String()
    connector = fields.String(required=True)
    source = fields.Nested(_SystemRefSchema, required=True)
    target = fields.Nested(_SystemRefSchema, required=True)
    schedule = fields.String(allow_none=True)
    enabled = fields.Boolean()
    constants = fields.Dict(keys=fields.String())
    value_maps = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String()))
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), required=True)
    target_fields = fields.Dict(keys=fields.String(), values=fields.String())
    #: Mapped fields the target's load does not carry, kept on purpose (see ``_check_carried``).
    ignore = fields.List(fields.String())
    options = fields.Nested(_OptionsSchema)


def load_mapping(path: str | Path) -> MappingSpec:
    """Load and validate one mapping file.

    Raises:
        MappingError: with every problem of the file, each under its dotted field path.
    """
    try:
        return _load_mapping(Path(path))
    except RecursionError:
        # YAML's composer and JMESPath's parser both recurse once per level of nesting.
        raise MappingError(str(path), {"(file)": [
            "Nested too deeply to read (YAML nesting or a JMESPath expression hundreds of levels deep): "
            "flatten it."]}) from None


def _load_mapping(path: Path) -> MappingSpec:
    problems: dict[str, list[str]] = {}
    try:
        with path.open(encoding="utf-8") as handle:  # a file, so YAML's messages name it
            document = yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(str(path), {"(file)": [f"Cannot read the file: {error}."]}) from None
    except yaml.YAMLError as error:
        raise MappingError(str(path), {"(yaml)": [" ".join(str(error).split())]}) from None
    if not isinstance(document, dict):
        raise MappingError(str(path), {"(file)": ["A mapping file must be a YAML mapping of keys to values."]})
    try:
        data = _DocumentSchema().load(document)
    except ValidationError as error:
        problems_by_path(error.messages, problems, renames={"fields_": "fields"})
        data = {k: v for k, v in error.valid_data.items()} if isinstance(error.valid_data, dict) else {}
    spec = _Builder(path, data, problems).build()
    if problems or spec is None:
        raise MappingError(str(path), problems)
    return spec


def load_mappings(directory: str | Path) -> dict[str, MappingSpec]:
    """Every mapping file (``*.yaml``, ``*.yml``) in a directory, by integration name.

    Raises:
        MappingError: for the first invalid file; ``MappingErrors`` lists them all.
    """
    files = sorted(Path(directory).glob("*.y*ml"))
    if not files:
        why = "has no mapping files (*.yaml)" if Path(directory).is_dir() else "does not exist"
        raise ConfigError(f"The mappings directory {str(directory)!r} (PIPELINE_MAPPINGS_DIR) {why}: run from "
                          "your project's folder, set PIPELINE_MAPPINGS_DIR, or start a project with "
                          "`connector init DIR`.")
    specs: dict[str, MappingSpec] = {}
    errors: list[MappingError] = []
    for path in files:
        try:
            spec = load_mapping(path)
        except MappingError as error:
            errors.append(error)
            continue
        if spec.name in specs:
            errors.append(MappingError(str(path), {"integration": [
                f"Integration {spec.name!r} is already declared in {specs[spec.name].path}."]}))
            continue
        specs[spec.name] = spec
    if errors:
        raise MappingErrors(errors)
    return specs


class MappingErrors(MappingError):
    """Several invalid mapping files, all reported."""

    def __init__(self, errors: list[MappingError]) -> None:
        self.errors = errors
        self.path = ", ".join(error.path for error in errors)
        self.problems = {f"{e.path}: {where}": msgs for e in errors for where, msgs in e.problems.items()}
        Exception.__init__(self, "\n".join(str(error) for error in errors))


class _Builder:
    """Checks what a schema cannot (names, expressions, entity fields) and builds the spec."""

    def __init__(self, path: Path, data: dict, problems: dict[str, list[str]]) -> None:
        self.path, self.data, self.problems = path, data, problems

    def problem(self, where: str, message: str) -> None:
        self.problems.setdefault(where, []).append(message)

    def build(self) -> MappingSpec | None:
        data = self.data
        connector = CONNECTOR_TYPES.get(data.get("connector", ""))
        if "connector" in data and connector is None:
            self.problem("connector", _unknown("connector type", data["connector"], CONNECTOR_TYPES))
        entity = connector.entity if connector else None
        source = self._system_ref("source", entity)
        target = self._system_ref("target", entity)
        schedule = data.get("schedule")
        if schedule and (why := cron_problem(schedule)):
            self.problem("schedule", f"Invalid cron spec {schedule!r}: {why}")
        value_maps = data.get("value_maps", {})
        raw_fields = data.get("fields_", {})
        rules = self._rules(raw_fields, "fields", ENTITIES[entity] if entity else None, value_maps)
        extras = self._rules(data.get("target_fields", {}), "target_fields", None, value_maps)
        constants = data.get("constants", {})
        if entity:
            self._check_constants(constants, ENTITIES[entity])
        # Covered by name, not by the rules built: a field whose expression is invalid (or a `fields`
        # the schema rejected) already has its own problem and must not also read as "not mapped".
        if entity and "fields_" in data:
            self._check_required(ENTITIES[entity], set(raw_fields) | set(constants), "fields")
        if entity and target is not None:
            self._check_carried(target.system, entity, raw_fields, constants, data.get("ignore", []))
        if connector and source and target:
            # A system described in YAML may stand at either end: its file cannot tell a shop from an ERP.
            declared = {ref.system for ref in (source, target) if ref.system not in SYSTEMS}
            wrong_way = connector.shop_problem(source.system, target.system, shops=SHOPS, generic=GENERIC | declared)
            if wrong_way:
                self.problem("connector", wrong_way)
        options = data.get("options", {})
        if connector and target:
            unable = missing_problem(target.system, SYSTEMS.get(target.system), connector.entity,
                                     options.get("on_missing", "ignore"))
            if unable:
                self.problem("options.on_missing", unable)
        if self.problems or connector is None or source is None or target is None:
            return None
        return MappingSpec(
            name=data.get("integration") or self.path.stem, path=self.path,
            connector=connector.name, entity=connector.entity, direction=connector.direction,
            source=source, target=target, fields=rules, constants=constants, value_maps=value_maps,
            target_fields=extras, schedule=schedule, description=data.get("description", ""),
            enabled=data.get("enabled", True),
            options=Options(options.get("batch_size"), options.get("max_retries"),
                            tuple(options.get("retry_on", ())), options.get("on_missing", "ignore"),
                            options.get("missing_limit_pct", 10.0)),
        )

    def _system_ref(self, end: str, entity: str | None) -> SystemRef | None:
        ref = self.data.get(end)
        # A partly invalid reference (already reported by the schema) may lack its system.
        if not ref or "system" not in ref:
            return None
        if ref["system"] not in SYSTEMS:
            # A REST system described in YAML, in the systems/ folder beside this file's folder.
            declared = reference_problems(ref["system"], end, ref.get("entity", entity or ""), self.path.parent)
            known = {**SYSTEMS, **dict.fromkeys(declared_names(systems_dir(self.path.parent)))}
            for message in declared if declared is not None else [_unknown("system", ref["system"], known)]:
                self.problem(f"{end}.system", message)
            if declared != []:
                return None
        return SystemRef(ref["system"], ref.get("connection", ref["system"]), ref.get("entity", entity or ""))

    def _rules(self, raw: Mapping, where: str, schema: type[Schema] | None,
               value_maps: Mapping) -> tuple[FieldRule, ...]:
        entity_fields = schema().fields if schema else None
        rules = []
        for name, value in raw.items():
            at = f"{where}.{name}"
            target_field = None
            if entity_fields is not None:
                target_field = entity_fields.get(name)
                if target_field is None:
                    self.problem(at, _unknown_field(name, entity_fields, schema))
                    continue
            rule = self._rule(name, value, at, target_field, value_maps)
            if rule is not None:
                rules.append(rule)
        return tuple(rules)

    def _rule(self, name: str, value: object, at: str, target_field: fields.Field | None,
              value_maps: Mapping) -> FieldRule | None:
        nested = _nested_schema(target_field)
        if isinstance(value, str):
            expression = self._expression(value, at, value_maps)
            if expression is not None and nested is not None:
                self._check_projection_keys(expression, at, nested)
            return FieldRule(name, expression) if expression is not None else None
        if not isinstance(value, dict) or "fields" not in value or not set(value) <= {"fields", "each", "from"}:
            self.problem(at, "Must be a JMESPath expression, or {fields: {...}} with 'each' (a list) "
                             "or 'from' (one object).")
            return None
        if "each" in value and "from" in value:
            self.problem(at, "Use either 'each' (a list of objects) or 'from' (one object), not both.")
            return None
        if target_field is not None and nested is None:
            self.problem(at, f"Field {name!r} is not a nested object or list: map it with an expression.")
            return None
        source = value.get("each", value.get("from"))
        # An empty `each:` or `from:` is a mistake, not "the record itself" (which is leaving it out).
        expression = self._expression(source, f"{at}.{'each' if 'each' in value else 'from'}",
                                      value_maps) if "each" in value or "from" in value else None
        if not isinstance(value["fields"], dict):
            self.problem(f"{at}.fields", "Must be a mapping of field -> expression.")
            return None
        children = self._rules(value["fields"], f"{at}.fields", nested, value_maps)
        if nested is not None:
            self._check_required(nested, set(value["fields"]), f"{at}.fields")
        return FieldRule(name, expression, children, many="each" in value)

    def _expression(self, text: object, at: str, value_maps: Mapping):
        if not isinstance(text, str):
            self.problem(at, "Must be a JMESPath expression (a string).")
            return None
        try:
            compiled = jmespath.compile(text)
        except JMESPathError as error:
            self.problem(at, f"Invalid JMESPath expression {text!r}: {_first_line(error)}")
            return None
        for node in _walk(compiled.parsed):
            if node.get("type") == "function_expression":
                self._check_call(node, text, at, value_maps)
        return compiled

    def _check_call(self, node: dict, text: str, at: str, value_maps: Mapping) -> None:
        name, args = node["value"], node["children"]
        if name not in ARITIES:
            self.problem(at, f"Unknown function {name}() in {text!r}." + _suggest(name, ARITIES, "()"))
            return
        fewest, most = ARITIES[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            expected = f"{fewest}" if fewest == most else f"at least {fewest}"
            self.problem(at, f"Function {name}() takes {expected} argument{'s' * (fewest != 1)}, "
                             f"got {len(args)} in {text!r}.")
        if name == "map_value" and args and args[0].get("type") == "literal":
            if args[0]["value"] not in value_maps:
                self.problem(at, f"Unknown value map {args[0]['value']!r}; declare it under value_maps.")

    def _check_projection_keys(self, expression, at: str, nested: type[Schema]) -> None:
        # "lines[*].{sku: sku, ...}" builds nested objects: their keys must be the nested schema's fields.
        node = expression.parsed
        if node["type"] == "projection":
            node = node["children"][1]
        if node["type"] != "multi_select_dict":
            return
        known = nested().fields
        for pair in node["children"]:
            if pair["value"] not in known:
                self.problem(f"{at}.{pair['value']}", _unknown_field(pair["value"], known, nested))

    def _check_carried(self, system: str, entity: str, raw_fields: Mapping, constants: Mapping,
                       ignore: list[str]) -> None:
        # A mapped field the target's load never sends is data lost without a word: an error,
        # unless the file lists it under `ignore` (mapped for the record's own checks, say).
        # A system described in YAML has no table: its load body is the declaration (None: it sends all).
        carries = (carried(SYSTEMS[system], entity) if system in SYSTEMS
                   else self._declared_carries(system, entity))
        mapped = {f"fields.{path}": path for path in _mapped_paths(raw_fields)}
        mapped.update({f"constants.{name}": name for name in constants})
        for name in ignore:
            if name not in mapped.values():
                self.problem(f"ignore.{name}", f"{name!r} is not a mapped field: nothing to ignore.")
        if carries is None:
            return
        for where, path in mapped.items():
            if path not in ignore and uncarried([path], carries):
                self.problem(where, f"{path!r} is not carried by {system}'s {entity} load: its value would "
                                    f"never reach {system}. Remove it, or list it under 'ignore'.")

    def _declared_carries(self, system: str, entity: str) -> Mapping[str, str] | None:
        try:
            spec = declared_spec(system, systems_dir(self.path.parent))
        except SystemFileError:
            return None  # already reported under target.system
        loading = spec.entities[entity].loading if spec and entity in spec.entities else None
        return None if loading is None else declared_carries(loading)

    def _check_constants(self, constants: Mapping, schema: type[Schema]) -> None:
        known = schema().fields
        for name in constants:
            if name not in known:
                self.problem(f"constants.{name}", _unknown_field(name, known, schema))

    def _check_required(self, schema: type[Schema], covered: set[str], where: str) -> None:
        for name, field in schema().fields.items():
            if field.required and name not in covered:
                self.problem(where, f"Required field {name!r} of {_schema_name(schema)} is not mapped.")


def _mapped_paths(raw_fields: Mapping, prefix: str = "") -> list[str]:
    """Dotted paths of the fields a mapping's ``fields`` set (nested ones by their children)."""
    paths = []
    for name, value in raw_fields.items():
        if isinstance(value, dict) and isinstance(value.get("fields"), dict):
            paths += _mapped_paths(value["fields"], f"{prefix}{name}.")
        else:
            paths.append(prefix + name)
    return paths


def _nested_schema(field: fields.Field | None) -> type[Schema] | None:
    if isinstance(field, fields.List):
        field = field.inner
    if isinstance(field, fields.Nested):
        nested = field.nested
        return nested if isinstance(nested, type) else type(field.schema)
    return None


def _walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("children", ()):
        if isinstance(child, dict):
            yield from _walk(child)


def _unknown(kind: str, name: object, known: Mapping) -> str:
    return f"Unknown {kind} {name!r}. Known: {', '.join(sorted(known))}." + _suggest(str(name), known)


def _unknown_field(name: str, known: Mapping, schema: type[Schema] | None) -> str:
    return f"Unknown field {name!r} for {_schema_name(schema)}." + _suggest(name, known)


def _suggest(name: str, known: Mapping, suffix: str = "") -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" Did you mean {close[0] + suffix!r}?" if close else ""


def _schema_name(schema: type[Schema] | None) -> str:
    for name, entity in ENTITIES.items():
        if entity is schema:
            return f"entity {name!r}"
    return repr(schema.__name__.removesuffix("Schema").lower()) if schema else "the target"


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0].rstrip(":.") + "."
