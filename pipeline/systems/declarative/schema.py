"""Loading and validating system files: every problem of a file at once, with its dotted path.

A system file (YAML, in the ``systems/`` folder beside ``mappings/``) describes a JSON REST API;
see ``pipeline.systems.declarative`` for the whole format. Its shape is checked by marshmallow
schemas (``unknown=RAISE``), its meaning (JMESPath, placeholders, what each pagination type
needs) by ``_Builder``, and both sets of problems are reported together, as mapping files do.
"""

from __future__ import annotations

from pathlib import Path

import jmespath
import yaml
from jmespath.exceptions import JMESPathError
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from pipeline.entities.base import problems_by_path
from pipeline.errors import SystemFileError
from pipeline.systems.declarative import spec as s
from pipeline.systems.declarative.problems import suggest, suggest_keys, without_dict_levels
from pipeline.systems.declarative.templates import RECORD_VALUES, VARIABLE, placeholders

NAME = r"^[a-z][a-z0-9_]*$"
AUTH_TYPES = ("none", "api_key", "basic", "bearer", "oauth2_client_credentials", "oauth1")
#: The values each kind of auth needs (templates over connection variables).
AUTH_VALUES = {"none": (), "api_key": ("value",), "basic": ("username", "password"), "bearer": ("token",),
               "oauth2_client_credentials": ("client_id", "client_secret"),
               "oauth1": ("consumer_key", "consumer_secret", "token", "token_secret")}
PAGINATION_TYPES = ("none", "page_number", "offset", "cursor", "link_header", "next_url")
#: What each pagination type cannot do without.
PAGINATION_NEEDS = {"page_number": ("page_param",), "offset": ("offset_param", "size_param"),
                    "cursor": ("cursor", "cursor_param"), "next_url": ("next",)}
METHODS = ("POST", "PUT", "PATCH")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _AuthSchema(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(AUTH_TYPES))
    in_ = fields.String(data_key="in", validate=validate.OneOf(("header", "query")))
    name = fields.String()
    value = fields.String()
    username = fields.String()
    password = fields.String()
    token = fields.String()
    client_id = fields.String()
    client_secret = fields.String()
    token_url = fields.String()
    scope = fields.String()
    consumer_key = fields.String()
    consumer_secret = fields.String()
    token_secret = fields.String()


class _PaginationSchema(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(PAGINATION_TYPES))
    size_param = fields.String()
    page_param = fields.String()
    start = fields.Integer(validate=validate.Range(0, 1))
    offset_param = fields.String()
    cursor_param = fields.String()
    cursor = fields.String()
    next = fields.String()
    total = fields.String()


class _IncrementalSchema(_Strict):
    param = fields.String(required=True)
    format = fields.String()
    params = fields.Dict(keys=fields.String(), values=fields.String())


class _RefsSchema(_Strict):
    param = fields.String(required=True)
    separator = fields.String()
    params = fields.Dict(keys=fields.String(), values=fields.String())
    per_request = fields.Integer(validate=validate.Range(1, 1000))


class _ListSchema(_Strict):
    path = fields.String(required=True)
    records = fields.String(required=True)
    params = fields.Dict(keys=fields.String(), values=fields.String())
    pagination = fields.Nested(_PaginationSchema)
    incremental = fields.Nested(_IncrementalSchema)
    refs = fields.Nested(_RefsSchema)


class _EndpointSchema(_Strict):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    path = fields.String(required=True)
    id_field = fields.String()


class _LookupSchema(_Strict):
    path = fields.String(required=True)
    records = fields.String(required=True)
    params = fields.Dict(keys=fields.String(), values=fields.String())


class _ReferenceSchema(_Strict):
    path = fields.String(required=True)
    records = fields.String(required=True)
    match = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    value = fields.String(required=True)


class _StoredSchema(_Strict):
    path = fields.String(required=True)
    match = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    keep = fields.List(fields.String(), validate=validate.Length(min=1))
    parent_id = fields.String()


class _NestedListSchema(_Strict):
    items = fields.String(required=True)
    body = fields.String()
    references = fields.Dict(keys=fields.String(validate=validate.Regexp(NAME, error="Must be lower_snake_case.")),
                             values=fields.Nested(_ReferenceSchema))
    stored = fields.Nested(_StoredSchema)


