"""The registry of systems, by the name mapping files use."""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.errors import UnknownNameError
from pipeline.systems.base import LoadItem, Page, System
from pipeline.systems.declarative import build_declared
from pipeline.systems.files import FilesSystem
from pipeline.systems.magento1 import Magento1System
from pipeline.systems.magento2 import Magento2System
from pipeline.systems.mailchimp import MailchimpSystem
from pipeline.systems.memory import MemorySystem
from pipeline.systems.netsuite import NetSuiteSystem
from pipeline.systems.rest import RestSystem
from pipeline.systems.synthetic import SyntheticSystem

#: name -> System class. A new system is one module plus one line here.
SYSTEMS: dict[str, type] = {
    "files": FilesSystem,
    "magento1": Magento1System,
    "magento2": Magento2System,
    "mailchimp": MailchimpSystem,
    "memory": MemorySystem,
    "netsuite": NetSuiteSystem,
    "rest": RestSystem,
    "synthetic": SyntheticSystem,
}
#: The shops: the end of an integration its ConnectorType's direction is about (pull: into them).
SHOPS = frozenset({"magento1", "magento2"})
#: Systems that may stand at either end, as a shop or as the system it talks to.
GENERIC = frozenset({"files", "memory", "rest", "synthetic"})


def build_system(name: str, connection: str, environ: Mapping[str, str]) -> System:
    """Build the system ``name`` for one connection from its environment variables."""
    if name not in SYSTEMS:
        # Not one of ours: a REST system described in YAML (systems/<name>.yaml), if there is one.
        declared = build_declared(name, connection, environ)
        if declared is None:
            raise UnknownNameError("system", name, SYSTEMS)
        return declared
    return SYSTEMS[name].from_env(connection, environ)


def fallback_key(system: str, record: object) -> str | None:
    """``<system>:<id>``, the name of a source record whose natural key is missing (None without an id).

    A NetSuite customer without an email fails every time it is read; named by its source id, its
    failures update one dead letter instead of adding one per run.
    """
    fields = getattr(SYSTEMS.get(system), "id_fields", ())
    if not isinstance(record, dict):
        return None
    value = next((record[name] for name in fields if record.get(name) not in (None, "")), None)
    return None if value is None else f"{system}:{value}"


__all__ = ["GENERIC", "SHOPS", "SYSTEMS", "LoadItem", "Page", "System", "build_system", "fallback_key"]
