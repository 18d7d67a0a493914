"""Lists of sub-objects in a declared write body (a customer's addresses): ``load.lists`` of a system file.

Each element is built by its own JMESPath ``body`` over ``{item, refs}``: ``item`` is the source
element, ``refs`` the reference records it was matched to (a JMESPath projection cannot see outside
its element, so what an element needs from elsewhere is fetched and put beside it). On update, items
equal to one the API already stores keep its id (``stored``).

>>> from pipeline.systems.declarative.spec import Stored
>>> import jmespath
>>> stored = Stored(path=jmespath.compile("addresses"), match=("city",), parent_id="customer_id")
>>> kept_ids(stored, [{"city": "Paris"}, {"city": "Lyon"}], {"id": 7, "addresses": [{"id": 3, "city": "Lyon"}]}, 7)
[{'city': 'Paris'}, {'city': 'Lyon', 'id': 3, 'customer_id': 7}]
"""

from __future__ import annotations

import threading
from urllib.parse import quote

from pipeline.errors import NotFoundError, RecordError
from pipeline.systems.base import LoadItem
from pipeline.systems.declarative.client import DeclaredClient, json_body
from pipeline.systems.declarative.spec import NestedList, Reference, Stored
from pipeline.systems.declarative.templates import fill


class References:
    """Reference records read from the API, once per path for the connection's life."""

    def __init__(self, client: DeclaredClient) -> None:
        self.client = client
        self._read: dict[str, list] = {}
        self._lock = threading.Lock()

    def match(self, reference: Reference, item: dict) -> dict | None:
        """The record of ``reference`` whose match fields equal the item's value, or None."""
        wanted = reference.value.search(item)
        if wanted in (None, ""):
            return None
        try:
            path = fill(reference.path, item, lambda value: quote(value, safe=""))
        except KeyError:  # the item lacks a field the path needs: nothing to look up
            return None
        wanted = str(wanted).strip().lower()
        for record in self._records(reference, path):
            if isinstance(record, dict) and any(str(record.get(name, "")).lower() == wanted
                                                for name in reference.match):
                return record
        return None

    def _records(self, reference: Reference, path: str) -> list:
        with self._lock:
            if path in self._read:
                return self._read[path]
        try:
            body = json_body(self.client.get(path))
        except NotFoundError:  # e.g. a country Magento has no directory entry for
            body = None
        found = reference.records.search(body) if body is not None else None
        records = found if isinstance(found, list) else []
        with self._lock:
            self._read[path] = records
        return records


def build_items(nested: NestedList, item: LoadItem, references: References) -> list | None:
    """``body[nested.name]`` for ``item``: one object per source element, or None to leave it out."""
    source = nested.items.search({"key": item.key, "data": item.data, "native": item.native})
    if source is None:
        return None
    if not isinstance(source, list):
        raise RecordError(f"load.lists.{nested.name}.items gave {type(source).__name__}, not a list, for "
                          f"{item.key!r}: check the system file.")
    built = []
    for element in source:
        refs = {name: references.match(reference, element) for name, reference in nested.references.items()}
        one = element if nested.body is None else nested.body.search({"item": element, "refs": refs})
        if not isinstance(one, dict):
            raise RecordError(f"load.lists.{nested.name}.body gave {type(one).__name__}, not an object, for "
                              f"{item.key!r}: check the system file.")
        built.append(one)
    return built


def kept_ids(stored: Stored, items: list[dict], found: dict, found_id: object) -> list[dict]:
    """``items`` where each equal (on ``stored.match``) to a stored one takes its ``keep`` fields."""
    free = [one for one in (stored.path.search(found) or []) if isinstance(one, dict)]
    out = []
    for one in items:
        identity = [one.get(name) for name in stored.match]
        match = next((old for old in free if [old.get(name) for name in stored.match] == identity), None)
        if match is not None:
            free.remove(match)  # two equal items keep two ids, not one twice
            one = {**one, **{name: match[name] for name in stored.keep if name in match}}
            if stored.parent_id:
                one[stored.parent_id] = found_id
        out.append(one)
    return out
