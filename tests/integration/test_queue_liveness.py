"""The "no live worker" warning is per queue: workers record the queues they consume (``flow.consumers``)."""

from __future__ import annotations

import shutil
import time

import requests

from pipeline.flow.consumers import live_consumers
from tests.integration.conftest import run_cli, start_run, wait_for_run
from tests.integration.web_support import DEMO_CSV, Console


def _wait_for_consumer(redis_client, namespace: str, queues: set[str], timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = live_consumers(redis_client, namespace, 60_000)
        if queues in found.values():
            return found
        time.sleep(0.05)
    raise AssertionError(f"No worker consuming {queues} recorded itself in {timeout_s}s: {found}")


def test_a_run_on_a_queue_only_other_workers_consume_is_warned_about(pipeline_env, workers, runs,
                                                                       redis_client, namespace, tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")
    workers.start(queues=("urgent",))
    _wait_for_consumer(redis_client, namespace, {"urgent"})

    run_id = start_run(pipeline_env, "demo_files_customer")  # the normal queue
    status = run_cli(pipeline_env, "status", run_id)
    console = Console(pipeline_env, log=tmp_path / "web.log")
    try:
        queues = requests.get(console.url + "/api/queues", timeout=30).json()
        page = requests.get(console.url + "/runs", timeout=30).text
    finally:
        console.stop()

    assert status.stderr == (f"Warning: no live worker consumes queue 'normal' of run {run_id} (live workers "
                             "consume only urgent): its messages wait until one does. Start one: dramatiq "
                             "pipeline.actors --queues normal\n")
    assert list(queues["consumers"].values()) == [["urgent"]]
    assert queues["stranded"] == ["normal"]
    assert queues["banner"] == ("normal: 1 message(s) waiting and no live worker consumes it. Start one: "
                                "dramatiq pipeline.actors --queues normal")
    assert "Work is waiting on queues no live worker consumes:\n  normal (1)." in page
    assert runs.get(run_id).status == "waiting"

    # A worker that takes the normal queue too: the run goes on, and nothing is warned about.
    workers.start()
    summary = wait_for_run(runs, run_id)
    after = run_cli(pipeline_env, "status", run_id, check=False)
    assert summary.counts["extracted"] == 6 and after.stderr == ""
