"""Dead letters: list, show, retry, discard the records that failed for good."""

from __future__ import annotations

import click

from pipeline.cli.context import build_app, echo_json, when
from pipeline.cli.exits import USAGE, Exit


def _filters(function):
    for option in (click.option("--integration", help="Only this integration's."),
                   click.option("--run", "run_id", help="Only those of this run."),
                   click.option("--error-type", help="Only this error class, e.g. FatalError.")):
        function = option(function)
    return function


@click.group("dead-letters")
def dead_letters() -> None:
    """Records that failed for good, kept with their error until retried or discarded."""


@dead_letters.command("list")
@_filters
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the dead letters as a JSON list.")
def list_letters(integration, run_id, error_type, limit, as_json) -> None:
    """List dead letters, newest first."""
    letters = build_app().books.dead_letters.list(integration=integration, run_id=run_id,
                                                  error_type=error_type, limit=limit)
    if as_json:
        echo_json([_letter_dict(letter, history=False) for letter in letters])
        return
    for letter in letters:
        failure = letter.failure
        # A message's error already starts with its type ("ConfigError: ..."); a record's does not.
        error = failure.error if failure.error.startswith(f"{failure.error_type}: ") else \
            f"{failure.error_type}: {failure.error}"
        click.echo(f"{when(letter.failed_at)}  {letter.integration}  {failure.key}  [{failure.stage}] {error}")
    click.echo(f"{len(letters)} dead letter(s).")


@dead_letters.command("show")
@click.argument("integration")
@click.argument("key")
def show(integration: str, key: str) -> None:
    """Show one dead letter: its error, the record it carries and its history."""
    letter = build_app().books.dead_letters.get(integration, key)
    if letter is None:
        raise Exit(f"No dead letter for {key!r} of {integration!r}.", USAGE)
    echo_json(_letter_dict(letter))


def _letter_dict(letter, history: bool = True) -> dict:
    found = {"integration": letter.integration, "key": letter.failure.key, "run_id": letter.run_id,
             "message_id": letter.message_id, "failed_at": letter.failed_at, "attempts": letter.attempts,
             "failure": vars(letter.failure)}
    return {**found, "history": letter.history} if history else found


def _selected(app, integration, key, run_id, error_type, every):
    store = app.books.dead_letters
    if key:
        if not integration:
            raise click.UsageError("Name the integration of KEY with --integration.")
        letter = store.get(integration, key)
        if letter is None:
            raise Exit(f"No dead letter for {key!r} of {integration!r}.", USAGE)
        return [letter]
    if not (every or integration or run_id or error_type):
        raise click.UsageError("Name a KEY, a filter, or --all.")
    return store.list(integration=integration, run_id=run_id, error_type=error_type, limit=1_000_000)


def _selection(function):
    """KEY, the filters and --all: how retry and discard choose their dead letters."""
    function = click.option("--all", "every", is_flag=True, help="Every dead letter (with no filter).")(function)
    return click.argument("key", required=False)(_filters(function))


@dead_letters.command("retry")
@_selection
def retry(key, integration, run_id, error_type, every) -> None:
    """Send dead letters again (one KEY with --integration, or all matching the filters)."""
    app = build_app()
    letters = _selected(app, integration, key, run_id, error_type, every)
    started = app.retry_dead_letters(letters)
    for name, new_run in started.items():
        click.echo(f"Retrying {sum(1 for x in letters if x.integration == name)} of {name} in run {new_run}.")
    if not started:
        click.echo("Nothing to retry.")


@dead_letters.command("discard")
@_selection
def discard(key, integration, run_id, error_type, every) -> None:
    """Forget dead letters (one KEY with --integration, or all matching the filters)."""
    app = build_app()
    letters = _selected(app, integration, key, run_id, error_type, every)
    for letter in letters:
        app.books.dead_letters.discard(letter.integration, letter.failure.key)
    click.echo(f"Discarded {len(letters)} dead letter(s).")
