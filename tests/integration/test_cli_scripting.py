"""`connector` for scripts and new users: exit codes, --json, --version, ISO times, one-line errors."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time

from pipeline import __version__
from tests.conftest import ROOT
from tests.integration.conftest import run_cli, start_run, wait_for_run

DEMO_CSV = ROOT / "scripts" / "demo" / "inbox" / "customer" / "customers.csv"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _inbox(env, rows: slice = slice(None)):
    """The demo customer export in the test's inbox (``rows``: which of the six records)."""
    inbox = ROOT / env["PIPELINE_DEMO_INBOX_DIR"] / "customer"
    inbox.mkdir(parents=True, exist_ok=True)
    lines = DEMO_CSV.read_text().splitlines(keepends=True)
    (inbox / "customers.csv").write_text(lines[0] + "".join(lines[1:][rows]))


def test_version_names_the_package_version(pipeline_env):
    assert run_cli(pipeline_env, "--version").stdout.strip() == f"connector {__version__}"


def test_a_missing_or_empty_mappings_directory_is_a_configuration_error(pipeline_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for directory, why in ((tmp_path / "nowhere", "does not exist"), (empty, "has no mapping files (*.yaml)")):
        env = {**pipeline_env, "PIPELINE_MAPPINGS_DIR": str(directory)}
        for args in (("list",), ("validate",), ("run", "demo_files_customer", "--embedded")):
            result = run_cli(env, *args, check=False)

            assert result.returncode == 2, args
            assert result.stdout == ""
            assert result.stderr == (f"Error: The mappings directory {str(directory)!r} (PIPELINE_MAPPINGS_DIR) {why}"
                                     ": run from your project's folder, set PIPELINE_MAPPINGS_DIR, or start a "
                                     "project with `connector init DIR`.\n")


def test_redis_down_is_one_line_naming_redis_url_and_v_adds_the_traceback(pipeline_env):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**pipeline_env, "REDIS_URL": f"redis://:hunter2@127.0.0.1:{port}/0"}

    quiet = run_cli(env, "runs", check=False)
    verbose = run_cli(env, "-v", "runs", check=False)

    assert quiet.returncode == verbose.returncode == 2
    assert quiet.stderr.count("\n") == 1
    assert quiet.stderr.startswith(f"Error: Cannot reach Redis at redis://127.0.0.1:{port}/0 (REDIS_URL): ")
    assert "Start Redis, or point REDIS_URL at it" in quiet.stderr
    assert "Traceback (most recent call last)" in verbose.stderr and "hunter2" not in quiet.stderr + verbose.stderr


