"""What a declared (YAML) system's load carries: the canonical fields its ``load.body`` reads.

A Python system declares its carried fields in a table (``pipeline.systems.carrying``); a system
file's body expression *is* that declaration. The body is JMESPath over ``{key, data, native}``,
so every ``data.<path>`` whose value ends up in the body is a carried field: ``data.email``
carries ``email``, ``data.addresses[0].telephone`` carries ``addresses.telephone`` (only the
first address's, but the field reaches the target), ``data.lines[*].{sku: sku}`` carries
``lines.sku``. A field read only to decide something (a filter's condition, a comparison) is not
carried. A body that passes ``data`` whole, or no body at all (the entity as it is), carries
everything: None. A nested list (``load.lists``) carries what its ``body`` reads of ``item``, under
the path its ``items`` come from: ``item.city`` of ``data.addresses`` carries ``addresses.city``.

>>> import jmespath
>>> from pipeline.systems.declarative.spec import Loading
>>> body = jmespath.compile("{email: data.email, phone: data.addresses[0].telephone, tags: native.tags}")
>>> sorted(declared_carries(Loading(body=body)))
['addresses.telephone', 'email']
>>> declared_carries(Loading(body=jmespath.compile("merge(data, native)"))) is None
True
>>> from pipeline.systems.declarative.spec import NestedList
>>> lists = (NestedList("addresses", jmespath.compile("data.addresses"), jmespath.compile("{town: item.city}")),)
>>> sorted(declared_carries(Loading(body=jmespath.compile("{email: data.email}"), lists=lists)))
['addresses.city', 'email']
"""

from __future__ import annotations

from pipeline.systems.declarative.spec import Loading

#: Where a node's value is: somewhere outside ``data``, or a path in ``data``. The root object an
#: expression is evaluated on is a dict of its names that stand for paths in ``data``.
_OTHER = object()
_BODY_ROOT = {"data": []}
#: Nodes that only select (an index, a slice, ``@``): the value stays where it was.
_SELECTING = {"index", "slice", "current", "identity"}
_PROJECTIONS = {"projection", "value_projection", "filter_projection"}


def declared_carries(loading: Loading) -> dict[str, str] | None:
    """Each canonical field path the load body sends, with where; None: it sends the whole entity."""
    if loading.body is None:
        return None
    where, used = _resolve(loading.body.parsed, _BODY_ROOT)
    used |= _terminal(where)
    for nested in loading.lists:
        used |= _nested_carries(nested)
    if "" in used:
        return None
    return {path: "the system file's load.body" for path in sorted(used)}


def _nested_carries(nested) -> set[str]:
    """The data paths a nested list sends: what its body reads of each item, under the items' path."""
    items, used = _resolve(nested.items.parsed, _BODY_ROOT)
    if not isinstance(items, list):
        return used  # items computed, not read from one path: only what was read on the way
    if nested.body is None:
        return used | _terminal(items)  # each item whole: the list's path, which carries its children
    where, inner = _resolve(nested.body.parsed, {"item": items})
    return used | inner | _terminal(where)


def _terminal(where: object) -> set[str]:
    """The data path a value comes from, as a field used by the body ("" for ``data`` whole)."""
    return {".".join(where)} if isinstance(where, list) else set()


def _resolve(node: dict, base: object) -> tuple[object, set[str]]:
    """Where ``node``'s value comes from when evaluated on ``base``, and the data paths it uses on the way."""
    kind, children = node["type"], node.get("children") or []
    if kind == "field":
        if isinstance(base, dict):
            return (list(base[node["value"]]) if node["value"] in base else _OTHER), set()
        return (base + [node["value"]] if isinstance(base, list) else _OTHER), set()
    if kind in _SELECTING:
        return base, set()
    if kind in ("subexpression", "index_expression", "pipe", "flatten"):
        used: set[str] = set()
        for child in children:
            base, inner = _resolve(child, base)
            used |= inner
        return base, used
    if kind in _PROJECTIONS:
        # left[*].right: right is evaluated on each element of left (a filter's condition only decides).
        elements, used = _resolve(children[0], base)
        element_value, inner = _resolve(children[1], elements)
        return _OTHER, used | inner | _terminal(element_value)
    if kind == "comparator":
        return _OTHER, set()
    # Functions, objects, lists, and/or/not: each argument's value may end up in the body.
    used = set()
    for child in children:
        value, inner = _resolve(child, base)
        used |= inner | _terminal(value)
    return _OTHER, used
