"""``connector init DIR``: a new project folder, for users of the installed library.

The template ships inside the package (``pipeline/project_template``), so it works after
``pip install`` anywhere, not only in a clone of this repository.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from pipeline.cli.exits import USAGE, Exit

#: Template files whose name a package cannot carry as it is (setuptools skips dot files).
RENAMED = {"env.example": ".env.example"}


def _copy(source, target: Path) -> list[Path]:
    written = []
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        if entry.name in ("__pycache__",):
            continue
        destination = target / RENAMED.get(entry.name, entry.name)
        if entry.is_dir():
            destination.mkdir(exist_ok=True)
            written += _copy(entry, destination)
        else:
            destination.write_bytes(entry.read_bytes())
            written.append(destination)
    return written


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Start a project in DIRECTORY: mappings/ with a first integration, a sample, .env.example, a README."""
    if directory.exists() and any(directory.iterdir()):
        raise Exit(f"{directory} is not empty: `connector init` only fills a new or empty folder.", USAGE)
    directory.mkdir(parents=True, exist_ok=True)
    written = _copy(resources.files("pipeline") / "project_template", directory)
    # Where REST systems described in YAML go (``connector new`` and mapping files name them).
    (directory / "systems").mkdir(exist_ok=True)
    for path in written:
        click.echo(f"  {path}")
    click.echo(f"Next: cd {directory} && cp .env.example .env && set -a && . ./.env && set +a && "
               "connector run customers_from_csv --embedded")


COMMANDS = (init,)
