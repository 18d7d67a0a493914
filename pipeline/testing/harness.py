"""Running an integration from a test, the way an operator would, and asserting on each record.

Three ways, each through the real actors:

* ``InProcess(env).run(integration)``: in the test's own process, an ``App`` on Dramatiq's in-memory
  broker with a worker thread pool and its books in an in-process Redis (fakeredis), kept across
  runs (cursors, the entity ledger); nothing to start;
* ``run_embedded(env, integration)``: ``connector run --embedded`` in a child process, as an
  operator runs it (the run's records vanish with the process, so its report is read);
* ``connector_workers(env)`` (the pytest plugin) plus ``run_with_workers(env, integration)``:
  ``dramatiq pipeline.actors`` worker processes on Redis, the run started with ``connector run
  --no-wait`` and followed in Redis.

Each returns a ``RunResult``: counts, each failed record's stage and error, and, on request, the
entity ledger's entry of named records.

>>> result = RunResult("r1", "failed", {"extracted": 2, "loaded": 1, "skipped": 0, "failed": 1},
...                    {"bad@example.com": ("map", "email: Not a valid email address.")})
>>> result.assert_counts(extracted=2, loaded=1, failed=1)
>>> result.assert_failed("bad@example.com", "Not a valid email")
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: ``Run <id> of <integration> (<mode>) finished in 0.02s, status <status>: extracted 6, loaded 4, ...``
_SUMMARY = re.compile(r"^Run (?P<run_id>\S+) of \S+ \(\w+\) finished in [\d.]+s, status (?P<status>\w+): "
                      r"(?P<counts>.*)\.$", re.MULTILINE)
_FAILED = re.compile(r"^  failed \[(?P<stage>\w+)\] (?P<key>.*?): (?P<error>.*)$", re.MULTILINE)


@dataclass(frozen=True)
class RunResult:
    """A finished run: its counts, and each failed record's stage and error, by key."""

    run_id: str
    status: str
    counts: dict[str, int]
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: key -> the entity ledger's entry (with workers on Redis): last outcome, run, payload hash.
    ledger: dict[str, dict] = field(default_factory=dict)

    def assert_counts(self, **expected: int) -> None:
        """Compare the named counts (``extracted``, ``loaded``, ``skipped``, ``failed``); others ignored."""
        actual = {name: self.counts.get(name, 0) for name in expected}
        assert actual == expected, f"Run {self.run_id}: counts {self.counts}, expected {expected}. {self._why()}"

    def assert_failed(self, key: str, error_part: str = "", stage: str | None = None) -> None:
        """Record ``key`` failed (at ``stage``) with an error containing ``error_part``."""
        assert key in self.failures, f"Run {self.run_id}: record {key!r} did not fail. {self._why()}"
        found_stage, error = self.failures[key]
        assert error_part in error, f"Run {self.run_id}: record {key!r} failed with {error!r}."
        assert stage in (None, found_stage), f"Run {self.run_id}: record {key!r} failed at {found_stage}."

    def assert_no_failures(self) -> None:
        assert not self.failures, f"Run {self.run_id}: {self._why()}"

    def _why(self) -> str:
        return "Failures: " + "; ".join(f"{k} [{s}] {e}" for k, (s, e) in self.failures.items()) if self.failures \
            else "No failures."


