"""Schedules from the command line: unconfigured integrations, pause/resume, `enabled: false`, reloads."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.integration.conftest import run_cli

DEMO_CSV = ROOT / "scripts" / "demo" / "inbox" / "customer" / "customers.csv"
NOT_CONFIGURED = ("Integration 'netsuite_to_magento2_customer' is not configured here: its ticks are recorded as "
                  "'not configured' and its runs fail at once. Invalid NetSuite connection 'netsuite_erp': "
                  "PIPELINE_NETSUITE_ERP_ACCOUNT is not set.")


def _inbox(env) -> None:
    inbox = Path(env["PIPELINE_DEMO_INBOX_DIR"]) / "customer"
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")


def _wait_for(predicate, what: str, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}.")


def test_a_tick_of_an_unconfigured_integration_is_recorded_and_starts_nothing(pipeline_env):
    said = run_cli(pipeline_env, "tick", "netsuite_to_magento2_customer").stdout
    shown = json.loads(run_cli(pipeline_env, "schedule", "--json").stdout)

    assert said.startswith("netsuite_to_magento2_customer: not configured Invalid NetSuite connection 'netsuite_erp'")
    assert json.loads(run_cli(pipeline_env, "runs", "--json").stdout) == []
    assert json.loads(run_cli(pipeline_env, "dead-letters", "list", "--json").stdout) == []
    [row] = [row for row in shown if row["integration"] == "netsuite_to_magento2_customer"]
    assert row["last_tick"]["action"] == "not configured"
    assert "PIPELINE_NETSUITE_ERP_ACCOUNT is not set." in row["last_tick"]["reason"]


def test_workers_say_at_start_which_integrations_are_not_configured(pipeline_env, workers):
    workers.start()

    _wait_for(lambda: "`connector check` tells more." in workers.logs(), "the worker's start-up warnings")
    assert NOT_CONFIGURED in workers.logs()
    assert "integrations are not configured (see above); `connector check` tells more." in workers.logs()


def test_a_run_of_an_unconfigured_integration_fails_once_naming_the_variables(pipeline_env, workers):
    workers.start()

    result = run_cli(pipeline_env, "run", "netsuite_to_magento2_customer", "--wait", check=False)
    letters = json.loads(run_cli(pipeline_env, "dead-letters", "list", "--json").stdout)

    assert result.returncode == 1
    assert "status failed: extracted 0" in result.stdout
    assert ("run error: ConfigError: Integration 'netsuite_to_magento2_customer' is not configured: Invalid NetSuite connection "
            "'netsuite_erp': PIPELINE_NETSUITE_ERP_ACCOUNT is not set.") in result.stdout
    assert len(letters) <= 1  # at most the extraction's, never one per record


def test_pause_and_resume_switch_a_schedule_off_and_on(pipeline_env, runs):
    _inbox(pipeline_env)
    paused = run_cli(pipeline_env, "pause", "demo_files_customer").stdout
    ticked_while_paused = run_cli(pipeline_env, "tick", "demo_files_customer").stdout
    schedule_while_paused = run_cli(pipeline_env, "schedule").stdout
    resumed = run_cli(pipeline_env, "resume", "demo_files_customer").stdout
    time.sleep(1.1)  # ticks by hand are told apart to the second
    ticked_after = run_cli(pipeline_env, "tick", "demo_files_customer").stdout

    assert paused.strip() == ("demo_files_customer: paused. `connector resume demo_files_customer` switches its "
                              "schedule on again.")
    assert ticked_while_paused.strip() == ("demo_files_customer: paused paused; `connector resume "
                                           "demo_files_customer` switches it on")
    assert "next: (paused)" in schedule_while_paused
    assert resumed.strip() == "demo_files_customer: resumed."
    assert ticked_after.split()[1] == "started"
    assert len(runs.recent(10, "demo_files_customer")) == 1


def test_enabled_false_keeps_the_integration_but_gives_it_no_schedule(pipeline_env):
    path = Path(pipeline_env["PIPELINE_MAPPINGS_DIR"]) / "demo_files_customer.yaml"
    path.write_text(path.read_text() + "enabled: false\n")
    declared = ("from pipeline.actors import app; "
                "print(' '.join(sorted(n for n in app.broker.get_declared_actors() if n.startswith('pull_'))))")

    listed = run_cli(pipeline_env, "list").stdout
    shown = json.loads(run_cli(pipeline_env, "schedule", "--json").stdout)
    periodic = subprocess.run([sys.executable, "-c", declared], env=pipeline_env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120, check=True).stdout.split()

    assert "*/15 * * * * (disabled)" in listed
    assert [row["state"] for row in shown if row["integration"] == "demo_files_customer"] == ["disabled"]
    assert "pull_demo_files_customer" not in periodic and "pull_netsuite_to_magento2_customer" in periodic


def test_a_run_unknown_to_the_workers_says_to_reload_them_and_sighup_does(pipeline_env, workers):
    _inbox(pipeline_env)
    # Dramatiq reloads by exec'ing "python -m dramatiq", found on PATH: an activated virtualenv's, as here.
    pipeline_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{pipeline_env.get('PATH', '')}"
    main = workers.start()
    _wait_for(lambda: NOT_CONFIGURED in workers.logs(), "the workers to boot")
    mappings = Path(pipeline_env["PIPELINE_MAPPINGS_DIR"])
    (mappings / "later_customer.yaml").write_text((mappings / "demo_files_customer.yaml").read_text())

    before = run_cli(pipeline_env, "run", "later_customer", "--wait", check=False)
    os.kill(main.pid, signal.SIGHUP)  # Dramatiq's main process restarts its workers, which read the files again
    _wait_for(lambda: workers.logs().count(NOT_CONFIGURED) >= 2, "the reloaded workers to boot")
    after = run_cli(pipeline_env, "run", "later_customer", "--wait", check=False)

    assert before.returncode == 1
    assert ("run error: ConfigError: Integration 'later_customer' is unknown to this worker, which loaded "
            f"{mappings} before that file was added or renamed: reload the workers (send SIGHUP to the "
            "`dramatiq` main process, or restart them), then run it again.") in before.stdout
    assert after.returncode == 1 and "status partial: extracted 6, loaded 4, skipped 0, failed 2." in after.stdout
