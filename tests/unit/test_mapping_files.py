"""Every mapping file in mappings/ loads cleanly and maps its golden sample exactly.

A new mapping file ships ``tests/fixtures/<integration>/input.json`` (a list of source records)
and ``expected.json`` (one result per record: ``{"key", "entity", "target_fields"}`` or
``{"error": "<the RecordError message>"}``), in the style of jmespath's compliance files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import RecordError
from pipeline.mapping import Mapper, load_mapping, load_mappings

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings"
FIXTURES = ROOT / "tests" / "fixtures"
MAPPING_FILES = sorted(path for path in MAPPINGS.glob("*.y*ml") if path.suffix in (".yaml", ".yml"))


def result_of(mapper: Mapper, record: dict) -> dict:
    try:
        item = mapper.map(record)
    except RecordError as error:
        return {"error": str(error)}
    return {"key": item.key, "entity": item.data, "target_fields": item.native}


def read_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_mapping_files_to_check():
    assert MAPPING_FILES, f"No mapping files in {MAPPINGS}."


def test_the_mappings_directory_loads_as_a_whole():
    # Catches what one file alone cannot: two files declaring the same integration.
    assert sorted(load_mappings(MAPPINGS)) == sorted(load_mapping(path).name for path in MAPPING_FILES)


@pytest.mark.parametrize("path", MAPPING_FILES, ids=lambda path: path.name)
def test_a_mapping_file_maps_its_golden_sample(path):
    spec = load_mapping(path)
    fixture = FIXTURES / spec.name
    assert (fixture / "input.json").is_file() and (fixture / "expected.json").is_file(), (
        f"Mapping file {path.name} has no golden sample: add {fixture}/input.json and expected.json.")
    records, expected = read_json(fixture / "input.json"), read_json(fixture / "expected.json")
    assert isinstance(records, list) and records, f"{fixture}/input.json must be a non-empty list of records."

    mapper = Mapper(spec)
    actual = [result_of(mapper, record) for record in records]

    # Through JSON, as the results travel between workers: tuples, Decimals and the like would show here.
    assert json.loads(json.dumps(actual)) == expected


def test_every_golden_sample_belongs_to_a_mapping_file():
    # A renamed integration must take its sample along, or the sample silently stops being checked.
    names = {load_mapping(path).name for path in MAPPING_FILES}
    samples = {path.parent.name for pattern in ("*/input.json", "*/expected.json")
               for path in FIXTURES.glob(pattern)}

    orphans = sorted(samples - names)

    assert orphans == []
