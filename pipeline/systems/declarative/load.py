"""Writing a declared entity: one upsert call, or a lookup by key and then an update or a create.

Every write is safe to repeat: an upsert is idempotent by definition, and create-or-update looks
the record up by its natural key first, so a retried create that had taken effect becomes an update.
Nested lists (``load.lists``, see ``nested``) are built beside the body and keep stored ids on update.
"""

from __future__ import annotations

from urllib.parse import quote

from pipeline.errors import NotFoundError, RecordError
from pipeline.systems.base import LoadItem
from pipeline.systems.declarative.client import DeclaredClient, json_body
from pipeline.systems.declarative.nested import References, build_items, kept_ids
from pipeline.systems.declarative.spec import Endpoint, EntitySpec, Loading
from pipeline.systems.declarative.templates import fill


def load_one(client: DeclaredClient, entity: EntitySpec, item: LoadItem, references: References) -> None:
    loading = entity.loading
    assert loading is not None, "checked by DeclaredSystem.load"
    body = build_body(loading, item)
    lists = {nested.name: without_nulls(built) for nested in loading.lists
             if (built := build_items(nested, item, references)) is not None}
    if loading.upsert is not None:
        _write(client, loading, loading.upsert, {**body, **lists}, {"key": item.key})
        return
    found = _lookup(client, entity, item.key)
    if found is not None and loading.update is not None:
        found_id = entity.id.search(found)
        for nested in loading.lists:
            if nested.stored is not None and nested.name in lists:
                lists[nested.name] = kept_ids(nested.stored, lists[nested.name], found, found_id)
        _write(client, loading, loading.update, {**body, **lists}, {"key": item.key, "id": str(found_id)})
    elif found is None:
        assert loading.create is not None, "checked when the system file loads"
        _write(client, loading, loading.create, {**body, **lists}, {"key": item.key})


def build_body(loading: Loading, item: LoadItem) -> dict:
    """The request object of ``item``: the file's ``body`` expression, or the entity with native extras."""
    if loading.body is None:
        return {**item.data, **item.native}
    built = loading.body.search({"key": item.key, "data": item.data, "native": item.native})
    if not isinstance(built, dict):
        raise RecordError(f"The load body expression gave {type(built).__name__}, not an object, for {item.key!r}: "
                          "check load.body in the system file.")
    return without_nulls(built)


def without_nulls(value: object) -> object:
    """``value`` without null object members, nor objects left empty by that.

    A JMESPath object expression cannot leave a key out, so ``{dob: data.dob}`` gives ``"dob": null``
    for a record without a birthday; an API reads that as "clear it", where an absent field (what
    an unmapped field means) keeps the stored value.

    >>> without_nulls({"a": 1, "b": None, "c": {"d": None}, "e": [None, {"f": None, "g": 2}]})
    {'a': 1, 'e': [None, {'g': 2}]}
    """
    if isinstance(value, dict):
        kept = {key: without_nulls(inner) for key, inner in value.items() if inner is not None}
        return {key: inner for key, inner in kept.items() if inner != {} or value[key] == {}}
    if isinstance(value, list):
        return [without_nulls(inner) for inner in value]
    return value


def _lookup(client: DeclaredClient, entity: EntitySpec, key: str) -> dict | None:
    """The stored record with natural key ``key`` (one with an id), or None."""
    lookup = entity.loading.lookup if entity.loading else None
    if lookup is None:
        return None
    params = [(name, fill(value, {"key": key})) for name, value in lookup.params.items()]
    try:
        body = json_body(client.get(fill(lookup.path, {"key": key}, _quote), params))
    except NotFoundError:
        return None
    found = lookup.records.search(body) if body is not None else None
    if isinstance(found, dict):
        found = [found]
    if not found or not isinstance(found[0], dict) or entity.id.search(found[0]) is None:
        return None
    return found[0]


def _write(client: DeclaredClient, loading: Loading, endpoint: Endpoint, body: dict, values: dict) -> None:
    if endpoint.id_field and "id" in values:
        body = {**body, endpoint.id_field: _id_value(values["id"])}
    payload = {loading.wrap: body} if loading.wrap else body
    client.call(endpoint.method, fill(endpoint.path, values, _quote), json=payload)


def _quote(value: str) -> str:
    return quote(value, safe="")


def _id_value(record_id: str) -> int | str:
    # The id was read from JSON: numeric ids go back as numbers, as the API gave them.
    return int(record_id) if record_id.isdigit() else record_id