def cli(env: Mapping[str, str], *args: str, cwd: Path | None = None, timeout_s: float = 300,
        check: bool = True) -> subprocess.CompletedProcess:
    """``connector ARGS`` in a child process with ``env``."""
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], env=dict(env), cwd=cwd,
                            capture_output=True, text=True, timeout=timeout_s)
    if check and result.returncode != 0:
        raise AssertionError(f"connector {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def run_embedded(env: Mapping[str, str], integration: str, *args: str, cwd: Path | None = None) -> RunResult:
    """Run ``integration`` in a child process on the in-memory broker; its report as a RunResult."""
    env = {**env, "PIPELINE_BROKER_URL": "stub://"}
    output = cli(env, "run", integration, "--embedded", *args, cwd=cwd, check=False)
    return parse_report(output.stdout + output.stderr)


def parse_report(text: str) -> RunResult:
    """The RunResult of ``connector run``'s report (its summary line and ``failed [...]`` lines)."""
    summary = _SUMMARY.search(text)
    if summary is None:
        raise AssertionError(f"No run summary in the output of connector run:\n{text}")
    counts = {name: int(value) for value, name in
              (part.split(" ")[::-1] for part in summary["counts"].split(", "))}
    failures = {m["key"]: (m["stage"], m["error"]) for m in _FAILED.finditer(text)}
    return RunResult(summary["run_id"], summary["status"], counts, failures)


class InProcess:
    """The application of ``env`` in this process, on the in-memory broker, running integrations on demand.

    Args:
        env: the environment (connection variables, ``PIPELINE_MAPPINGS_DIR``, ...).
        threads: worker threads while a run is processed.
    """

    def __init__(self, env: Mapping[str, str], threads: int = 2) -> None:
        from pipeline.app import App
        from pipeline.settings import Settings

        self.app = App(Settings.from_env({**env, "PIPELINE_BROKER_URL": "stub://"}))
        self.app.declare_actors()
        self.threads = threads

    def run(self, integration: str, mode: str = "changed", refs: tuple[str, ...] = (), *, force: bool = False,
            keys: tuple[str, ...] = (), timeout_s: float = 120) -> RunResult:
        """Run ``integration`` to its end and return what happened to it, and to ``keys`` in the ledger."""
        from dramatiq import Worker

        worker = Worker(self.app.broker, worker_threads=self.threads, worker_timeout=50)
        worker.start()
        try:
            run_id = self.app.start_run(integration, mode, refs or None, None, force)
            summary = _finished(self.app.runs, run_id, timeout_s)
        finally:
            worker.stop()
        failures = {f.key: (f.stage, f.error) for f in self.app.runs.failures(run_id)}
        entries = {key: self.app.books.ledger.entry(integration, key) for key in keys}
        return RunResult(run_id, summary.status, dict(summary.counts), failures, entries)


def _finished(runs, run_id: str, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    summary = runs.get(run_id)
    while summary is None or summary.finished_at is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"Run {run_id} did not finish in {timeout_s}s: {summary}")
        time.sleep(0.02)
        summary = runs.get(run_id)
    return summary


class Workers:
    """``dramatiq pipeline.actors`` worker processes with ``env``, stopped (SIGTERM) by ``stop()``."""

    def __init__(self, env: Mapping[str, str], log_dir: Path, cwd: Path | None = None) -> None:
        # The caller's mapping itself, not a copy: a fixture may add variables before workers start.
        self.env, self.log_dir, self.cwd = env, log_dir, cwd
        self.processes: list[subprocess.Popen] = []

    def start(self, processes: int = 1, threads: int = 2, queues: tuple[str, ...] = ()) -> subprocess.Popen:
        """Start ``dramatiq pipeline.actors``; with ``queues``, consuming only those (``--queues``)."""
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115 (kept open)
        process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "pipeline.actors", "--processes", str(processes),
             "--threads", str(threads), *(("--queues", *queues) if queues else ())],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.cwd, start_new_session=True)
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


def run_with_workers(env: Mapping[str, str], integration: str, *args: str, cwd: Path | None = None,
                     timeout_s: float = 120, keys: tuple[str, ...] = ()) -> RunResult:
    """Start a run for running workers (``connector run --no-wait``), wait for it in Redis, and read it.

    ``keys``: records whose entity ledger entries to read too (``RunResult.ledger``).
    """
    import redis

    from pipeline.books.ledger import Ledger
    from pipeline.books.runs import RunStore

    output = cli(env, "run", integration, "--no-wait", *args, cwd=cwd).stdout
    run_id = output.split()[1]
    client = redis.Redis.from_url(env.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    namespace = env.get("PIPELINE_NAMESPACE") or "pipeline"
    try:
        runs = RunStore(client, namespace=namespace, ttl_s=3600)
        summary = _finished(runs, run_id, timeout_s)
        failures = {f.key: (f.stage, f.error) for f in runs.failures(run_id)}
        ledger = Ledger(client, namespace=namespace)
        entries = {key: ledger.entry(integration, key) for key in keys}
        return RunResult(run_id, summary.status, dict(summary.counts), failures, entries)
    finally:
        client.close()
