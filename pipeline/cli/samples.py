"""Sample records for ``connector preview``: a file (JSON, JSON Lines, CSV) or the configured source."""

from __future__ import annotations

import csv
import io
import json
import sys
from itertools import islice
from pathlib import Path

from pipeline.cli.exits import USAGE, Exit
from pipeline.flow.integrations import Integration
from pipeline.mapping import MappingSpec
from pipeline.redaction import secret_values
from pipeline.settings import EMBEDDED_BROKER_URL, Settings
from pipeline.systems.file_rows import csv_rows, json_lines

SAMPLE_FORMATS = ("json", "jsonl", "csv")
_BY_SUFFIX = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def read_sample(path: Path, sample_format: str | None) -> list:
    """The records of a sample file (``-``: stdin), as the files system would read them."""
    text = sys.stdin.read() if str(path) == "-" else _text(path)
    kind = sample_format or _BY_SUFFIX.get(path.suffix.lower()) or _guess(text)
    where = "stdin" if str(path) == "-" else str(path)
    if kind == "csv" and str(path) != "-":
        # Read as the files system reads a drop file: strings, a bad row as an unreadable record.
        return list(csv_rows(path))
    if kind == "jsonl" and str(path) != "-":
        return list(json_lines(path))
    if kind == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    if kind == "json":
        try:
            records = json.loads(text)
        except json.JSONDecodeError as error:
            raise Exit(f"Sample {where} is not valid JSON (line {error.lineno}, column {error.colno}: "
                       f"{error.msg}); for JSON Lines or CSV use --format jsonl or csv.", USAGE) from None
        return records if isinstance(records, list) else [records]
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise Exit(f"Sample {where} line {number} is not valid JSON ({error.msg}).", USAGE) from None
    return records


def read_source(spec: MappingSpec, count: int) -> list:
    """The first ``count`` records of the mapping's source, read without a cursor and without moving one."""
    settings = Settings.from_env()
    # The in-process concurrency budget: a preview needs no Redis.
    integration = Integration(spec, {**settings.environ, "PIPELINE_BROKER_URL": EMBEDDED_BROKER_URL})
    integration.require_configured()
    pages = integration.source.extract(spec.source.entity, since=None, refs=None, page_size=min(count, 100))
    records = (record for page in pages for record in page.records)
    return list(islice(records, count))


def target_of(spec: MappingSpec) -> tuple[object, set[str]]:
    """The mapping's target system, built from its connection's variables, and the secrets to mask."""
    settings = Settings.from_env()
    integration = Integration(spec, {**settings.environ, "PIPELINE_BROKER_URL": EMBEDDED_BROKER_URL})
    return integration.target, secret_values(settings.environ)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise Exit(f"Cannot read the sample {path}: {error.strerror}.", USAGE) from None


def _guess(text: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return "jsonl"
    return "json"
