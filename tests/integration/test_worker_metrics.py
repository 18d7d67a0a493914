"""Dramatiq's own worker metrics, when PIPELINE_WORKER_METRICS=on: each worker machine serves them."""

from __future__ import annotations

import shutil
import socket
import time

import requests

from tests.integration.conftest import start_run, wait_for_run
from tests.integration.web_support import DEMO_CSV


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(url: str, expected: str, timeout_s: float = 60) -> str:
    """The exposition server is a fork of its own: wait until it answers with ``expected``."""
    deadline, text = time.monotonic() + timeout_s, ""
    while time.monotonic() < deadline:
        try:
            text = requests.get(url, timeout=10).text
        except requests.ConnectionError:
            text = ""
        if expected in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"{url} did not show {expected!r} in {timeout_s}s:\n{text}")


def test_workers_serve_dramatiqs_message_metrics_when_asked(pipeline_env, workers, runs, tmp_path):
    port = free_port()
    pipeline_env.update({"PIPELINE_WORKER_METRICS": "on", "dramatiq_prom_host": "127.0.0.1",
                         "dramatiq_prom_port": str(port), "dramatiq_prom_db": str(tmp_path / "prometheus")})
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")
    workers.start()

    wait_for_run(runs, start_run(pipeline_env, "demo_files_customer"))
    text = scrape(f"http://127.0.0.1:{port}/", 'actor_name="load"')

    for actor in ("extract", "map", "load"):
        assert f'dramatiq_messages_total{{actor_name="{actor}",queue_name="normal"}} 1.0' in text
    assert "dramatiq_message_duration_milliseconds_bucket" in text
