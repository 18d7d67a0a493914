"""Where a scaffolded integration's sample input comes from, best first.

1. a file the author names (``--sample``);
2. a recorded fixture of the source (``connector record``): ``<fixtures>/recorded/<system>/<entity>.json``;
3. the golden sample of another mapping file with the same source system and entity;
4. one empty record: the golden test then names every required field as missing.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.errors import ConfigError, MappingError
from pipeline.mapping import load_mapping


def recorded_path(fixtures_dir: Path, system: str, entity: str) -> Path:
    return fixtures_dir / "recorded" / system / f"{entity}.json"


def find_sample(*, sample: Path | None, fixtures_dir: Path, mappings_dir: Path, system: str,
                entity: str) -> tuple[list[dict], str]:
    """The sample records and a sentence saying where they came from."""
    if sample is not None:
        return _records(sample), f"from {sample}"
    recorded = recorded_path(fixtures_dir, system, entity)
    if recorded.is_file():
        return _records(recorded), f"recorded from {system} ({recorded})"
    for path in sorted(mappings_dir.glob("*.y*ml")):
        try:
            spec = load_mapping(path)
        except MappingError:
            continue
        golden = fixtures_dir / spec.name / "input.json"
        if spec.source.system == system and spec.entity == entity and golden.is_file():
            return _records(golden), f"the golden sample of {spec.name} ({golden})"
    return [{}], "none found: one empty record (record one with `connector record`, or pass --sample)"


def _records(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"Cannot read the sample {path}: {error}.") from None
    records = data if isinstance(data, list) else [data]
    if not records or not all(isinstance(record, dict) for record in records):
        raise ConfigError(f"The sample {path} must be a JSON object or a non-empty list of objects.")
    return records
