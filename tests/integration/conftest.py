"""Real parts: the machine's Redis, `dramatiq pipeline.actors` worker processes, the `connector` CLI.

The test process never imports ``pipeline.actors`` itself: it talks to workers only through Redis,
as an operator's command line does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from pipeline.books.runs import RunStore, RunSummary
from pipeline.testing.harness import Workers
from pipeline.testing.rest import RestEmulator
from tests.conftest import FIXTURES, MAPPINGS, REDIS_URL, ROOT


@pytest.fixture
def pipeline_env(namespace, tmp_path) -> dict[str, str]:
    """Environment of workers and CLI for one test: its own key prefix, mappings and folders."""
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for path in MAPPINGS.glob("*.yaml"):
        shutil.copy(path, mappings)
    # REST systems described in YAML, found beside the mappings folder as in a project.
    shutil.copytree(ROOT / "systems", tmp_path / "systems")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIPELINE_")}
    env.update({
        "REDIS_URL": REDIS_URL,
        "PIPELINE_NAMESPACE": namespace,
        "PIPELINE_MAPPINGS_DIR": str(mappings),
        "PIPELINE_RETRY_MIN_BACKOFF_MS": "50",
        "PIPELINE_DEMO_INBOX_DIR": str(tmp_path / "inbox"),
        "PIPELINE_DEMO_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PIPELINE_SHOP_EXPORT_DIR": str(tmp_path / "shop_export"),
        "PIPELINE_ERP_IMPORT_DIR": str(tmp_path / "erp_import"),
        "PIPELINE_EMBEDDED_STATE": str(tmp_path / "embedded-state.json"),
        "PYTHONPATH": str(ROOT),
    })
    return env


#: The CRM emulator's token: secret-shaped, so the tests that scan logs and Redis for it mean something.
CRM_TOKEN = "s3cret-crm-token-42"


@pytest.fixture
def crm():
    """The REST CRM emulator the ``status_customer`` integration pushes to."""
    with RestEmulator(token=CRM_TOKEN) as emulator:
        yield emulator


def status_customer_env(pipeline_env: dict[str, str], crm, tmp_path, **settings: str) -> dict[str, str]:
    """``pipeline_env`` for ``status_customer`` (a drop folder pushed to the REST CRM emulator ``crm``)."""
    shutil.copy(FIXTURES / "integration_mappings" / "status_customer.yaml", pipeline_env["PIPELINE_MAPPINGS_DIR"])
    pipeline_env.update({"PIPELINE_STATUS_INBOX_DIR": str(tmp_path / "status_inbox"), "PIPELINE_CRM_URL": crm.url,
                         "PIPELINE_CRM_TOKEN": crm.token, **settings})
    return pipeline_env


@pytest.fixture
def workers(pipeline_env, tmp_path):
    """`dramatiq pipeline.actors` worker processes (the pytest plugin's own), stopped when the test ends."""
    found = Workers(pipeline_env, tmp_path, cwd=ROOT)
    yield found
    found.stop()


def run_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"connector {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def start_run(env: dict[str, str], integration: str, *args: str) -> str:
    """Enqueue a run through the CLI, as an operator would; returns its run id."""
    output = run_cli(env, "run", integration, "--no-wait", *args).stdout
    return output.split()[1]


def wait_for_run(runs: RunStore, run_id: str, timeout_s: float = 60) -> RunSummary:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        summary = runs.get(run_id)
        if summary is not None and summary.finished_at is not None:
            return summary
        time.sleep(0.05)
    raise AssertionError(f"Run {run_id} did not finish in {timeout_s}s: {runs.get(run_id)}")


#: Message states after which nothing more happens to a message.
FINAL_STATES = frozenset({"done", "skipped", "failed"})


def message_states(redis_client, namespace: str) -> dict[str, int]:
    """How many messages of the test's namespace are in each state (read from their status records)."""
    states: dict[str, int] = {}
    for key in redis_client.scan_iter(match=f"{namespace}:msg:*", count=1000):
        state = redis_client.hget(key, "state")
        if state is not None:
            states[state.decode()] = states.get(state.decode(), 0) + 1
    return states


def wait_until(what: str, probe, done, timeout_s: float = 120, poll_s: float = 0.05):
    """Poll ``probe()`` until ``done(value)``; returns the value. On timeout, fail naming ``what`` was
    awaited and the last value seen, so a slow machine's failure says what never happened."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout_s:.0f} s for {what}; last seen: {value!r}")
        time.sleep(poll_s)


@pytest.fixture
def runs(redis_client, namespace) -> RunStore:
    return RunStore(redis_client, namespace=namespace, ttl_s=3600)
