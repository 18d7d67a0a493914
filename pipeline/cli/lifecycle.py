"""Commands about a record's end of life: erase (an erasure request)."""

from __future__ import annotations

import click

from pipeline.cli.context import build_app
from pipeline.cli.runs import follow, print_summary


@click.command()
@click.argument("integration")
@click.argument("keys", nargs=-1, required=True)
@click.option("--wait/--no-wait", default=True, help="Follow the run until it finishes.")
def erase(integration: str, keys: tuple[str, ...], wait: bool) -> None:
    """Erase records from the integration's target for good, e.g. an erasure request:
    `connector erase magento2_to_mailchimp_customer jane@example.com` deletes the member permanently."""
    app = build_app()
    run_id = app.erase(integration, list(keys))
    click.echo(f"Run {run_id} of {integration} (erase) enqueued: {len(keys)} records.")
    if wait:
        print_summary(follow(app.runs, run_id), app.runs.failures(run_id))


COMMANDS = (erase,)
