"""The operator's command line: ``connector --help``."""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from pipeline.errors import ConfigError, PipelineError, RecordError
from pipeline.mapping import Mapper, load_mapping, load_mappings
from pipeline.runs import RunSummary
from pipeline.settings import EMBEDDED_BROKER_URL, Settings


def _actors(embedded: bool = False):
    """Import the actors module (it builds the broker); ``embedded`` selects the in-process one first."""
    if embedded:
        os.environ["PIPELINE_BROKER_URL"] = EMBEDDED_BROKER_URL
    return importlib.import_module("pipeline.actors")


def _mappings_dir() -> Path:
    return Settings.from_env().mappings_dir


@click.group()
@click.option("-v", "--verbose", count=True, help="Log more (-v: info, -vv: debug).")
def main(verbose: int) -> None:
    """Run and watch the integrations declared in mappings/."""
    # Failed records are summarised at the end of a run; logs add them only when asked for.
    level = [logging.ERROR, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command("list")
def list_integrations() -> None:
    """List the integrations found in the mappings directory."""
    for name, spec in sorted(load_mappings(_mappings_dir()).items()):
        ends = f"{spec.source.system}:{spec.source.connection} -> {spec.target.system}:{spec.target.connection}"
        click.echo(f"{name:40} {spec.connector:20} {ends:50} {spec.schedule or '-'}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Validate mapping files (all of the mappings directory by default); list every problem."""
    files = list(paths) or sorted(_mappings_dir().glob("*.y*ml"))
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
        raise SystemExit(f"{bad} of {len(files)} mapping files are invalid.")


@main.command()
@click.argument("mapping", type=click.Path(exists=True, path_type=Path))
@click.argument("sample", type=click.File("r"))
def preview(mapping: Path, sample) -> None:
    """Map SAMPLE (a JSON record or list of records; - for stdin) with MAPPING; nothing is loaded."""
    mapper = Mapper(load_mapping(mapping))
    records = json.load(sample)
    failed = 0
    for index, record in enumerate(records if isinstance(records, list) else [records]):
        try:
            item = mapper.map(record)
        except RecordError as error:
            failed += 1
            click.echo(json.dumps({"record": index, "error": str(error), "problems": error.problems},
                                  indent=2, default=str))
            continue
        click.echo(json.dumps({"record": index, "key": item.key, "entity": item.data, "target_fields": item.native},
                              indent=2))
    if failed:
        raise SystemExit(1)


@main.command()
@click.argument("integration")
@click.option("--mode", type=click.Choice(["changed", "full", "refs"]), default="changed", show_default=True,
              help="changed: since the stored cursor; full: every record (background queue); refs: --ref ids.")
@click.option("--ref", "refs", multiple=True, help="A record's natural key (with --mode refs); repeatable.")
@click.option("--tier", type=click.Choice(["urgent", "normal", "background"]), help="Queue to run on.")
@click.option("--force", is_flag=True, help="Load records even when unchanged since their last load.")
@click.option("--embedded", is_flag=True, help="Run in this process on an in-memory broker: no Redis needed.")
@click.option("--wait/--no-wait", default=None, help="Follow the run until it finishes (default with --embedded).")
def run(integration: str, mode: str, refs: tuple[str, ...], tier: str | None, force: bool, embedded: bool,
        wait: bool | None) -> None:
    """Run INTEGRATION: enqueue it for the workers, or run it here with --embedded."""
    if refs and mode != "refs":
        mode = "refs"
    actors = _actors(embedded)
    worker = None
    if embedded:
        from dramatiq import Worker

        worker = Worker(actors.broker, worker_threads=4, worker_timeout=50)
        worker.start()
    try:
        run_id = actors.start_run(integration, mode, refs, tier, force)
        click.echo(f"Run {run_id} of {integration} ({mode}) started.")
        if wait or (wait is None and embedded):
            summary = _follow(actors.runs, run_id)
            _print_summary(summary, actors.runs.failures(run_id))
            # Failed records are kept for an operator (connector status); only a failed run is an error here.
            if summary.error:
                raise SystemExit(1)
    finally:
        if worker is not None:
            worker.stop()


def _follow(runs, run_id: str, poll_s: float = 0.1) -> RunSummary:
    """Show a live progress line until the run finishes."""
    tty = sys.stderr.isatty()
    while True:
        summary = runs.get(run_id)
        if summary is None:
            raise click.ClickException(f"Unknown run {run_id!r}.")
        if tty:
            click.echo(f"\r{_progress(summary)}", nl=False, err=True)
        if summary.finished_at is not None:
            if tty:
                click.echo("", err=True)
            return summary
        time.sleep(poll_s)


def _progress(summary: RunSummary, width: int = 30) -> str:
    total = summary.counts["extracted"]
    done = summary.processed
    filled = int(width * done / total) if total else (width if summary.extract_done else 0)
    counts = " ".join(f"{name} {value}" for name, value in summary.counts.items())
    more = "" if summary.extract_done else "+"
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{more}  {counts}"


def _print_summary(summary: RunSummary, failures) -> None:
    took = (summary.finished_at or time.time()) - summary.started_at
    state = f"finished in {took:.2f}s" if summary.finished_at else f"running for {took:.2f}s"
    click.echo(f"Run {summary.run_id} of {summary.integration} ({summary.mode}) {state}, status {summary.status}: "
               + ", ".join(f"{name} {value}" for name, value in summary.counts.items()) + ".")
    if summary.error:
        click.echo(f"  Run error: {summary.error}")
    for failure in failures:
        click.echo(f"  failed [{failure.stage}] {failure.key}: {failure.error}")


@main.command()
@click.argument("run_id")
@click.option("--follow", is_flag=True, help="Watch the run until it finishes.")
def status(run_id: str, follow: bool) -> None:
    """Show a run's progress and its failed records."""
    runs = _actors().runs
    summary = _follow(runs, run_id) if follow else runs.get(run_id)
    if summary is None:
        raise click.ClickException(f"Unknown run {run_id!r}.")
    _print_summary(summary, runs.failures(run_id))


@main.command()
@click.option("--limit", default=20, show_default=True)
def runs(limit: int) -> None:
    """List recent runs."""
    for summary in _actors().runs.recent(limit):
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(summary.started_at))
        click.echo(f"{summary.run_id}  {started}  {summary.integration:36} {summary.mode:8} {summary.status:9} "
                   + " ".join(f"{k}={v}" for k, v in summary.counts.items()))


@main.command()
@click.argument("integration")
@click.option("--set", "value", help="Move the cursor to this value.")
@click.option("--reset", is_flag=True, help="Forget the cursor: the next pull reads everything.")
def cursor(integration: str, value: str | None, reset: bool) -> None:
    """Show, set or reset an integration's incremental cursor."""
    actors = _actors()
    name = actors.get_integration(actors.integrations, integration).name
    if reset or value is not None:
        actors.runs.set_cursor(name, None if reset else value)
    click.echo(f"{name}: {actors.runs.get_cursor(name) or '(none: the next pull reads everything)'}")


def run_main() -> None:
    try:
        main(standalone_mode=True)
    except PipelineError as error:
        raise SystemExit(str(error)) from None


if __name__ == "__main__":
    run_main()
