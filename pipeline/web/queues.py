"""Queues and workers: depth per queue, workers from Dramatiq's heartbeats, a banner when work waits alone."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, render_template

blueprint = Blueprint("queues", __name__)


def state() -> dict:
    console = current_app.config["console"]
    queues, workers = console.queues(), console.workers()
    stranded = console.stranded_queues(queues, workers)
    return {"broker": console.broker_kind,
            "queues": [{**asdict(queue), "waiting": queue.waiting} for queue in queues],
            "workers": [asdict(worker) for worker in workers],
            "stranded": [queue.name for queue in stranded],
            "banner": (f"{', '.join(q.name for q in stranded)}: {sum(q.waiting for q in stranded)} message(s) "
                       f"waiting and no worker consuming. Start one: dramatiq pipeline.actors")
            if stranded else None}


@blueprint.get("/queues")
def queues_page():
    return render_template("queues.html", **state())


@blueprint.get("/api/queues")
def queues_api():
    return jsonify(state())
