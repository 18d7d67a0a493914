"""The operator's command line: ``connector --help``.

Exit codes (``pipeline.cli.exits``): 0 done, 1 finished with failures, 2 usage or configuration
error. Errors an operator can fix print one line of advice; ``-v`` adds the traceback.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from importlib.metadata import entry_points

import click

from pipeline import __version__
from pipeline.cli import check, context, dead_letters, lifecycle, mappings, project, runs, schedules
from pipeline.cli import authoring, recording  # the integration author's commands
from pipeline.cli.exits import explain
from pipeline.logs import configure_logging
from pipeline.redaction import secret_values


class Commands(click.Group):
    """Our commands, plus those of layers above the command line's own, loaded only when used.

    ``connector emulate`` lives with the emulators (``pipeline.testing``) and joins through the
    ``pipeline_connectors.commands`` entry point: the command line never imports it by name, and
    other commands do not pay for importing the emulators.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(entry.name for entry in _plugins())})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = super().get_command(ctx, name)
        if found is None:
            entry = next((entry for entry in _plugins() if entry.name == name), None)
            found = entry.load() if entry is not None else None
        return found


def _plugins():
    return entry_points(group="pipeline_connectors.commands")


@click.group(cls=Commands)
@click.version_option(__version__, "--version", prog_name="connector", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="Log more (-v: info and tracebacks, -vv: debug).")
def main(verbose: int) -> None:
    """Run and watch the integrations declared in mappings/."""
    context.VERBOSITY = verbose
    # Commands print their own output (stdout); logs and tracebacks go to stderr, only when asked for.
    configure_logging(level=context.log_level(), json_output=False, secrets=secret_values(os.environ))


for command in (*mappings.COMMANDS, *runs.COMMANDS, *schedules.COMMANDS, *lifecycle.COMMANDS,
                dead_letters.dead_letters, check.check, project.init, *authoring.COMMANDS, *recording.COMMANDS):
    main.add_command(command)


def run_main() -> None:
    try:
        main(standalone_mode=True)
    except Exception as error:  # noqa: BLE001 - every error becomes advice or a traceback, then an exit code
        advice = explain(error)
        if advice is None:
            raise
        if context.VERBOSITY:
            traceback.print_exception(error)
        click.echo(f"Error: {advice}", err=True)
        sys.exit(advice.code)
