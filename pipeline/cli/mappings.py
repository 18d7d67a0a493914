"""Commands about mapping files: list, validate, preview."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.context import echo_json
from pipeline.cli.exits import FAILED, USAGE, Exit
from pipeline.errors import ConfigError, MappingError, RecordError
from pipeline.cli.samples import SAMPLE_FORMATS, read_sample, read_source, target_of
from pipeline.mapping import Mapper, load_mapping, load_mappings
from pipeline.mapping.paths import absent_paths
from pipeline.settings import Settings
from pipeline.systems.request_preview import preview_request


def _mappings_dir() -> Path:
    return Settings.from_env().mappings_dir


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the integrations as a JSON list.")
def list_integrations(as_json: bool) -> None:
    """List the integrations found in the mappings directory."""
    specs = sorted(load_mappings(_mappings_dir()).items())
    if as_json:
        echo_json([{"integration": name, "connector": spec.connector, "entity": spec.entity,
                    "source": vars(spec.source), "target": vars(spec.target), "schedule": spec.schedule,
                    "enabled": spec.enabled, "path": str(spec.path)} for name, spec in specs])
        return
    for name, spec in specs:
        ends = f"{spec.source.system}:{spec.source.connection} -> {spec.target.system}:{spec.target.connection}"
        schedule = (spec.schedule or "-") + ("" if spec.enabled else " (disabled)")
        click.echo(f"{name:40} {spec.connector:20} {ends:50} {schedule}")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Validate mapping files (all of the mappings directory by default); list every problem.

    Exits 1 when a file is invalid, 2 when there is no mapping file to validate.
    """
    if paths:
        files = list(paths)
    else:
        try:
            load_mappings(_mappings_dir())
        except MappingError:
            pass  # reported file by file below
        files = sorted(_mappings_dir().glob("*.y*ml"))
    bad = 0
    for path in files:
        try:
            spec = load_mapping(path)
        except ConfigError as error:
            bad += 1
            click.echo(str(error), err=True)
            continue
        click.echo(f"ok  {path} ({spec.name}: {spec.connector})")
    if bad:
        raise Exit(f"{bad} of {len(files)} mapping files are invalid.", FAILED)


@click.command()
@click.argument("mapping")
@click.argument("sample", required=False, type=click.Path(allow_dash=True, dir_okay=False, path_type=Path))
@click.option("--sample", "sample_option", type=click.Path(allow_dash=True, dir_okay=False, path_type=Path),
              help="The sample (instead of the SAMPLE argument).")
@click.option("--format", "sample_format", type=click.Choice(SAMPLE_FORMATS),
              help="The sample's format (default: from its extension; stdin: JSON, else JSON Lines).")
@click.option("--from-source", "from_source", type=click.IntRange(1, 10_000), metavar="N",
              help="Read N records from the mapping's configured source instead (no cursor moves, nothing loads).")
@click.option("--request", "show_request", is_flag=True,
              help="Show the exact request the target would receive for each record, secrets masked: "
                   "built by the target's own load, which may read (look a record up) but sends no change.")
def preview(mapping: str, sample: Path | None, sample_option: Path | None, sample_format: str | None,
            from_source: int | None, show_request: bool) -> None:
    """Map sample records with MAPPING and show each entity or its errors; nothing is loaded.

    MAPPING is a mapping file or an integration's name. SAMPLE is a JSON record or list, JSON Lines,
    or CSV (- for stdin); or use --from-source N. Warns (stderr) about every source field the mapping
    reads that no sample has. Exits 1 when a record fails to map (or, with --request, to load).
    """
    spec = load_mapping(_mapping_file(mapping))
    sample = sample or sample_option
    if (sample is None) == (from_source is None):
        raise click.UsageError("Give a SAMPLE file, or --from-source N (not both).")
    records = read_source(spec, from_source) if from_source else read_sample(sample, sample_format)
    for warning in absent_paths(spec, records):
        click.echo(f"Warning: {warning}", err=True)
    target, secrets = target_of(spec) if show_request else (None, set())
    mapper, failed = Mapper(spec), 0
    for index, record in enumerate(records):
        try:
            item = mapper.map(record)
        except RecordError as error:
            failed += 1
            click.echo(json.dumps({"record": index, "error": str(error), "problems": error.problems},
                                  indent=2, default=str))
            continue
        shown = {"record": index, "key": item.key, "entity": item.data, "target_fields": item.native}
        if target is not None:
            found = preview_request(target, spec.entity, item, secrets)
            shown.update(request=found.request, reads=found.reads)
            if found.error:
                failed += 1
                shown["load_error"] = found.error
        click.echo(json.dumps(shown, indent=2, default=str))
    if failed:
        raise SystemExit(FAILED)


def _mapping_file(mapping: str) -> Path:
    """A mapping file's path, given as such or as its integration's name (in the mappings directory)."""
    path = Path(mapping)
    if path.is_file():
        return path
    named = _mappings_dir() / f"{mapping}.yaml"
    if named.is_file():
        return named
    raise Exit(f"No mapping file {mapping!r}, and no integration of that name in {_mappings_dir()}: see "
               "`connector list`.", USAGE)


COMMANDS = (list_integrations, validate, preview)
