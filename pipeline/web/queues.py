"""Queues and workers: depth per queue, workers from Dramatiq's heartbeats, a banner when work waits alone."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, render_template

blueprint = Blueprint("queues", __name__)


def state() -> dict:
    console = current_app.config["console"]
    queues, workers = console.queues(), console.workers()
    stranded = console.stranded_queues(queues)
    return {"broker": console.broker_kind,
            "queues": [{**asdict(queue), "waiting": queue.waiting} for queue in queues],
            "workers": [asdict(worker) for worker in workers],
            "consumers": console.consumers(),
            "stranded": [queue.name for queue in stranded],
            "banner": (f"{', '.join(q.name for q in stranded)}: {sum(q.waiting for q in stranded)} message(s) "
                       f"waiting and no live worker consumes {'it' if len(stranded) == 1 else 'them'}. "
                       f"Start one: dramatiq pipeline.actors --queues {' '.join(q.name for q in stranded)}")
            if stranded else None}


@blueprint.get("/queues")
def queues_page():
    return render_template("queues.html", **state())


@blueprint.get("/api/queues")
def queues_api():
    return jsonify(state())
