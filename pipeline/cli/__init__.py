"""The operator's command line: ``connector --help``.

Exit codes (``pipeline.cli.exits``): 0 done, 1 finished with failures, 2 usage or configuration
error. Errors an operator can fix print one line of advice; ``-v`` adds the traceback.
"""

from __future__ import annotations

import logging
import sys
import traceback

import click

from pipeline import __version__
from pipeline.cli import check, context, dead_letters, emulate, mappings, project, runs, schedules
from pipeline.cli.exits import explain


@click.group()
@click.version_option(__version__, "--version", prog_name="connector", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="Log more (-v: info and tracebacks, -vv: debug).")
def main(verbose: int) -> None:
    """Run and watch the integrations declared in mappings/."""
    context.VERBOSITY = verbose
    # Commands print their own output; logs (and tracebacks) only when asked for.
    logging.basicConfig(level=context.log_level(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for command in (*mappings.COMMANDS, *runs.COMMANDS, *schedules.COMMANDS, dead_letters.dead_letters, emulate.emulate,
                check.check, project.init):
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