def test_an_amqp_broker_without_pika_says_which_extra_to_install(pipeline_env):
    # The machine has pika (the RabbitMQ test needs it): this process hides it, then runs the CLI.
    program = ("import sys; sys.modules['pika'] = None; sys.argv = ['connector', 'runs']; "
               "from pipeline.cli import run_main; run_main()")
    result = subprocess.run([sys.executable, "-c", program], env={**pipeline_env, "PIPELINE_BROKER_URL": "amqp://x"},
                            cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 2
    assert result.stderr == ("Error: PIPELINE_BROKER_URL is amqp:// (RabbitMQ) but the 'pika' package is not "
                             "installed: pip install 'pipeline-connectors[rabbitmq]', or use a redis:// broker URL.\n")


def test_a_busy_port_is_one_line_of_advice(pipeline_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli(pipeline_env, "web", "--port", str(busy.getsockname()[1]), check=False)

    assert result.returncode == 2
    assert result.stderr.startswith("Error: Cannot listen: the address is already in use")
    assert "Traceback" not in result.stderr


def test_validate_reports_a_mapping_nested_too_deeply_instead_of_a_recursion_error(pipeline_env, tmp_path):
    deep_yaml, deep_path = tmp_path / "deep_yaml.yaml", tmp_path / "deep_path.yaml"
    head = "connector: customer_pull\nsource: {system: files}\ntarget: {system: files}\n"
    deep_yaml.write_text(head + "fields: {email: " + "[" * 5000 + "]" * 5000 + "}\n")
    deep_path.write_text(head + "fields: {email: '" + "(" * 3000 + "Email" + ")" * 3000 + "'}\n")

    result = run_cli(pipeline_env, "validate", str(deep_yaml), str(deep_path), check=False)

    assert result.returncode == 1
    for path in (deep_yaml, deep_path):
        assert (f"Invalid mapping file {path} (1 problem):\n  (file): Nested too deeply to read (YAML nesting "
                "or a JMESPath expression hundreds of levels deep): flatten it.") in result.stderr
    assert "RecursionError" not in result.stderr


def test_an_embedded_run_exits_0_when_complete_and_1_with_failed_records(pipeline_env):
    _inbox(pipeline_env, slice(0, 3))
    complete = run_cli(pipeline_env, "run", "demo_files_customer", "--embedded", check=False)
    _inbox(pipeline_env)
    partial = run_cli(pipeline_env, "run", "demo_files_customer", "--embedded", "--mode", "full", check=False)

    assert complete.returncode == 0 and "status complete: extracted 3, loaded 3" in complete.stdout
    # The ledger of the first run is kept (PIPELINE_EMBEDDED_STATE): its three records are unchanged.
    assert partial.returncode == 1 and "status partial: extracted 6, loaded 1, skipped 3, failed 2." in partial.stdout
    # Only the command's own output: no log lines of the worker module.
    assert complete.stderr == partial.stderr == ""
    assert "[INFO]" not in complete.stdout + partial.stdout


def test_embedded_runs_keep_cursors_and_ledger_between_invocations(pipeline_env, tmp_path):
    _inbox(pipeline_env)
    first = run_cli(pipeline_env, "run", "demo_files_customer", "--embedded", check=False)
    again = run_cli(pipeline_env, "run", "demo_files_customer", "--embedded", check=False)
    state = json.loads((tmp_path / "embedded-state.json").read_text())
    elsewhere = {**pipeline_env, "PIPELINE_EMBEDDED_STATE": str(tmp_path / "other.json")}
    afresh = run_cli(elsewhere, "run", "demo_files_customer", "--embedded", check=False)

    assert "status partial: extracted 6, loaded 4, skipped 0, failed 2." in first.stdout
    # The cursor moved past the file: a `changed` run finds nothing new, as it would with Redis.
    assert "status complete: extracted 0, loaded 0, skipped 0, failed 0." in again.stdout
    assert f"{pipeline_env['PIPELINE_NAMESPACE']}:cursor:demo_files_customer" in state["keys"]
    assert "status partial: extracted 6, loaded 4, skipped 0, failed 2." in afresh.stdout


def test_scripts_read_runs_statuses_and_dead_letters_as_json_with_iso_times(pipeline_env, workers, runs):
    _inbox(pipeline_env)
    workers.start()
    waited = run_cli(pipeline_env, "run", "demo_files_customer", "--wait", check=False)
    run_id = waited.stdout.split()[1]

    status = run_cli(pipeline_env, "status", run_id, "--json", check=False)
    listed = json.loads(run_cli(pipeline_env, "runs", "--json").stdout)
    letters = json.loads(run_cli(pipeline_env, "dead-letters", "list", "--json").stdout)
    shown = json.loads(run_cli(pipeline_env, "dead-letters", "show", "demo_files_customer",
                               "katherine.johnson@example").stdout)
    entity = json.loads(run_cli(pipeline_env, "entity", "demo_files_customer", "ada.lovelace@example.com").stdout)
    integrations = json.loads(run_cli(pipeline_env, "list", "--json").stdout)

    assert waited.returncode == 1 and status.returncode == 1
    found = json.loads(status.stdout)
    assert (found["run_id"], found["status"], found["finished"]) == (run_id, "partial", True)
    assert found["counts"] == {"extracted": 6, "loaded": 4, "skipped": 0, "failed": 2}
    assert ISO.match(found["started_at"]) and ISO.match(found["finished_at"])
    assert sorted(f["key"] for f in found["failures"]) == ["katherine.johnson@example",
                                                           "margaret.hamilton@example.com"]
    assert [entry["run_id"] for entry in listed] == [run_id] and ISO.match(listed[0]["started_at"])
    assert sorted(letter["key"] for letter in letters) == sorted(f["key"] for f in found["failures"])
    assert all(ISO.match(letter["failed_at"]) for letter in letters)
    assert ISO.match(shown["failed_at"]) and ISO.match(shown["history"][0]["at"])
    assert ISO.match(entity["last"]["at"]) and entity["last"]["run_id"] == run_id
    assert "demo_files_customer" in [entry["integration"] for entry in integrations]


def test_status_warns_when_no_worker_consumes_the_queue(pipeline_env, runs):
    _inbox(pipeline_env)
    run_id = start_run(pipeline_env, "demo_files_customer")

    result = run_cli(pipeline_env, "status", run_id)

    assert f"Run {run_id} of demo_files_customer (changed) running for" in result.stdout
    assert result.stderr == (f"Warning: no live worker consumes queue 'normal' of run {run_id} (no worker is "
                             "live): its messages wait until one does. Start one: dramatiq pipeline.actors "
                             "--queues normal\n")


def test_status_follow_warns_instead_of_waiting_in_silence_without_workers(pipeline_env, runs):
    _inbox(pipeline_env)
    run_id = start_run(pipeline_env, "demo_files_customer")
    follow = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "status", run_id, "--follow"], env=pipeline_env,
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        warning = follow.stderr.readline()  # the first line it writes (not a terminal: no progress bar)
    finally:
        follow.kill()
        follow.communicate()
    queued = json.loads(run_cli(pipeline_env, "queues", "--json").stdout)

    assert warning.startswith(f"Warning: no live worker consumes queue 'normal' of run {run_id}")
    assert {"queue": "normal", "ready": 1, "delayed": 0} in queued


def test_a_second_tick_by_hand_is_its_own_tick(pipeline_env, runs):
    _inbox(pipeline_env)
    first = run_cli(pipeline_env, "tick", "demo_files_customer").stdout.split()
    time.sleep(1.1)  # ticks by hand are told apart to the second
    second = run_cli(pipeline_env, "tick", "demo_files_customer").stdout.split()

    assert first[1] == "started"
    # No worker runs: the first run is still in progress, which is what the second tick says.
    assert second[1:3] == ["overlap", first[2]]