class _LoadSchema(_Strict):
    body = fields.String()
    wrap = fields.String()
    upsert = fields.Nested(_EndpointSchema)
    create = fields.Nested(_EndpointSchema)
    update = fields.Nested(_EndpointSchema)
    lookup = fields.Nested(_LookupSchema)
    lists = fields.Dict(keys=fields.String(), values=fields.Nested(_NestedListSchema))


class _EntitySchema(_Strict):
    id = fields.String()
    key = fields.String()
    updated_at = fields.String()
    list = fields.Nested(_ListSchema)
    load = fields.Nested(_LoadSchema)


class _LimitsSchema(_Strict):
    concurrency = fields.Integer(validate=validate.Range(1, 1000))
    requests = fields.Integer(validate=validate.Range(0, 1_000_000))
    window_s = fields.Integer(validate=validate.Range(1, 86_400))
    read_retries = fields.Integer(validate=validate.Range(0, 10))
    read_backoff_ms = fields.Integer(validate=validate.Range(0, 60_000))


class _ErrorsSchema(_Strict):
    message = fields.String()
    retryable = fields.List(fields.Integer(validate=validate.Range(400, 599)))


class _DocumentSchema(_Strict):
    name = fields.String(validate=validate.Regexp(NAME, error="Must be lower_snake_case."))
    description = fields.String()
    base_url = fields.String(required=True)
    headers = fields.Dict(keys=fields.String(), values=fields.String())
    auth = fields.Nested(_AuthSchema, required=True)
    entities = fields.Dict(keys=fields.String(validate=validate.Regexp(NAME, error="Must be lower_snake_case.")),
                           values=fields.Nested(_EntitySchema), required=True)
    limits = fields.Nested(_LimitsSchema)
    errors = fields.Nested(_ErrorsSchema)
    personal_data = fields.List(fields.String())


