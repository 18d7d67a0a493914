"""``connector new``: the files of a new integration, written so that its first test run fails only on
what the author has not filled in yet.

Writes ``mappings/<name>.yaml`` (every field of the entity, required ones marked, each with its type,
and what the target reads from ``target_fields``), ``tests/fixtures/<name>/input.json`` (a sample, see
``samples``), ``expected.json`` (pending results, see ``pipeline.testing.golden``) and, once per project,
``tests/test_golden_samples.py`` (the golden test over every mapping file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.entities.connectors import CONNECTOR_TYPES
from pipeline.entities import ENTITIES
from pipeline.errors import ConfigError, UnknownNameError
from pipeline.mapping.scaffold.mapping_file import field_lines
from pipeline.mapping.scaffold.samples import find_sample
from pipeline.systems import GENERIC, SHOPS, SYSTEMS
from pipeline.systems.carrying import carried
from pipeline.systems.declarative import declared_names, declared_spec, systems_dir
from pipeline.mapping.golden import PENDING

GOLDEN_TEST = '''\
"""Every mapping file maps its golden sample (tests/fixtures/<integration>/) as expected."""

import pytest

from pipeline.testing.golden import check_golden, golden_cases


@pytest.mark.parametrize("case", golden_cases("{mappings}", "{fixtures}"), ids=str)
def test_golden_sample(case, golden_accept):
    check_golden(case, accept=golden_accept)
'''


@dataclass(frozen=True)
class Scaffold:
    name: str
    written: list[Path]
    sample_origin: str


def scaffold(*, connector: str, source: str, target: str, root: Path, mappings_dir: Path,
             name: str | None = None, source_connection: str | None = None, target_connection: str | None = None,
             sample: Path | None = None, force: bool = False) -> Scaffold:
    """Write the files of a new integration under ``root``.

    Raises:
        ConfigError: an unknown connector type or system (with a suggestion), an end that cannot do
            its direction, or files that exist already (without ``force``).
    """
    connector_type = CONNECTOR_TYPES.get(connector)
    if connector_type is None:
        raise UnknownNameError("connector type", connector, CONNECTOR_TYPES)
    entity = connector_type.entity
    _check_system(source, "source", entity, mappings_dir)
    _check_system(target, "target", entity, mappings_dir)
    # As the mapping loader will check it: a system described in YAML may stand at either end.
    declared = {name for name in (source, target) if name not in SYSTEMS}
    wrong_way = connector_type.shop_problem(source, target, shops=SHOPS, generic=GENERIC | declared)
    if wrong_way:
        raise ConfigError(wrong_way)
    name = name or f"{source}_to_{target}_{entity}"
    fixtures_dir = root / "tests" / "fixtures"
    mapping_path, fixture = mappings_dir / f"{name}.yaml", fixtures_dir / name
    existing = [p for p in (mapping_path, fixture / "input.json", fixture / "expected.json") if p.exists()]
    if existing and not force:
        raise ConfigError(f"Integration {name!r} has files already: {', '.join(map(str, existing))}. "
                          "Choose another --name, or pass --force to overwrite them.")
    records, origin = find_sample(sample=sample, fixtures_dir=fixtures_dir, mappings_dir=mappings_dir,
                                  system=source, entity=entity)
    text = mapping_text(name, connector, entity, source, source_connection or source, target,
                        target_connection or target, records[0], mappings_dir, origin)
    written = [_write(mapping_path, text), _write(fixture / "input.json", _json(records)),
               _write(fixture / "expected.json", _json([{PENDING: "Fill in the mapping, then accept the results "
                                                                  "with pytest --golden-accept."}] * len(records)))]
    golden_test = root / "tests" / "test_golden_samples.py"
    if not golden_test.exists():
        written.append(_write(golden_test, GOLDEN_TEST.format(mappings=_relative(mappings_dir, root),
                                                              fixtures=_relative(fixtures_dir, root))))
    return Scaffold(name, written, origin)


def mapping_text(name: str, connector: str, entity: str, source: str, source_connection: str, target: str,
                 target_connection: str, sample: dict, mappings_dir: Path, origin: str) -> str:
    lines = [
        f"# {name}: {entity} records from {source} to {target}, written by `connector new`.",
        "# Each entity field takes a JMESPath expression over one source record; the sample is",
        f"# tests/fixtures/{name}/input.json ({origin}).",
        "# Required fields are active: fill in each TODO (`null` maps to nothing, so the golden test names",
        "# it as missing). Optional fields are commented out: uncomment the ones the source has. Check",
        "# every guess. Then:",
        f"#   connector validate {mappings_dir.name}/{name}.yaml",
        f"#   connector preview {mappings_dir.name}/{name}.yaml tests/fixtures/{name}/input.json",
        "#   pytest tests/test_golden_samples.py        # --golden-accept records the reviewed results",
        f"description: {entity.replace('_', ' ').capitalize()}s from {source} to {target}.",
        f"connector: {connector}",
        f"source: {{system: {source}, connection: {source_connection}}}",
        f"target: {{system: {target}, connection: {target_connection}}}",
        '# schedule: "*/15 * * * *"',
        "fields:",
        *field_lines(ENTITIES[entity], sample, carries=_carries(target, entity)),
        *carried_fields_note(target, entity, mappings_dir),
    ]
    return "\n".join(lines) + "\n"


def _carries(target: str, entity: str):
    """The target's carried-fields table for ``entity``, for a vendor system that declares one."""
    table = carried(SYSTEMS[target], entity) if target in SYSTEMS else None
    return (target, table) if table is not None else None


def carried_fields_note(target: str, entity: str, mappings_dir: Path) -> list[str]:
    """``target_fields``: what the target reads from them, for a system described in YAML."""
    spec = declared_spec(target, systems_dir(mappings_dir)) if target not in SYSTEMS else None
    loading = spec.entities[entity].loading if spec and entity in spec.entities else None
    read = sorted(_native_fields(loading.body.parsed)) if loading and loading.body else []
    if read:
        return ["# target_fields: target-native extras, passed through as they are. "
                f"{target} reads: {', '.join(read)}.", "# target_fields:",
                *[f"#   {field}: TODO" for field in read]]
    return ["# target_fields: target-native extras, passed through as they are (see the target system's "
            "documentation).", "# target_fields:", "#   some_field: TODO"]


def _native_fields(node: dict) -> set[str]:
    # `native.tags` parses as a subexpression whose first child is the field `native`.
    found: set[str] = set()
    children = [child for child in node.get("children", ()) if isinstance(child, dict)]
    if node.get("type") == "subexpression" and len(children) == 2 and children[0] == {
            "type": "field", "children": [], "value": "native"} and children[1].get("type") == "field":
        found.add(children[1]["value"])
    for child in children:
        found |= _native_fields(child)
    return found


def _check_system(name: str, end: str, entity: str, mappings_dir: Path) -> None:
    if name in SYSTEMS:
        return
    directory = systems_dir(mappings_dir)
    spec = declared_spec(name, directory)
    if spec is None:
        raise UnknownNameError(f"{end} system", name, [*SYSTEMS, *declared_names(directory)])
    declared = spec.entities.get(entity)
    able = declared is not None and (declared.listing if end == "source" else declared.loading) is not None
    if not able:
        raise ConfigError(f"System {name!r} ({spec.path}) declares no '{'list' if end == 'source' else 'load'}' "
                          f"for entity {entity!r}: it cannot be the {end} of a {entity} integration.")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.absolute().relative_to(root.absolute()))
    except ValueError:
        return str(path)
