"""The integrations view: what each integration is, when it runs, how its last day went."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, render_template

from pipeline.schedule.ticks import next_ticks

blueprint = Blueprint("integrations", __name__)

#: The chart's span and bucket: 24 hourly bars.
HOURS = 24


def hourly(runs, now: float) -> dict[str, dict[str, list[int]]]:
    """integration -> {"loaded": [24 counts], "failed": [...]}: each run's records in the hour it started."""
    start = now - HOURS * 3600
    found: dict[str, dict[str, list[int]]] = {}
    for summary in runs.get_many(runs.started_since(start, limit=100_000)):
        bucket = min(int((summary.started_at - start) // 3600), HOURS - 1)
        series = found.setdefault(summary.integration, {"loaded": [0] * HOURS, "failed": [0] * HOURS})
        series["loaded"][bucket] += summary.counts["loaded"]
        series["failed"][bucket] += summary.counts["failed"]
    return found


def latest_runs(runs, names: list[str], page: int = 500) -> dict:
    """integration -> its newest run, reading the runs index newest first, each run once, a page per
    round trip (a deployment keeps thousands of runs; most integrations' newest is near the top)."""
    found, wanted, start = {}, set(names), 0
    while wanted:
        ids = runs.ids(start, page)
        if not ids:
            break
        for summary in runs.get_many(ids):
            if summary.integration in wanted:
                found[summary.integration] = summary
                wanted.discard(summary.integration)
        start += page
    return found


def overview() -> list[dict]:
    console = current_app.config["console"]
    runs, now = console.books.runs, time.time()
    day = hourly(runs, now)
    latest = latest_runs(runs, console.integration_names())
    rows = []
    for name in console.integration_names():
        spec = console.integrations[name].spec
        last = latest.get(name)
        tick = console.last_tick(name) if spec.schedule else None
        series = day.get(name, {"loaded": [0] * HOURS, "failed": [0] * HOURS})
        rows.append({
            "name": name, "description": spec.description, "connector": spec.connector,
            "source": f"{spec.source.system}:{spec.source.connection}",
            "target": f"{spec.target.system}:{spec.target.connection}",
            "schedule": spec.schedule,
            # Switched off by `connector pause` (until `resume`), or by `enabled: false` in the file.
            "paused": bool(spec.schedule) and (not spec.enabled or console.app.ticks.paused(name)),
            "next_tick": (next_ticks(spec.schedule, datetime.now(timezone.utc), 1)[0].isoformat()
                          if spec.schedule else None),
            "last_tick": {"at": tick.tick_at, "action": tick.action, "run_id": tick.run_id,
                          "reason": tick.reason} if tick else None,
            "last_run": {"run_id": last.run_id, "status": last.status, "started_at": last.started_at,
                         "finished_at": last.finished_at} if last else None,
            "cursor": runs.get_cursor(name),
            "loaded_24h": sum(series["loaded"]), "failed_24h": sum(series["failed"]),
            "hourly": series,
        })
    return rows


@blueprint.get("/")
def integrations_page():
    return render_template("integrations.html", rows=overview())


@blueprint.get("/api/integrations")
def integrations_api():
    return jsonify({"integrations": overview(), "hours": HOURS})
