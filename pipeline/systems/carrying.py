"""What a system's load carries: per entity, each canonical field it sends and where it puts it.

Every vendor system declares ``CARRIES = {entity: {field path: where}}`` beside its payloads
(``<system>/carried.py``); a field path is dotted for nested fields (``addresses.company``,
``lines.discount``). The mapping validator reports a mapped field the target's load does not
carry, the README's systems table is checked against these tables, and each system's payload
tests check that every declared field arrives where the table says. Systems that pass whole
records through (files, memory, rest, synthetic) declare nothing: they carry everything.

>>> from pipeline.systems.netsuite.carried import CARRIES
>>> CARRIES["customer"]["email"]
'email'
"""

from __future__ import annotations

from collections.abc import Mapping

#: A system's table: entity -> canonical field path -> where the load puts it (the vendor's terms).
Carries = Mapping[str, Mapping[str, str]]


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
