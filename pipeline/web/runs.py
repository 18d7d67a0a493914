"""The runs view and one run's view: honest progress, duration, rate, ETA; failed records to retry.

Progress is shown as it is: while the extraction still runs, the number of records to come is
unknown, so the bar is not a share of anything (it says "extracting, N so far"); once extracted,
the bar is loaded + skipped + failed of extracted, each in its own colour, so a failed run never
shows a full green bar.
"""

from __future__ import annotations

import time
from dataclasses import asdict

from flask import Blueprint, abort, current_app, jsonify, render_template

from pipeline.books.runs import RunSummary
from pipeline.web.formats import payload_text
from pipeline.web.params import choice, number, run_id_param

blueprint = Blueprint("runs", __name__)

#: The statuses a run can have (``RunSummary.status``), for the filter.
STATUSES = ("failed", "running", "waiting", "scheduled", "partial", "complete")
#: Run modes a filter accepts (``retry`` is what a dead-letter retry starts).
MODES = ("changed", "full", "refs", "retry")
#: The time filter's choices, in hours.
SINCE_HOURS = (1, 6, 24, 168)
#: Runs read at most for one page (newest first).
LIMIT = 500
#: Failed records of one run shown with what became of them (each costs two reads); the count is whole.
FAILURES_SHOWN = 200


def run_view(summary: RunSummary, now: float) -> dict:
    """One run as the views and the JSON API show it."""
    counts, processed = summary.counts, summary.processed
    extracted = counts["extracted"]
    end = summary.finished_at or now
    duration = max(end - summary.started_at, 0.0)
    rate = processed / duration if duration > 0 and processed else None
    if summary.finished_at is not None:
        phase = "finished"
    elif not summary.extract_done:
        phase = "extracting"
    else:
        phase = "processing"
    shares = None
    if summary.extract_done and extracted:
        shares = {name: counts[name] / extracted for name in ("loaded", "skipped", "failed")}
    eta = None
    if phase == "processing" and rate:
        eta = max(extracted - processed, 0) / rate
    return {**summary.as_dict(), "phase": phase, "shares": shares, "duration_s": round(duration, 3),
            "rate_per_s": round(rate, 2) if rate else None, "eta_s": round(eta, 1) if eta is not None else None,
            "empty": summary.finished_at is not None and extracted == 0 and not summary.error}


def fold_empty(rows: list[dict]) -> list[dict]:
    """Consecutive empty finished runs of one integration become one row: a schedule that finds
    nothing new every 15 minutes must not drown the runs that did something."""
    folded: list[dict] = []
    for row in rows:
        last = folded[-1] if folded else None
        if row["empty"] and last and last.get("folded") and last["integration"] == row["integration"]:
            last["count"] += 1
            last["first_started_at"] = row["started_at"]
            last["run_ids"].append(row["run_id"])
        elif row["empty"] and last and last.get("empty") and last["integration"] == row["integration"]:
            folded[-1] = {"folded": True, "integration": row["integration"], "count": 2,
                          "last_started_at": last["started_at"], "first_started_at": row["started_at"],
                          "run_ids": [last["run_id"], row["run_id"]]}
        else:
            folded.append(row)
    return folded


def filters() -> dict:
    """The runs filters from the query string, each checked against what it may be."""
    console = current_app.config["console"]
    return {"integration": choice("integration", console.integration_names()),
            "status": choice("status", STATUSES), "mode": choice("mode", MODES),
            "since_h": number("since_h", SINCE_HOURS)}


def select(chosen: dict, now: float) -> list[dict]:
    runs = current_app.config["console"].books.runs
    since = now - chosen["since_h"] * 3600 if chosen["since_h"] else 0
    rows = [run_view(summary, now) for summary in runs.get_many(runs.started_since(since, LIMIT))]
    return [row for row in rows
            if all(not chosen[name] or row[name] == chosen[name] for name in ("integration", "status", "mode"))]


@blueprint.get("/runs")
def runs_page():
    chosen, now = filters(), time.time()
    rows = select(chosen, now)
    return render_template("runs.html", rows=fold_empty(rows), chosen=chosen, total=len(rows),
                           names=current_app.config["console"].integration_names(), statuses=STATUSES,
                           modes=MODES, since_hours=SINCE_HOURS)


@blueprint.get("/api/runs")
def runs_api():
    chosen, now = filters(), time.time()
    return jsonify({"filters": chosen, "runs": select(chosen, now)})


def failed_records(run_id: str, integration: str) -> tuple[list[dict], int]:
    """The run's failed records, each with what became of it since: retried and done, still a dead
    letter, or discarded."""
    books, secrets = current_app.config["console"].books, current_app.config["console"].books.secrets
    found, failures = [], books.runs.failures(run_id)
    for failure in failures[:FAILURES_SHOWN]:
        last = books.ledger.entry(integration, failure.key).get("last", {})
        letter = books.dead_letters.get(integration, failure.key)
        if letter is not None:
            now = "dead letter"
        else:
            now = last.get("status") or "discarded"
            if now == "failed":
                now = "discarded"  # failed, and no dead letter left: an operator discarded it
        found.append({**asdict(failure), "record": None, "payload": payload_text(failure.record, secrets),
                      "now": now, "dead_letter": letter is not None, "last_run_id": last.get("run_id")})
    return found, len(failures)


def one_run(run_id: str) -> tuple[dict, list[dict], int]:
    """The run and (the first ``FAILURES_SHOWN`` of) its failed records; the run's counts say how many."""
    books = current_app.config["console"].books
    summary = books.runs.get(run_id) if books.runs.known(run_id) else None
    if summary is None:
        abort(404, f"No run {run_id!r}: unknown, or expired.")
    return run_view(summary, time.time()), *failed_records(run_id, summary.integration)


@blueprint.get("/runs/<run_id>")
def run_page(run_id: str):
    run, failures, total = one_run(run_id_param(run_id))
    return render_template("run.html", run=run, failures=failures, total_failures=total)


@blueprint.get("/api/runs/<run_id>")
def run_api(run_id: str):
    run, failures, total = one_run(run_id_param(run_id))
    return jsonify({**run, "failures": failures, "failures_total": total})
