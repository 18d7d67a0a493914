"""Commands about running and watching: run, status, runs, message, entity, cursor, queues."""

from __future__ import annotations

import sys
import time

import click

from pipeline.books.runs import RunSummary
from pipeline.cli.context import build_app, echo_json, when
from pipeline.cli.exits import FAILED, OK, USAGE, Exit
from pipeline.cli.liveness import unconsumed_queue_warning
from pipeline.flow.chain import TIERS


@click.command()
@click.argument("integration")
@click.option("--mode", type=click.Choice(["changed", "full", "refs"]), default="changed", show_default=True,
              help="changed: since the stored cursor; full: every record (background queue); refs: --ref ids.")
@click.option("--ref", "refs", multiple=True, help="A record's natural key (with --mode refs); repeatable.")
@click.option("--tier", type=click.Choice(list(TIERS)), help="Queue to run on.")
@click.option("--force", is_flag=True, help="Load records even when unchanged since their last load.")
@click.option("--embedded", is_flag=True, help="Run in this process on an in-memory broker: no Redis needed "
              "(state kept in PIPELINE_EMBEDDED_STATE, default var/embedded-state.json).")
@click.option("--wait/--no-wait", default=None, help="Follow the run until it finishes (default with --embedded).")
def run(integration: str, mode: str, refs: tuple[str, ...], tier: str | None, force: bool, embedded: bool,
        wait: bool | None) -> None:
    """Run INTEGRATION: enqueue it for the workers, or run it here with --embedded."""
    if refs and mode != "refs":
        mode = "refs"
    app = build_app(embedded)
    worker = None
    if embedded:
        from dramatiq import Worker

        worker = Worker(app.broker, worker_threads=4, worker_timeout=50)
        worker.start()
    try:
        run_id = app.start_run(integration, mode, refs, tier, force)
        click.echo(f"Run {run_id} of {integration} ({mode}) started.")
        if wait or (wait is None and embedded):
            summary = follow(app.runs, run_id, None if embedded else app)
            print_summary(summary, app.runs.failures(run_id))
            sys.exit(exit_code(summary))
    finally:
        if worker is not None:
            worker.stop()
            app.embedded_state.save(app.books.redis)


def exit_code(summary: RunSummary) -> int:
    """0 for a complete (or still going) run; 1 for a failed run or one finished with failed records."""
    return FAILED if summary.status in ("failed", "partial") else OK


def follow(runs, run_id: str, app=None, poll_s: float = 0.1, idle_warning_s: float = 5.0) -> RunSummary:
    """Show a live progress line until the run finishes.

    With the ``app`` (not in the embedded mode), a run whose messages wait for ``idle_warning_s``
    with no live worker on its queue gets a warning (once), instead of waiting in silence.
    """
    tty = sys.stderr.isatty()
    waiting_since, warned = time.monotonic(), app is None
    while True:
        summary = runs.get(run_id)
        if summary is None:
            raise Exit(f"Unknown run {run_id!r}: see `connector runs` for the recent ones.", USAGE)
        if tty:
            click.echo(f"\r{progress(summary)}", nl=False, err=True)
        if summary.finished_at is not None:
            if tty:
                click.echo("", err=True)
            return summary
        if not warned and time.monotonic() - waiting_since > idle_warning_s and summary.status == "waiting":
            warned = True
            warn_without_workers(app, summary)
        time.sleep(poll_s)


def warn_without_workers(app, summary: RunSummary) -> bool:
    """Warn (on stderr) when the run waits and no live worker consumes its queue; whether it warned."""
    warning = unconsumed_queue_warning(app, summary)
    if warning:
        click.echo(warning, err=True)
    return warning is not None


def progress(summary: RunSummary, width: int = 30) -> str:
    total, done = summary.expected, summary.processed
    filled = int(width * done / total) if total else (width if summary.extract_done else 0)
    counts = " ".join(f"{name} {value}" for name, value in summary.all_counts.items())
    more = "" if summary.extract_done else "+"
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{more}  {counts}"


def print_summary(summary: RunSummary, failures) -> None:
    took = (summary.finished_at or time.time()) - summary.started_at
    state = f"finished in {took:.2f}s" if summary.finished_at else f"running for {took:.2f}s"
    click.echo(f"Run {summary.run_id} of {summary.integration} ({summary.mode}) {state}, status {summary.status}: "
               + ", ".join(f"{name} {value}" for name, value in summary.all_counts.items()) + ".")
    if summary.states:
        click.echo("  messages: " + ", ".join(f"{state} {count}" for state, count in summary.states.items()))
    if summary.error:
        click.echo(f"  run error: {summary.error}")
    for failure in failures:
        click.echo(f"  failed [{failure.stage}] {failure.key}: {failure.error}")


