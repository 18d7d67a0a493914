"""What a system's load carries: per entity, each canonical field it sends and where it puts it.

Every vendor system declares ``CARRIES = {entity: {field path: where}}`` beside its payloads
(``<system>/carried.py``); a field path is dotted for nested fields (``addresses.company``,
``lines.discount``). The mapping validator reports a mapped field the target's load does not
carry, the README's systems table is generated from these tables, and each system's payload
tests check that every declared field arrives where the table says. Systems that pass whole
records through (files, memory, rest, synthetic) declare nothing: they carry everything.

A field the load copies as it is declares where with ``Copy``, and the payload builder copies it
with ``copy_into`` from the same entry: for those, the table is the builder, and they cannot
disagree. A plain string describes a field the builder converts or derives (ids, amounts, options).

>>> from pipeline.systems.netsuite.carried import CARRIES
>>> CARRIES["customer"]["email"]
'email'
>>> copy_into({}, {"city": "Leeds", "zip": None}, {"addresses.city": Copy("city", within="addressBook")},
...           part="addresses")
{'city': 'Leeds'}
"""

from __future__ import annotations

from collections.abc import Mapping

#: A system's table: entity -> canonical field path -> where the load puts it (the vendor's terms).
Carries = Mapping[str, Mapping[str, str]]


class Copy(str):
    """A field copied as it is to ``to`` (a dotted path in its part's payload object).

    It is the string the docs show (``within.to``, or ``shown``), so tables stay plain mappings of
    strings for the validator, the README and ``connector new``; ``within`` names where the part's
    object sits in the whole payload (``billingAddress``), for the docs only.
    """

    to: str

    def __new__(cls, to: str, *, within: str = "", shown: str = "") -> Copy:
        self = super().__new__(cls, shown or (f"{within}.{to}" if within else to))
        self.to = to
        return self

    def within(self, part: str) -> Copy:
        """This copy shown inside ``part`` (one table of address fields, used under several parts)."""
        return Copy(self.to, within=part, shown=f"{part}.{self}")


def copy_into(payload: dict, record: Mapping, table: Mapping[str, str], *, part: str = "") -> dict:
    """``payload`` with every ``Copy`` field of ``table`` under ``part`` that ``record`` has (not None).

    ``record`` is the part's object (an address for ``part="addresses"``), the whole record for
    ``part=""``; a value goes to its ``Copy.to`` in ``payload``, nested objects made as needed.
    """
    for path, where in table.items():
        parent, _, name = path.rpartition(".")
        if not isinstance(where, Copy) or parent != part or record.get(name) is None:
            continue
        *outer, last = where.to.split(".")
        target = payload
        for key in outer:
            target = target.setdefault(key, {})
        target[last] = record[name]
    return payload


def carried(system_class: type, entity: str) -> Mapping[str, str] | None:
    """The fields ``system_class``'s load of ``entity`` carries; None when it carries whole records."""
    table: Carries | None = getattr(system_class, "CARRIES", None)
    if table is None:
        return None
    return table.get(entity, {})


def uncarried(paths: list[str], carries: Mapping[str, str]) -> list[str]:
    """The paths of ``paths`` that ``carries`` does not name.

    A carried parent carries its children; a nested field mapped whole (``lines: items[*]...``)
    is carried when any of its children is.
    """
    def known(path: str) -> bool:
        return any(path == name or path.startswith(name + ".") or name.startswith(path + ".")
                   for name in carries)
    return [path for path in paths if not known(path)]
