"""``connector init``: the folders of a connector project, for ``connector new`` to fill."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.mapping.scaffold import GOLDEN_TEST

README = """\
# Connector project

- `mappings/`: one mapping file per integration (`connector new` writes one).
- `systems/`: REST systems described in YAML, by the name mapping files use.
- `tests/fixtures/<integration>/`: each integration's golden sample; `tests/fixtures/recorded/`:
  what `connector record` saved from a source.

Run `pytest` to check every mapping against its golden sample.
"""


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def init(directory: Path) -> None:
    """Make DIRECTORY a connector project: mappings/, systems/, tests/ with the golden test."""
    written = []
    for folder in ("mappings", "systems", "tests/fixtures"):
        (directory / folder).mkdir(parents=True, exist_ok=True)
    for path, text in ((directory / "README.md", README),
                       (directory / "tests" / "test_golden_samples.py",
                        GOLDEN_TEST.format(mappings="mappings", fixtures="tests/fixtures"))):
        # Never over an author's own files: init may be run in an existing project.
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    click.echo(f"Connector project in {directory}: mappings/, systems/, tests/fixtures/"
               + "".join(f"\n  wrote {path}" for path in written))
    click.echo("Next: describe a REST system in systems/<name>.yaml (or use ours), then `connector new`.")


COMMANDS = (init,)