@click.command()
@click.argument("run_id")
@click.option("--follow", "live", is_flag=True, help="Watch the run until it finishes.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def status(run_id: str, live: bool, as_json: bool) -> None:
    """Show a run's progress, message states and failed records.

    Exits 1 when the run finished failed or with failed records (status failed or partial).
    """
    app = build_app()
    runs = app.runs
    summary = follow(runs, run_id, app) if live else runs.get(run_id)
    if summary is None:
        raise Exit(f"Unknown run {run_id!r}: see `connector runs` for the recent ones.", USAGE)
    if not live and not as_json:
        warn_without_workers(app, summary)
    if as_json:
        echo_json({**run_dict(summary), "failures": [vars(f) for f in runs.failures(run_id)]})
    else:
        print_summary(summary, runs.failures(run_id))
    sys.exit(exit_code(summary))


def run_dict(summary: RunSummary) -> dict:
    return {**summary.as_dict(), "finished": summary.finished_at is not None}


@click.command("runs")
@click.option("--limit", default=20, show_default=True)
@click.option("--integration", help="Only this integration's runs.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as a JSON list.")
def list_runs(limit: int, integration: str | None, as_json: bool) -> None:
    """List recent runs, newest first."""
    found = build_app().runs.recent(limit, integration)
    if as_json:
        echo_json([run_dict(summary) for summary in found])
        return
    for summary in found:
        click.echo(f"{summary.run_id}  {when(summary.started_at)}  {summary.integration:36} {summary.mode:8} "
                   f"{summary.status:9} " + " ".join(f"{k}={v}" for k, v in summary.all_counts.items()))


@click.command()
@click.argument("message_id")
def message(message_id: str) -> None:
    """Show one message's status: state, attempts, timestamps, last error."""
    found = build_app().books.messages.get(message_id)
    if found is None:
        raise Exit(f"No status for message {message_id!r} (unknown, or expired).", USAGE)
    echo_json(found)


@click.command()
@click.argument("integration")
@click.argument("key")
def entity(integration: str, key: str) -> None:
    """What happened to one record, e.g. `connector entity magento2_to_netsuite_order 000000692`."""
    app = build_app()
    name = app.integration(integration).name
    found = app.books.ledger.entry(name, key)
    letter = app.books.dead_letters.get(name, key)
    if letter:
        found["dead_letter"] = {"stage": letter.failure.stage, "error": letter.failure.error,
                                "run_id": letter.run_id, "attempts": letter.attempts, "history": letter.history}
    if not found:
        raise Exit(f"Integration {name!r} has no record of {key!r}.", USAGE)
    echo_json(found)


@click.command()
@click.argument("integration")
@click.option("--set", "value", help="Move the cursor to this value.")
@click.option("--reset", is_flag=True, help="Forget the cursor: the next pull reads everything.")
def cursor(integration: str, value: str | None, reset: bool) -> None:
    """Show, set or reset an integration's incremental cursor."""
    app = build_app()
    name = app.integration(integration).name
    if reset or value is not None:
        app.runs.set_cursor(name, None if reset else value)
    click.echo(f"{name}: {app.runs.get_cursor(name) or '(none: the next pull reads everything)'}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the queues as a JSON list.")
def queues(as_json: bool) -> None:
    """Messages waiting per queue (ready, and delayed: scheduled or waiting to be retried)."""
    app = build_app()
    broker = app.broker
    client = getattr(broker, "client", None)
    rows = []
    for queue in sorted(TIERS, key=TIERS.get):
        if client is not None:
            prefix = f"{broker.namespace}:{queue}"
            ready, delayed = client.llen(prefix), client.llen(f"{prefix}.DQ")
        else:
            ready, delayed = broker.queues[queue].qsize(), broker.queues[f"{queue}.DQ"].qsize()
        rows.append({"queue": queue, "ready": ready, "delayed": delayed})
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['queue']:12} ready {row['ready']:8}  delayed {row['delayed']:8}")


COMMANDS = (run, status, list_runs, message, entity, cursor, queues)




@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; beyond loopback an access token is required.")
@click.option("--port", default=8080, show_default=True)
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False),
              help="A file holding the access token (default: $PIPELINE_WEB_TOKEN).")
def web(host: str, port: int, token_file: str | None) -> None:
    """Serve the operators' console: integrations, runs, failures, dead letters, queues, /metrics."""
    import os
    from pathlib import Path

    from pipeline.web import serve

    token = Path(token_file).read_text().strip() if token_file else os.environ.get("PIPELINE_WEB_TOKEN") or None
    server = serve(build_app(), host, port, token=token)
    where = f"http://{host}:{server.effective_port}/"
    click.echo(f"Serving the operators' console on {where}" + (" (access token required)" if token else "")
               + " (Ctrl-C to stop).")
    try:
        server.run()
    except KeyboardInterrupt:
        pass


COMMANDS = (*COMMANDS, web)
