"""Real parts: the machine's Redis, `dramatiq pipeline.actors` worker processes, the `connector` CLI.

The test process never imports ``pipeline.actors`` itself: it talks to workers only through Redis,
as an operator's command line does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.books.runs import RunStore, RunSummary
from tests.conftest import MAPPINGS, REDIS_URL, ROOT


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


class Workers:
    """`dramatiq pipeline.actors` worker processes, stopped (SIGTERM) when the test ends."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir, self.processes = env, log_dir, []

    def start(self, processes: int = 1, threads: int = 2) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "pipeline.actors", "--processes", str(processes),
             "--threads", str(threads)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture
def workers(pipeline_env, tmp_path):
    found = Workers(pipeline_env, tmp_path)
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


@pytest.fixture
def runs(redis_client, namespace) -> RunStore:
    return RunStore(redis_client, namespace=namespace, ttl_s=3600)
