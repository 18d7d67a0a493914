"""The operator's command line: ``connector --help``."""

from __future__ import annotations

import logging
import os

import click

from pipeline.cli import dead_letters, lifecycle, mappings, runs
from pipeline.cli import authoring, project, recording  # the integration author's commands
from pipeline.errors import PipelineError
from pipeline.logs import configure_logging
from pipeline.redaction import secret_values


@click.group()
@click.option("-v", "--verbose", count=True, help="Log more (-v: info, -vv: debug).")
def main(verbose: int) -> None:
    """Run and watch the integrations declared in mappings/."""
    # Failed records are summarised at the end of a run; logs add them only when asked for.
    # Logs go to stderr, so a command's own output (stdout) is only what it prints.
    level = [logging.ERROR, logging.INFO, logging.DEBUG][min(verbose, 2)]
    configure_logging(level=level, json_output=False, secrets=secret_values(os.environ))


for command in (*mappings.COMMANDS, *runs.COMMANDS, *lifecycle.COMMANDS, dead_letters.dead_letters):
    main.add_command(command)
for command in (*project.COMMANDS, *authoring.COMMANDS, *recording.COMMANDS):
    main.add_command(command)


def run_main() -> None:
    try:
        main(standalone_mode=True)
    except PipelineError as error:
        raise SystemExit(str(error)) from None
