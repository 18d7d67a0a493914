"""`connector emulate`: the vendor emulators as servers, and real workers pointed at them by its env file."""

from __future__ import annotations

import json
import shlex
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.conftest import run_cli


class Emulate:
    """A `connector emulate` process, stopped with SIGTERM (as Ctrl-C would) when the test ends."""

    def __init__(self, env: dict[str, str], env_file: Path, *args: str) -> None:
        self.env_file = env_file
        self.process = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "emulate", "--env-file", str(env_file),
                                         *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.lines: list[str] = []
        ready = threading.Event()

        def read() -> None:
            for line in self.process.stdout:
                self.lines.append(line)
                if line.startswith("Serving until Ctrl-C."):
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60) or self.process.poll() is not None:
            raise AssertionError(f"connector emulate did not start: {''.join(self.lines)}{self.process.stderr.read()}")

    def variables(self) -> dict[str, str]:
        found = {}
        for line in self.env_file.read_text().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                found[name] = shlex.split(value)[0]
        return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def emulate(pipeline_env, tmp_path):
    started = []

    def start(*args: str) -> Emulate:
        started.append(Emulate(pipeline_env, tmp_path / f"emulators-{len(started)}.env", *args))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def test_workers_run_the_shipped_mappings_against_emulate_and_its_env_file(pipeline_env, workers, emulate):
    emulators = emulate("--port-base", "0")
    variables = emulators.variables()
    pipeline_env.update(variables)
    workers.start(threads=4)

    first = run_cli(pipeline_env, "run", "netsuite_to_magento2_customer", "--wait", check=False)
    again = run_cli(pipeline_env, "run", "netsuite_to_magento2_customer", "--mode", "full", "--wait", check=False)
    letters = json.loads(run_cli(pipeline_env, "dead-letters", "list", "--json").stdout)
    shown = json.loads(run_cli(pipeline_env, "dead-letters", "show", "netsuite_to_magento2_customer",
                               letters[0]["key"]).stdout)

    assert "PIPELINE_BROKER_URL" not in variables  # the workers keep their Redis broker
    assert {"PIPELINE_NETSUITE_ERP_URL", "PIPELINE_MAGENTO2_SHOP_URL", "PIPELINE_MAILCHIMP_API_KEY",
            "PIPELINE_MAGENTO1_SHOP_URL"} <= set(variables)
    assert first.returncode == 1, first.stdout + first.stderr  # the demo's customer without an email
    assert "status partial: extracted 3, loaded 2, skipped 0, failed 1." in first.stdout
    # Unchanged payloads are skipped on the full re-run; the keyless customer fails again, under the same name.
    assert "status partial: extracted 3, loaded 0, skipped 2, failed 1." in again.stdout
    [letter] = letters
    assert letter["key"].startswith("netsuite:") and letter["integration"] == "netsuite_to_magento2_customer"
    assert f"failed [map] {letter['key']}: Invalid customer record: email: Missing data" in first.stdout
    assert [entry["event"] for entry in shown["history"]] == ["failed", "failed"]
    assert emulators.stop() == 0


def test_emulate_listens_on_the_port_base_and_the_next_ports(pipeline_env, emulate):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    if base > 65530:
        base -= 10

    emulators = emulate("magento2", "netsuite", "--port-base", str(base), "--seed", "none")
    variables = emulators.variables()

    assert variables["PIPELINE_MAGENTO2_SHOP_URL"] == f"http://127.0.0.1:{base}/rest/default"
    assert variables["PIPELINE_NETSUITE_ERP_URL"] == f"http://127.0.0.1:{base + 1}"
    assert "PIPELINE_MAILCHIMP_API_KEY" not in variables
    assert f"magento2   http://127.0.0.1:{base}  (connections: magento2_shop)\n" in emulators.lines


def test_emulate_on_a_busy_port_is_one_line_of_advice(pipeline_env, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(pipeline_env, "emulate", "magento2", "--port-base", str(port), "--env-file",
                         str(tmp_path / "e.env"), check=False)

    assert result.returncode == 2
    assert result.stderr == (f"Error: Cannot start the magento2 emulator on 127.0.0.1:{port}: Address already in "
                             "use. Stop what listens there, or choose another --port-base.\n")
