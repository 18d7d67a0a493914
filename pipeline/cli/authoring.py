"""Commands for integration authors: ``connector new`` (scaffold an integration)."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.entities.connectors import CONNECTOR_TYPES
from pipeline.mapping.scaffold import scaffold
from pipeline.errors import SystemFileError
from pipeline.settings import Settings
from pipeline.systems.declarative import load_system_file, systems_dir


@click.command()
@click.option("--connector", "connector_type", prompt="Connector type (entity_pull or entity_push)",
              help=f"The connector type: {', '.join(sorted(CONNECTOR_TYPES))}.")
@click.option("--source", prompt="Source system", help="The source system (ours, or systems/<name>.yaml).")
@click.option("--target", prompt="Target system", help="The target system (ours, or systems/<name>.yaml).")
@click.option("--name", default=None, help="The integration's name (default: <source>_to_<target>_<entity>).")
@click.option("--source-connection", default=None, help="The source's connection name (default: the system's).")
@click.option("--target-connection", default=None, help="The target's connection name (default: the system's).")
@click.option("--sample", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Source records (JSON) to start the golden sample with.")
@click.option("--force", is_flag=True, help="Overwrite the integration's files if they exist.")
def new(connector_type: str, source: str, target: str, name: str | None, source_connection: str | None,
        target_connection: str | None, sample: Path | None, force: bool) -> None:
    """Write a new integration: its mapping file, a golden sample and the golden test."""
    mappings_dir = Settings.from_env().mappings_dir
    result = scaffold(connector=connector_type, source=source, target=target, name=name,
                      root=mappings_dir.absolute().parent, mappings_dir=mappings_dir,
                      source_connection=source_connection, target_connection=target_connection, sample=sample,
                      force=force)
    click.echo(f"Integration {result.name}: sample {result.sample_origin}.")
    for path in result.written:
        click.echo(f"  wrote {path}")
    click.echo(f"Next: fill in {mappings_dir / (result.name + '.yaml')}, then run pytest tests/test_golden_samples.py.")


@click.command("systems")
def list_systems() -> None:
    """Validate and list the REST systems described in systems/ (beside the mappings directory)."""
    directory = systems_dir(Settings.from_env().mappings_dir)
    bad = 0
    for path in sorted(directory.glob("*.y*ml")):
        try:
            spec = load_system_file(path)
        except SystemFileError as error:
            bad += 1
            click.echo(str(error), err=True)
            continue
        abilities = ", ".join(f"{name} ({'+'.join(w for w, on in (('list', e.listing), ('load', e.loading)) if on)})"
                              for name, e in spec.entities.items())
        click.echo(f"ok  {path} ({spec.name}: {abilities})")
    if bad:
        raise SystemExit(f"{bad} system files in {directory} are invalid.")


COMMANDS = (new, list_systems)
