"""Golden samples of mapping files, as a parametrized test any project can run.

Each mapping file ``mappings/<integration>.yaml`` ships ``<fixtures>/<integration>/input.json`` (source
records) and ``expected.json`` (one result per record: ``{"key", "entity", "target_fields"}`` or
``{"error": ...}``). A project's test is three lines::

    from pipeline.testing.golden import golden_cases, check_golden

    @pytest.mark.parametrize("case", golden_cases("mappings", "tests/fixtures"), ids=str)
    def test_golden_sample(case, golden_accept):
        check_golden(case, accept=golden_accept)

A new mapping (``connector new``) starts with *pending* expected results: the test then fails on the
records the mapping cannot map yet, naming each field not filled in, and once everything maps, asks
for a review; ``pytest --golden-accept`` writes what the mapping gives as the expected results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import RecordError
from pipeline.mapping import Mapper, load_mapping

#: What ``connector new`` writes for each sample record until the results are accepted.
PENDING = "pending"


@dataclass(frozen=True)
class GoldenCase:
    mapping: Path
    fixture: Path

    def __str__(self) -> str:
        return self.mapping.stem


def golden_cases(mappings_dir: str | Path, fixtures_dir: str | Path) -> list[GoldenCase]:
    """One case per mapping file of ``mappings_dir``, its sample in ``fixtures_dir/<file stem>/``."""
    paths = sorted(p for p in Path(mappings_dir).glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    return [GoldenCase(path, Path(fixtures_dir) / path.stem) for path in paths]


def map_sample(case: GoldenCase) -> list[dict]:
    """The results of mapping each record of the case's ``input.json``, as ``expected.json`` holds them."""
    spec = load_mapping(case.mapping)
    records = _read(case.fixture / "input.json")
    if not isinstance(records, list) or not records:
        raise AssertionError(f"{case.fixture / 'input.json'} must be a non-empty list of source records.")
    mapper = Mapper(spec)
    results = []
    for record in records:
        try:
            item = mapper.map(record)
        except RecordError as error:
            results.append({"error": str(error)})
        else:
            results.append({"key": item.key, "entity": item.data, "target_fields": item.native})
    # Through JSON, as results travel between workers: tuples and Decimals would show here.
    return json.loads(json.dumps(results))


def check_golden(case: GoldenCase, *, accept: bool = False) -> None:
    """Fail unless the mapping maps the sample to the expected results; ``accept`` records them instead.

    Raises:
        AssertionError: naming the sample's unmappable records (while results are pending), or the
            records whose results differ from ``expected.json``.
    """
    __tracebackhide__ = True  # pytest shows the message, not this function
    if not (case.fixture / "input.json").is_file():
        raise AssertionError(f"Mapping file {case.mapping} has no golden sample: add {case.fixture}/input.json "
                             "(source records) and expected.json, or run `connector new` to write both.")
    actual = map_sample(case)
    expected_path = case.fixture / "expected.json"
    expected = _read(expected_path) if expected_path.is_file() else None
    if accept:
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    pending = expected is None or any(isinstance(e, dict) and PENDING in e for e in expected)
    if pending:
        failed = [f"  record {n}: {result['error']}" for n, result in enumerate(actual) if "error" in result]
        if failed:
            raise AssertionError(f"{case.mapping} cannot map {len(failed)} of {len(actual)} sample records yet:\n"
                                 + "\n".join(failed) + "\nFill in what is missing; if these records are meant to "
                                 "fail, accept the results with `pytest --golden-accept`.")
        raise AssertionError(f"{case.mapping} maps its sample; review the results and accept them as "
                             f"{expected_path} with `pytest --golden-accept`.")
    if actual != expected:
        raise AssertionError(f"{case.mapping} maps its sample differently from {expected_path}:\n"
                             + "\n".join(_differences(actual, expected)))


def _differences(actual: list, expected: list) -> list[str]:
    lines = []
    if len(actual) != len(expected):
        lines.append(f"  {len(actual)} results for {len(expected)} expected.")
    for n, (got, wanted) in enumerate(zip(actual, expected)):
        if got != wanted:
            lines.append(f"  record {n}: expected {json.dumps(wanted, sort_keys=True)}\n"
                         f"            got      {json.dumps(got, sort_keys=True)}")
    return lines


def _read(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise AssertionError(f"{path} is not valid JSON: {error}.") from None