def load_system_file(path: str | Path) -> s.SystemSpec:
    """Load and validate one system file.

    Raises:
        SystemFileError: with every problem of the file, each under its dotted path.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError) as error:
        raise SystemFileError(str(path), {"(file)": [f"Cannot read the file: {error}."]}) from None
    except yaml.YAMLError as error:
        raise SystemFileError(str(path), {"(yaml)": [" ".join(str(error).split())]}) from None
    if not isinstance(document, dict):
        raise SystemFileError(str(path), {"(file)": ["A system file must be a YAML mapping of keys to values."]})
    problems: dict[str, list[str]] = {}
    try:
        data = _DocumentSchema().load(document)
    except ValidationError as error:
        messages = without_dict_levels(error.messages)
        problems_by_path(messages, problems, renames={"in_": "in"})
        data = error.valid_data if isinstance(error.valid_data, dict) else {}
        suggest_keys(messages, "", problems, _DocumentSchema)
    built = _Builder(path, data, problems).build()
    if problems or built is None:
        raise SystemFileError(str(path), problems)
    return built


class _Builder:
    """Checks what a schema cannot (expressions, placeholders, per-type needs) and builds the spec."""

    def __init__(self, path: Path, data: dict, problems: dict[str, list[str]]) -> None:
        self.path, self.data, self.problems = path, data, problems

    def problem(self, where: str, message: str) -> None:
        self.problems.setdefault(where, []).append(message)

    def build(self) -> s.SystemSpec | None:
        data = self.data
        if data.get("name", self.path.stem) != self.path.stem:
            # Mapping files find a system by its file's name: two names for one system would mislead.
            self.problem("name", f"Must be the file's own name, {self.path.stem!r} (or left out).")
        self._variables(data.get("base_url", ""), "base_url")
        for name, value in data.get("headers", {}).items():
            self._variables(value, f"headers.{name}")
        auth = self._auth(data.get("auth"))
        entities = {name: self._entity(name, raw) for name, raw in data.get("entities", {}).items()}
        if "entities" in data and not entities:
            self.problem("entities", "Declare at least one entity.")
        limits = s.Limits(**data.get("limits", {}))
        errors = data.get("errors", {})
        error_spec = s.ErrorsSpec(self._expression(errors.get("message"), "errors.message"),
                                  tuple(errors.get("retryable", s.DEFAULT_RETRYABLE)))
        if self.problems or auth is None or "base_url" not in data:
            return None
        return s.SystemSpec(name=data.get("name") or self.path.stem, path=self.path, base_url=data["base_url"],
                            auth=auth, entities=entities, limits=limits, errors=error_spec,
                            description=data.get("description", ""), headers=data.get("headers", {}),
                            personal_data=tuple(data.get("personal_data", ())))

    def _auth(self, raw: dict | None) -> s.AuthSpec | None:
        if not raw or "type" not in raw:
            return None
        kind = raw["type"]
        needed = AUTH_VALUES[kind]
        for name in needed:
            if name not in raw:
                self.problem(f"auth.{name}", f"Required with auth type {kind!r}, e.g. \"{{{name.upper()}}}\".")
            else:
                self._variables(raw[name], f"auth.{name}")
        extra = set(raw) - set(needed) - {"type"} - _AUTH_OPTIONS.get(kind, set())
        for name in sorted(extra):
            self.problem(f"auth.{name.replace('in_', 'in')}", f"Not used with auth type {kind!r}.")
        if kind == "api_key" and "name" not in raw:
            self.problem("auth.name", "Required with auth type 'api_key': the header or query parameter name.")
        if kind == "oauth2_client_credentials":
            if "token_url" not in raw:
                self.problem("auth.token_url", "Required with auth type 'oauth2_client_credentials'.")
            else:
                self._variables(raw["token_url"], "auth.token_url")
        return s.AuthSpec(type=kind, values={name: raw[name] for name in needed if name in raw},
                          name=raw.get("name", ""), location=raw.get("in_", "header"),
                          token_url=raw.get("token_url", ""), scope=raw.get("scope", ""))

    def _entity(self, name: str, raw: dict) -> s.EntitySpec:
        at = f"entities.{name}"
        if "list" not in raw and "load" not in raw:
            self.problem(at, "Declare 'list' (to extract), 'load' (to write), or both.")
        listing = self._listing(raw["list"], f"{at}.list") if "list" in raw else None
        updated_at = self._expression(raw.get("updated_at"), f"{at}.updated_at")
        if listing and listing.incremental and "updated_at" not in raw:
            self.problem(f"{at}.updated_at", "Required with list.incremental: the field the cursor follows.")
        return s.EntitySpec(name=name, id=self._expression(raw.get("id", "id"), f"{at}.id"), updated_at=updated_at,
                            key=self._expression(raw.get("key"), f"{at}.key"),
                            listing=listing,
                            loading=self._loading(raw["load"], f"{at}.load") if "load" in raw else None)

    def _listing(self, raw: dict, at: str) -> s.Listing:
        pagination = raw.get("pagination", {"type": "none"})
        kind = pagination.get("type", "none")
        for needed in PAGINATION_NEEDS.get(kind, ()):
            if needed not in pagination:
                self.problem(f"{at}.pagination.{needed}", f"Required with pagination type {kind!r}.")
        if kind in ("page_number", "link_header", "next_url", "cursor") and "offset_param" in pagination:
            self.problem(f"{at}.pagination.offset_param", f"Not used with pagination type {kind!r}.")
        paging = s.Pagination(
            type=kind, size_param=pagination.get("size_param", ""), page_param=pagination.get("page_param", ""),
            start=pagination.get("start", 1), offset_param=pagination.get("offset_param", ""),
            cursor_param=pagination.get("cursor_param", ""),
            cursor=self._expression(pagination.get("cursor"), f"{at}.pagination.cursor"),
            next=self._expression(pagination.get("next"), f"{at}.pagination.next"),
            total=self._expression(pagination.get("total"), f"{at}.pagination.total"))
        incremental = None
        if "incremental" in raw:
            inc = raw["incremental"]
            incremental = s.Incremental(inc["param"], inc.get("format", "iso"), inc.get("params", {}))
            if "%" not in incremental.format and incremental.format not in ("iso", "epoch"):
                self.problem(f"{at}.incremental.format",
                             f"Unknown date format {incremental.format!r}: use iso, epoch or a strftime "
                             "pattern such as '%Y-%m-%d %H:%M:%S'.")
        self._record_free(raw["path"], f"{at}.path")
        refs = s.Refs(**raw["refs"]) if "refs" in raw else None
        return s.Listing(path=raw["path"], records=self._expression(raw["records"], f"{at}.records"),
                         params=raw.get("params", {}), pagination=paging, incremental=incremental, refs=refs)

    def _loading(self, raw: dict, at: str) -> s.Loading:
        endpoints = {name: s.Endpoint(e["method"], e["path"], e.get("id_field", ""))
                     for name in ("upsert", "create", "update") if (e := raw.get(name))}
        if "upsert" in endpoints and ({"create", "update", "lookup"} & set(raw)):
            self.problem(at, "Use either 'upsert' (one call) or 'create'/'update' with a 'lookup', not both.")
        elif "upsert" not in endpoints and "create" not in endpoints:
            self.problem(at, "Declare 'upsert', or 'create' (with 'lookup' and 'update' to update found records).")
        if "update" in endpoints and "lookup" not in raw:
            self.problem(f"{at}.update", "An update needs a 'lookup' to find the stored record first.")
        for name, endpoint in endpoints.items():
            self._record_placeholders(endpoint.path, f"{at}.{name}.path", allow_id=name == "update")
        lookup = None
        if "lookup" in raw:
            found = raw["lookup"]
            for param, value in found.get("params", {}).items():
                self._record_placeholders(value, f"{at}.lookup.params.{param}", allow_id=False)
            self._record_placeholders(found["path"], f"{at}.lookup.path", allow_id=False)
            lookup = s.Lookup(found["path"], self._expression(found["records"], f"{at}.lookup.records"),
                              found.get("params", {}))
        lists = tuple(self._nested(name, one, f"{at}.lists.{name}") for name, one in raw.get("lists", {}).items())
        for nested in lists:
            if nested.stored is not None and "update" not in endpoints:
                self.problem(f"{at}.lists.{nested.name}.stored", "Used on update only: declare 'update' too.")
        return s.Loading(body=self._expression(raw.get("body"), f"{at}.body"), wrap=raw.get("wrap", ""),
                         upsert=endpoints.get("upsert"), create=endpoints.get("create"),
                         update=endpoints.get("update"), lookup=lookup, lists=lists)

    def _nested(self, name: str, raw: dict, at: str) -> s.NestedList:
        references = {}
        for ref_name, ref in raw.get("references", {}).items():
            where = f"{at}.references.{ref_name}"
            for placeholder in sorted(placeholders(ref.get("path", ""))):
                if VARIABLE.match(placeholder):
                    self.problem(f"{where}.path", f"Placeholder {{{placeholder}}} is not filled in here: "
                                                  "placeholders in a reference's path name the item's fields "
                                                  "(lower case); connection variables belong in base_url.")
            if not {"path", "records", "match", "value"} <= set(ref):
                continue  # the schema said what is missing or wrong
            references[ref_name] = s.Reference(ref["path"], self._expression(ref["records"], f"{where}.records"),
                                               tuple(ref["match"]), self._expression(ref["value"], f"{where}.value"))
        stored = None
        if {"path", "match"} <= set(raw.get("stored", {})):
            found = raw["stored"]
            stored = s.Stored(self._expression(found["path"], f"{at}.stored.path"), tuple(found["match"]),
                              tuple(found.get("keep", ("id",))), found.get("parent_id", ""))
        return s.NestedList(name=name, items=self._expression(raw.get("items"), f"{at}.items"),
                            body=self._expression(raw.get("body"), f"{at}.body"), references=references,
                            stored=stored)

    def _expression(self, text: str | None, at: str):
        if text is None:
            return None
        try:
            return jmespath.compile(text)
        except JMESPathError as error:
            self.problem(at, f"Invalid JMESPath expression {text!r}: {str(error).splitlines()[0].rstrip(':.')}.")
            return None

    def _variables(self, text: str, at: str) -> None:
        for name in sorted(placeholders(text)):
            if not VARIABLE.match(name):
                self.problem(at, f"Placeholder {{{name}}} must name a connection variable in upper case, "
                                 f"e.g. {{{name.upper()}}} for PIPELINE_<CONNECTION>_{name.upper()}.")

    def _record_placeholders(self, text: str, at: str, *, allow_id: bool) -> None:
        allowed = set(RECORD_VALUES) if allow_id else {"key"}
        for name in sorted(placeholders(text)):
            if name not in allowed:
                self.problem(at, f"Unknown placeholder {{{name}}}: use "
                                 f"{', '.join('{%s}' % a for a in sorted(allowed))} here; connection variables "
                                 "belong in base_url, headers and auth." + suggest(name, allowed, "{", "}"))

    def _record_free(self, text: str, at: str) -> None:
        for name in sorted(placeholders(text)):
            self.problem(at, f"Placeholder {{{name}}} is not filled in here: connection variables belong in "
                             "base_url, headers and auth.")


#: Optional auth keys beside the needed values.
_AUTH_OPTIONS = {"api_key": {"name", "in_"}, "oauth2_client_credentials": {"token_url", "scope"}}
