"""Schedules: what each scheduled integration did at its last tick, ticks by hand, pause and resume."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from pipeline.cli.context import build_app, echo_json


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the schedules as a JSON list.")
def schedule(as_json: bool) -> None:
    """Each scheduled integration: its cron spec, its last tick and what it did, its next tick."""
    from pipeline.schedule.ticks import next_ticks

    app = build_app()
    rows = []
    for name, found in sorted(app.integrations.items()):
        spec = found.spec.schedule
        if not spec:
            continue
        upcoming = next_ticks(spec, datetime.now(timezone.utc), 1)[0]
        last = app.ticks.decisions(name, 1)
        state = "disabled" if not found.spec.enabled else "paused" if app.ticks.paused(name) else "on"
        rows.append({"integration": name, "schedule": spec, "state": state, "next_tick": upcoming.isoformat(),
                     "last_tick": {**vars(last[0]), "tick_at": _iso(last[0].tick_at)} if last else None})
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        last = row["last_tick"]
        done = f"{last['tick_at']} {last['action']} {last['run_id'] or last['reason']}" if last else "never"
        upcoming = row["next_tick"] if row["state"] == "on" else f"({row['state']})"
        click.echo(f"{row['integration']:40} {row['schedule']:16} last: {done:60} next: {upcoming}")


def _iso(moment: str) -> str:
    """periodiq stamps ticks as ``2026-12-05 08:50:00+00:00``; shown with ISO 8601's ``T`` like every time."""
    try:
        return datetime.fromisoformat(moment).isoformat()
    except ValueError:
        return moment


@click.command("tick")
@click.argument("integration")
@click.option("--force", is_flag=True, help="Start a pull even while a run of it is in progress.")
@click.option("--at", "tick_at", help="The tick's scheduled time (ISO 8601), as periodiq stamps it; default now.")
def tick_now(integration: str, force: bool, tick_at: str | None) -> None:
    """Tick INTEGRATION now, as the scheduler would (skipped if a run is in progress, unless forced)."""
    app = build_app()
    # A tick by hand is its own tick (to the second), not a copy of the scheduler's tick of this minute.
    tick_at = tick_at or datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    decision = app.tick(app.integration(integration).name, tick_at, force)
    click.echo(f"{decision.integration}: {decision.action} {decision.run_id or decision.reason}")


@click.command()
@click.argument("integration")
def pause(integration: str) -> None:
    """Switch INTEGRATION's schedule off: its ticks are recorded as paused (runs by hand still work)."""
    app = build_app()
    name = app.integration(integration).name
    app.ticks.pause(name)
    click.echo(f"{name}: paused. `connector resume {name}` switches its schedule on again.")


@click.command()
@click.argument("integration")
def resume(integration: str) -> None:
    """Switch INTEGRATION's schedule on again after `connector pause`."""
    app = build_app()
    found = app.integration(integration)
    app.ticks.resume(found.name)
    note = "" if found.spec.enabled else f" (but {found.spec.path} says enabled: false, so it has no schedule)"
    click.echo(f"{found.name}: resumed{note}.")


COMMANDS = (schedule, tick_now, pause, resume)
