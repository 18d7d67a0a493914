"""The whole chain, extract -> map -> load, through real `dramatiq pipeline.actors` workers on Redis."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import FIXTURES, ROOT
from tests.integration.conftest import run_cli, start_run, wait_for_run

DEMO_CSV = ROOT / "scripts" / "demo" / "inbox" / "customer" / "customers.csv"


def read_loaded(folder: Path) -> dict[str, dict]:
    """Every record the files target wrote, by natural key; a key written twice fails the test."""
    found: dict[str, dict] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            key = record.get("email") or record.get("order_number")
            assert key not in found, f"{key} was loaded twice"
            found[key] = record
    return found


def test_a_customer_pull_loads_valid_records_and_keeps_the_invalid_ones_with_their_errors(
        pipeline_env, workers, runs, tmp_path):
    # Given the demo export plus a JSON Lines file with one broken line
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")
    (inbox / "late.jsonl").write_text(
        '{"Email": "late@example.com", "First": "Late", "Last": "Comer", "Country": "FR", "Street": "1 rue"}\n'
        '{"Email": "broken@example.com", "First": \n')
    workers.start(processes=2)

    # When the integration runs through the workers
    summary = wait_for_run(runs, start_run(pipeline_env, "demo_files_customer"))

    # Then the valid records are at the target, field by field
    assert summary.counts == {"extracted": 8, "loaded": 5, "skipped": 0, "failed": 3}
    loaded = read_loaded(tmp_path / "outbox" / "customer")
    assert sorted(loaded) == ["ada.lovelace@example.com", "alan.turing@example.com", "edsger.dijkstra@example.nl",
                              "grace.hopper@example.com", "late@example.com"]
    assert loaded["grace.hopper@example.com"] == {
        "email": "grace.hopper@example.com", "first_name": "Grace", "last_name": "Hopper", "external_id": "C-1002",
        "group": "wholesale", "website": "base", "is_subscribed": False, "dob": "1906-12-09",
        "updated_at": "2026-11-03T10:00:00+00:00",
        "addresses": [{"first_name": "Grace", "last_name": "Hopper", "street": ["1 Navy Yard", "Building 3"],
                       "city": "Arlington", "postcode": "22202", "country_code": "US",
                       "telephone": "+1 202 555 0102", "default_billing": True, "default_shipping": True}]}
    assert loaded["edsger.dijkstra@example.nl"]["group"] == "general"  # value map's _default
    # And each invalid record is kept with the error that names its field
    failures = {failure.key: failure for failure in runs.failures(summary.run_id)}
    assert failures["katherine.johnson@example"].error == (
        "Invalid customer record 'katherine.johnson@example': email: Not a valid email address.")
    assert failures["margaret.hamilton@example.com"].problems == {
        "addresses": {"0": {"country_code": ["Not a valid ISO 3166-1 alpha-2 country code: 'XX'."]}}}
    assert failures["margaret.hamilton@example.com"].record["CustomerId"] == "C-1005"
    broken = [failure for key, failure in failures.items() if "#" in key]  # unreadable: named by position
    assert [failure.error for failure in broken] == [
        "Invalid customer record: late.jsonl line 2: not valid JSON (Expecting value)."]


def test_an_incremental_pull_reads_only_what_changed_since_the_cursor(pipeline_env, workers, runs, tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    (inbox / "a.jsonl").write_text('{"Email": "a@example.com", "First": "A", "Last": "One", "Country": "DE"}\n')
    workers.start()

    first = wait_for_run(runs, start_run(pipeline_env, "demo_files_customer"))
    nothing_new = wait_for_run(runs, start_run(pipeline_env, "demo_files_customer"))
    time.sleep(0.01)  # a later modification time for the new file
    (inbox / "b.jsonl").write_text('{"Email": "b@example.com", "First": "B", "Last": "Two", "Country": "DE"}\n')
    second = wait_for_run(runs, start_run(pipeline_env, "demo_files_customer"))
    full = wait_for_run(runs, start_run(pipeline_env, "demo_files_customer", "--mode", "full"))
    forced = wait_for_run(runs, start_run(pipeline_env, "demo_files_customer", "--mode", "full", "--force"))

    assert (first.counts["loaded"], nothing_new.counts["extracted"], second.counts["loaded"]) == (1, 0, 1)
    # a full re-sync reads everything again, but skips what is unchanged since its last load
    assert (full.mode, full.counts["extracted"], full.counts["skipped"], full.counts["loaded"]) == ("full", 2, 2, 0)
    assert forced.counts["loaded"] == 2
    assert sorted(read_loaded(tmp_path / "outbox" / "customer")) == ["a@example.com", "b@example.com"]


def test_a_run_by_reference_loads_only_the_named_records(pipeline_env, workers, runs, tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")
    workers.start()

    summary = wait_for_run(runs, start_run(pipeline_env, "demo_files_customer", "--ref", "alan.turing@example.com"))

    assert summary.counts == {"extracted": 1, "loaded": 1, "skipped": 0, "failed": 0}
    assert list(read_loaded(tmp_path / "outbox" / "customer")) == ["alan.turing@example.com"]
    assert runs.get_cursor("demo_files_customer") is None  # a run by reference leaves the cursor alone


def test_an_order_push_carries_nested_lines_and_addresses(pipeline_env, workers, runs, tmp_path):
    export = tmp_path / "shop_export" / "order"
    export.mkdir(parents=True)
    orders = json.loads((FIXTURES / "shop_files_order_push" / "input.json").read_text())
    (export / "orders.jsonl").write_text("".join(json.dumps(order) + "\n" for order in orders))
    workers.start()

    summary = wait_for_run(runs, start_run(pipeline_env, "shop_files_order_push"))

    assert summary.counts == {"extracted": 3, "loaded": 1, "skipped": 0, "failed": 2}
    expected = json.loads((FIXTURES / "shop_files_order_push" / "expected.json").read_text())[0]
    loaded = read_loaded(tmp_path / "erp_import" / "order")
    assert loaded["000000692"] == {**expected["entity"], **expected["target_fields"]}


def test_a_worker_refuses_to_start_on_an_invalid_mapping_file_and_names_it(pipeline_env, tmp_path):
    bad = Path(pipeline_env["PIPELINE_MAPPINGS_DIR"]) / "broken.yaml"
    bad.write_text("connector: customer_pull\nsource: {system: files}\ntarget: {system: files}\n"
                   "fields: {emial: Email}\n")

    result = subprocess.run([sys.executable, "-m", "dramatiq", "pipeline.actors", "--processes", "1"],
                            env=pipeline_env, cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert f"Refusing to start: Invalid mapping file {bad} (4 problems):" in result.stderr
    assert "fields.emial: Unknown field 'emial' for entity 'customer'. Did you mean 'email'?" in result.stderr


def test_the_embedded_run_needs_no_redis(pipeline_env, tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")
    env = {**pipeline_env, "REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens there

    result = run_cli(env, "run", "demo_files_customer", "--embedded", check=False)

    assert result.returncode == 1  # finished with failed records
    assert "extracted 6, loaded 4, skipped 0, failed 2." in result.stdout
    assert "failed [map] katherine.johnson@example: Invalid customer record" in result.stdout
    assert len(read_loaded(tmp_path / "outbox" / "customer")) == 4


def test_a_command_prints_its_own_output_and_no_log_lines(pipeline_env, tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")

    result = run_cli(pipeline_env, "run", "demo_files_customer", "--embedded", check=False)

    assert result.returncode == 1  # finished with failed records (status partial)

    # Logs (message states at INFO, map failures at WARNING) only with -v: the summary says it all.
    assert "] [INFO] " not in result.stderr and "] [WARNING] " not in result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["Run", "Run", "messages:", "failed", "failed"]


def test_the_periodiq_scheduler_registers_one_periodic_pull_per_scheduled_integration(pipeline_env):
    scheduler = subprocess.Popen([str(Path(sys.executable).with_name("periodiq")), "pipeline.actors", "-v"],
                                 env=pipeline_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
    try:
        output = ""
        deadline = time.monotonic() + 20
        while "pull_demo_files_customer" not in output and time.monotonic() < deadline:
            line = scheduler.stdout.readline()
            if not line:
                break
            output += line
    finally:
        scheduler.kill()
        scheduler.wait()

    assert "*/15 * * * *" in output and "pipeline.actors:pull_demo_files_customer@normal" in output
