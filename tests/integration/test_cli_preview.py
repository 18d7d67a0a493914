"""`connector preview`: samples as JSON, JSON Lines or CSV, or read from the configured source."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, MAPPINGS, ROOT
from tests.integration.conftest import run_cli

DEMO_CSV = ROOT / "scripts" / "demo" / "inbox" / "customer" / "customers.csv"
MAPPING = str(MAPPINGS / "demo_files_customer.yaml")
EXPECTED_KEYS = ["ada.lovelace@example.com", "grace.hopper@example.com", "alan.turing@example.com", None, None,
                 "edsger.dijkstra@example.nl"]


def _shown(stdout: str) -> list[dict]:
    return [json.loads(chunk) for chunk in stdout.replace("}\n{", "}\x00{").split("\x00")]


def test_csv_json_lines_and_json_samples_preview_alike(pipeline_env, tmp_path):
    records = json.loads((FIXTURES / "demo_files_customer" / "input.json").read_text())
    lines = tmp_path / "customers.jsonl"
    lines.write_text("".join(json.dumps(record) + "\n" for record in records))

    shown = {kind: run_cli(pipeline_env, "preview", MAPPING, str(path), check=False)
             for kind, path in (("csv", DEMO_CSV), ("jsonl", lines),
                                ("json", FIXTURES / "demo_files_customer" / "input.json"))}

    for kind, result in shown.items():
        assert result.returncode == 1, kind  # two of the six records are invalid
        assert [entry.get("key") for entry in _shown(result.stdout)] == EXPECTED_KEYS, kind
        assert result.stderr == "", kind
    assert _shown(shown["csv"].stdout)[0]["entity"] == _shown(shown["json"].stdout)[0]["entity"]


def test_a_sample_from_stdin_and_a_broken_sample(pipeline_env, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"Email": "a@example.com",')
    lines = "".join(json.dumps(record) + "\n" for record in
                    json.loads((FIXTURES / "demo_files_customer" / "input.json").read_text())[:2])

    piped = subprocess.run([sys.executable, "-m", "pipeline.cli", "preview", MAPPING, "-"], input=lines,
                           env=pipeline_env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    result = run_cli(pipeline_env, "preview", MAPPING, str(broken), check=False)

    assert piped.returncode == 0 and [entry["key"] for entry in _shown(piped.stdout)] == EXPECTED_KEYS[:2]
    assert result.returncode == 2
    assert result.stderr == (f"Error: Sample {broken} is not valid JSON (line 1, column 27: Expecting property name "
                             "enclosed in double quotes); for JSON Lines or CSV use --format jsonl or csv.\n")


def test_a_misspelt_source_field_is_warned_about_with_a_suggestion(pipeline_env, tmp_path):
    typo = tmp_path / "typo.yaml"
    typo.write_text(Path(MAPPING).read_text().replace("trim(First)", "trim(Frist)"))

    result = run_cli(pipeline_env, "preview", str(typo), str(DEMO_CSV), check=False)

    assert result.stderr == ("Warning: Source field 'Frist' (fields.first_name) is absent from all 6 sample records. "
                             "Did you mean 'First'?\n")


def test_from_source_reads_the_configured_source_and_moves_nothing(pipeline_env, runs):
    inbox = Path(pipeline_env["PIPELINE_DEMO_INBOX_DIR"]) / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")

    result = run_cli(pipeline_env, "preview", MAPPING, "--from-source", "3")

    assert [entry["key"] for entry in _shown(result.stdout)] == EXPECTED_KEYS[:3]
    assert runs.get_cursor("demo_files_customer") is None
    assert runs.recent(10) == []
    assert not Path(pipeline_env["PIPELINE_DEMO_OUTBOX_DIR"]).exists()


def test_from_source_of_an_unconfigured_source_is_a_configuration_error(pipeline_env):
    result = run_cli(pipeline_env, "preview", str(MAPPINGS / "netsuite_to_magento2_customer.yaml"), "--from-source",
                     "2", check=False)

    assert result.returncode == 2
    assert result.stderr.startswith("Error: Integration 'netsuite_to_magento2_customer' is not configured: "
                                    "Invalid NetSuite connection 'netsuite_erp': PIPELINE_NETSUITE_ERP_ACCOUNT is "
                                    "not set.")
