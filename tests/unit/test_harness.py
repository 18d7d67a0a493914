"""The pytest plugin's run helpers: an integration run in the test's own process, asserted record by record."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.testing.clock import Clock
from pipeline.testing.harness import InProcess, parse_report
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.shopify import ShopifyEmulator

ROOT = Path(__file__).resolve().parents[2]
NAME = "shopify_to_magento2_customer"


@pytest.fixture
def env(tmp_path):
    (tmp_path / "mappings").mkdir()
    shutil.copy(ROOT / "mappings" / f"{NAME}.yaml", tmp_path / "mappings")
    shutil.copytree(ROOT / "systems", tmp_path / "systems")
    clock = Clock("2026-11-02T09:00:00")
    with ShopifyEmulator(clock=clock) as shopify, Magento2Emulator(clock=clock) as magento:
        environ = {"PIPELINE_MAPPINGS_DIR": str(tmp_path / "mappings"), "PIPELINE_NAMESPACE": "in-process",
                   **shopify.environ("shopify_store"), **magento.environ("magento2_shop", "oauth")}
        yield environ, shopify, magento


def test_an_integration_runs_in_process_and_each_record_has_its_outcome(env):
    environ, shopify, magento = env
    for name in ("Ada", "Grace"):
        shopify.add_customer(email=f"{name.lower()}@example.com", first_name=name, last_name="X")
    shopify.add_customer(email="nameless@example.com")
    harness = InProcess(environ)

    first = harness.run(NAME, keys=("ada@example.com", "nameless@example.com"))

    first.assert_counts(extracted=3, loaded=2, failed=1)
    first.assert_failed("nameless@example.com", "first_name: Missing data for required field.", stage="map")
    assert first.ledger["ada@example.com"]["last"]["status"] == "done"
    assert first.ledger["nameless@example.com"]["last"]["status"] == "failed"
    assert sorted(c["email"] for c in magento.tables.customers.values()) == ["ada@example.com",
                                                                            "grace@example.com"]
    with pytest.raises(AssertionError, match="counts .* expected {'loaded': 3}"):
        first.assert_counts(loaded=3)
    # The books stay with the harness: the next run starts from the cursor, and nothing changed.
    harness.run(NAME).assert_counts(extracted=0)


def test_a_run_report_of_the_command_line_is_read_record_by_record():
    report = ("Run 20261130T004755-654ae764 of demo (changed) started.\n"
              "Run 20261130T004755-654ae764 of demo (changed) finished in 0.02s, status failed: extracted 6, "
              "loaded 4, skipped 0, failed 2.\n"
              "  failed [map] katherine.johnson@example: Invalid customer record: email: Not a valid email address.\n"
              "  failed [load] ada@example.com: shop answered HTTP 400 to PUT /x: bad\n")
    result = parse_report(report)
    assert (result.run_id, result.status) == ("20261130T004755-654ae764", "failed")
    assert result.counts == {"extracted": 6, "loaded": 4, "skipped": 0, "failed": 2}
    result.assert_failed("katherine.johnson@example", "Not a valid email address.", stage="map")
    result.assert_failed("ada@example.com", "HTTP 400", stage="load")
