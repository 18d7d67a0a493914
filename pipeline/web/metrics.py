"""``/metrics``: the deployment's state in Prometheus' text format, read from Redis at each scrape.

Gauges, not counters: the console is not where records are processed, so it reports what the
books hold (runs kept by status, records of the runs started in the last 24 hours, dead letters,
queue depths, live workers, request slots in use); the one counter, vendor requests by outcome, is
counted by the workers' request slots in Redis (``pipeline.systems.concurrency``). Workers can
add Dramatiq's own per-process metrics (``dramatiq.middleware.prometheus``) on their own port.
"""

from __future__ import annotations

import time
from collections import Counter

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

blueprint = Blueprint("metrics", __name__)

#: Window of the per-integration record gauges.
WINDOW_S = 24 * 3600


class BooksCollector:
    """A custom collector: each scrape reads the books once."""

    def __init__(self, console) -> None:
        self.console = console

    def collect(self):
        console, now = self.console, time.time()
        runs = console.books.runs
        recent = runs.get_many(runs.started_since(now - WINDOW_S, limit=100_000))
        by_status = GaugeMetricFamily("pipeline_runs", "Runs started in the last 24 h, by integration and status.",
                                      labels=["integration", "status"])
        for (name, status), count in sorted(Counter((s.integration, s.status) for s in recent).items()):
            by_status.add_metric([name, status], count)
        yield by_status
        records = GaugeMetricFamily("pipeline_records", "Records of the runs started in the last 24 h, by outcome.",
                                    labels=["integration", "outcome"])
        totals: Counter = Counter()
        for summary in recent:
            for outcome in ("extracted", "loaded", "skipped", "failed"):
                totals[(summary.integration, outcome)] += summary.counts[outcome]
        for (name, outcome), count in sorted(totals.items()):
            records.add_metric([name, outcome], count)
        yield records
        letters = GaugeMetricFamily("pipeline_dead_letters", "Dead letters kept, by integration and error type.",
                                    labels=["integration", "error_type"])
        for (name, error_type), count in sorted(Counter(
                (d.integration, d.failure.error_type) for d in console.books.dead_letters.list(limit=100_000)).items()):
            letters.add_metric([name, error_type], count)
        yield letters
        depth = GaugeMetricFamily("pipeline_queue_messages", "Messages in Dramatiq's queues, by state.",
                                  labels=["queue", "state"])
        for queue in console.queues():
            for state in ("ready", "delayed", "dead"):
                depth.add_metric([queue.name, state], getattr(queue, state))
        yield depth
        workers = console.workers()
        yield GaugeMetricFamily("pipeline_workers_consuming", "Brokers that sent a heartbeat in the last 10 s.",
                                value=sum(1 for w in workers if w.consuming))
        in_use = GaugeMetricFamily("pipeline_budget_slots_in_use",
                                   "Vendor request slots held now, per concurrency budget (account).",
                                   labels=["budget"])
        for name, value in console.budgets().items():
            in_use.add_metric([name], value)
        yield in_use
        requests = CounterMetricFamily("pipeline_vendor_requests", "Vendor requests per concurrency budget "
                                       "(account), by outcome: 2xx, 3xx, 4xx, 429, 5xx, unanswered.",
                                       labels=["budget", "outcome"])
        for name, outcomes in console.vendor_requests().items():
            for outcome, count in sorted(outcomes.items()):
                requests.add_metric([name, outcome], count)
        yield requests


def registry_for(console) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BooksCollector(console))
    return registry


@blueprint.get("/metrics")
def metrics():
    body = generate_latest(current_app.config["metrics_registry"])
    return Response(body, content_type=CONTENT_TYPE_LATEST)
