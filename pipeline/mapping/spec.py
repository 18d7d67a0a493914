"""The compiled form of a mapping file: what the loader builds and the map step runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jmespath.parser import ParsedResult


@dataclass(frozen=True)
class SystemRef:
    """One end of an integration: which system, which connection (its environment variables)."""

    system: str
    connection: str
    #: The system's own name for the records (e.g. NetSuite's ``salesOrder``); default: the entity.
    entity: str


@dataclass(frozen=True)
class FieldRule:
    """How one target field is computed from a source record.

    A plain field has only ``expression``. A nested object has ``children`` computed over the
    result of ``expression`` (the record itself when None); a list (``many``) computes
    ``children`` once per element of ``expression``'s result.
    """

    name: str
    expression: ParsedResult | None = None
    children: tuple[FieldRule, ...] = ()
    many: bool = False


@dataclass(frozen=True)
class Options:
    batch_size: int | None = None
    max_retries: int | None = None
    #: Extra exception class names (e.g. ``ConnectionResetError``) worth retrying for this integration.
    retry_on: tuple[str, ...] = ()
    #: What a ``full`` run does to records it no longer finds in the source: ``ignore`` them, or
    #: ``delete`` / ``disable`` them in the target (``pipeline.flow.missing``).
    on_missing: str = "ignore"
    #: A full run that finds more than this share (%) of the known records missing stops instead.
    missing_limit_pct: float = 10.0


@dataclass(frozen=True)
class MappingSpec:
    """One integration, as its mapping file declares it (an IntegrationType)."""

    name: str
    path: Path
    connector: str
    entity: str
    direction: str
    source: SystemRef
    target: SystemRef
    fields: tuple[FieldRule, ...]
    constants: dict = field(default_factory=dict)
    value_maps: dict = field(default_factory=dict)
    #: Target-native extras (name -> expression) passed through to the target unvalidated by the entity.
    target_fields: tuple[FieldRule, ...] = ()
    schedule: str | None = None
    description: str = ""
    options: Options = Options()
    #: ``enabled: false`` keeps the file (runs by hand still work) but switches its schedule off.
    enabled: bool = True
