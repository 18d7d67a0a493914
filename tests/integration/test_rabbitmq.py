"""The same chain on Dramatiq's RabbitMQ broker, selected by URL; run records stay in Redis.

Each test gets a virtual host of its own on the machine's RabbitMQ, deleted afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from tests.conftest import CI, ROOT
from tests.integration.conftest import start_run, wait_for_run

DEMO_CSV = ROOT / "scripts" / "demo" / "inbox" / "customer" / "customers.csv"


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def vhost():
    if shutil.which("rabbitmqctl") is None:
        if CI:
            raise RuntimeError("rabbitmqctl is not installed: .ci/run installs and starts RabbitMQ.")
        pytest.skip("No RabbitMQ on this machine.")
    name = f"pipeline-test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    yield name
    rabbitmqctl("delete_vhost", name)


def test_a_run_goes_through_rabbitmq_workers(pipeline_env, workers, runs, tmp_path, vhost):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")
    pipeline_env["PIPELINE_BROKER_URL"] = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    workers.start()

    summary = wait_for_run(runs, start_run(pipeline_env, "demo_files_customer"))

    assert summary.counts == {"extracted": 6, "loaded": 4, "skipped": 0, "failed": 2}
    assert summary.states == {"done": 3}
    assert len(list((tmp_path / "outbox" / "customer").glob("*.jsonl"))) == 1
