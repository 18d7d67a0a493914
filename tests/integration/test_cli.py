"""The `connector` command line, run as an operator runs it (a subprocess), against a real Redis."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import FIXTURES, MAPPINGS, ROOT
from tests.integration.conftest import run_cli, start_run, wait_for_run

DEMO_CSV = ROOT / "scripts" / "demo" / "inbox" / "customer" / "customers.csv"


def test_list_and_validate_name_every_integration(pipeline_env):
    listed = run_cli(pipeline_env, "list").stdout
    validated = run_cli(pipeline_env, "validate").stdout

    for path in MAPPINGS.glob("*.yaml"):
        assert path.stem in listed
        assert f"({path.stem}: " in validated


def test_validate_refuses_a_mapped_field_the_target_does_not_carry_naming_file_field_and_target(
        pipeline_env, tmp_path):
    shipped = (MAPPINGS / "magento2_to_mailchimp_customer.yaml").read_text()
    # The shipped file lists its uncarried fields under `ignore`; without the list they are errors.
    uncarried = tmp_path / "shop_to_chimp.yaml"
    uncarried.write_text(shipped[:shipped.index("\nignore:")] + "\n")

    result = run_cli(pipeline_env, "validate", str(uncarried), check=False)

    assert result.returncode == 1
    assert ("fields.group: 'group' is not carried by mailchimp's customer load: its value would never reach "
            "mailchimp. Remove it, or list it under 'ignore'.") in result.stderr
    assert f"Invalid mapping file {uncarried} (9 problems):" in result.stderr
    assert run_cli(pipeline_env, "validate", str(MAPPINGS / "magento2_to_mailchimp_customer.yaml")).returncode == 0


def test_validate_reports_every_problem_of_a_bad_file_and_fails(pipeline_env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("connector: customer_pul\nsource: {system: files}\ntarget: {system: files}\n"
                   "fields: {email: 'lenght(Email)'}\n")

    result = run_cli(pipeline_env, "validate", str(bad), check=False)

    assert result.returncode == 1
    assert f"Invalid mapping file {bad} (2 problems):" in result.stderr
    assert "connector: Unknown connector type 'customer_pul'." in result.stderr
    assert "fields.email: Unknown function lenght() in 'lenght(Email)'. Did you mean 'length()'?" in result.stderr
    assert "1 of 1 mapping files are invalid." in result.stderr


def test_preview_maps_a_sample_and_shows_every_error_without_loading(pipeline_env, tmp_path):
    sample = FIXTURES / "demo_files_customer" / "input.json"

    result = run_cli(pipeline_env, "preview", str(MAPPINGS / "demo_files_customer.yaml"), str(sample), check=False)

    assert result.returncode == 1  # two of the six records are invalid
    shown = [json.loads(chunk) for chunk in result.stdout.replace("}\n{", "}\x00{").split("\x00")]
    assert [entry.get("key") for entry in shown][:3] == [
        "ada.lovelace@example.com", "grace.hopper@example.com", "alan.turing@example.com"]
    assert shown[3]["error"] == ("Invalid customer record 'katherine.johnson@example': email: "
                                 "Not a valid email address.")
    assert not Path(pipeline_env["PIPELINE_DEMO_OUTBOX_DIR"]).exists()


def test_an_operator_follows_a_run_its_messages_and_its_dead_letters(pipeline_env, workers, runs, tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")
    workers.start()
    run_id = start_run(pipeline_env, "demo_files_customer")
    wait_for_run(runs, run_id)

    shown_status = run_cli(pipeline_env, "status", run_id, check=False)
    status = shown_status.stdout
    recent = run_cli(pipeline_env, "runs").stdout
    queues = run_cli(pipeline_env, "queues").stdout
    shown = json.loads(run_cli(pipeline_env, "dead-letters", "show", "demo_files_customer",
                               "katherine.johnson@example").stdout)
    discarded = run_cli(pipeline_env, "dead-letters", "discard", "--integration", "demo_files_customer").stdout
    after = run_cli(pipeline_env, "dead-letters", "list").stdout

    assert f"Run {run_id} of demo_files_customer (changed) finished in" in status
    assert "status partial: extracted 6, loaded 4, skipped 0, failed 2." in status
    assert shown_status.returncode == 1  # finished with failed records
    assert "  messages: done 3" in status  # extract, map, load
    assert f"{run_id}  " in recent and "demo_files_customer" in recent
    assert "normal       ready        0  delayed        0" in queues
    assert shown["failure"]["stage"] == "map" and shown["history"][0]["event"] == "failed"
    assert shown["failure"]["record"]["CustomerId"] == "C-1004"
    assert discarded.strip() == "Discarded 2 dead letter(s)."
    assert after.strip() == "0 dead letter(s)."


def test_cursor_can_be_shown_set_and_reset(pipeline_env, runs):
    assert "(none: the next pull reads everything)" in run_cli(pipeline_env, "cursor", "demo_files_customer").stdout
    assert run_cli(pipeline_env, "cursor", "demo_files_customer", "--set", "x|1").stdout.strip() == \
        "demo_files_customer: x|1"
    assert runs.get_cursor("demo_files_customer") == "x|1"
    run_cli(pipeline_env, "cursor", "demo_files_customer", "--reset")
    assert runs.get_cursor("demo_files_customer") is None


def test_two_scheduler_processes_sending_the_same_tick_start_one_run(pipeline_env, runs):
    # Two processes deliver the same scheduled tick at once, as two periodiq schedulers would.
    tick_at = datetime.now(timezone.utc).replace(second=0, microsecond=0).isoformat()
    command = [sys.executable, "-m", "pipeline.cli", "tick", "demo_files_customer", "--at", tick_at]
    schedulers = [subprocess.Popen(command, env=pipeline_env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
                  for _ in range(2)]
    said = sorted(process.communicate(timeout=120)[0].split()[1] for process in schedulers)

    assert said == ["duplicate", "started"]
    assert len(runs.recent(10, "demo_files_customer")) == 1
    decisions = run_cli(pipeline_env, "schedule").stdout
    assert f"last: {tick_at} " in decisions


def test_two_periodiq_schedulers_enqueue_each_tick_once(pipeline_env, redis_client, namespace):
    # What periodiq's Scheduler.send_actors does at a tick, from two scheduler processes at once.
    send = ("from pipeline.actors import app; "
            "app.broker.get_actor('pull_demo_files_customer').send_with_options(scheduled_at='2026-11-30T10:15:00+00:00')")
    schedulers = [subprocess.Popen([sys.executable, "-c", send], env=pipeline_env, cwd=ROOT) for _ in range(2)]
    assert [process.wait(timeout=120) for process in schedulers] == [0, 0]

    assert redis_client.llen(f"{namespace}-dramatiq:normal") == 1
    decisions = run_cli(pipeline_env, "schedule").stdout
    assert "last: 2026-11-30T10:15:00+00:00 duplicate another scheduler enqueued this tick" in decisions
