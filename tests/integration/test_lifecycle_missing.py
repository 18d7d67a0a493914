"""Deletions a source cannot report: a full run compares what it extracted with the ledger (on_missing).

Through real `dramatiq pipeline.actors` workers, NetSuite and Magento 2 emulators on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import run_cli
from tests.integration.test_netsuite_magento2_integrations import (  # noqa: F401 (fixtures)
    clock, counts, env, erp, run, seed_netsuite_items, shop)


def opt_in(env: dict[str, str], integration: str, options: str) -> None:
    """Give the workers' copy of a mapping file these options (a YAML flow mapping)."""
    path = Path(env["PIPELINE_MAPPINGS_DIR"]) / f"{integration}.yaml"
    path.write_text(path.read_text() + f"options: {options}\n")


def test_a_full_run_disables_products_gone_from_netsuite_once_and_stops_when_too_many_are_gone(
        env, workers, runs, erp, shop):
    opt_in(env, "netsuite_to_magento2_product", "{on_missing: disable, missing_limit_pct: 40}")
    ids = seed_netsuite_items(erp)
    workers.start(threads=4)
    assert run(env, runs, "netsuite_to_magento2_product").counts == counts(3, loaded=3)

    del erp.store.records["inventoryItem"][ids["mug"]]  # deleted in NetSuite: no change to pull
    assert run(env, runs, "netsuite_to_magento2_product").counts == counts(0)
    full = run(env, runs, "netsuite_to_magento2_product", "--mode", "full")

    assert (full.counts, full.missing, full.events) == (counts(2, skipped=2), 1, {"disabled": 1})
    assert full.status == "complete"
    assert shop.tables.products["MUG-LOGO"]["status"] == 2
    assert shop.tables.products["WS12-M-Orange"]["status"] == 1
    entry = json.loads(run_cli(env, "entity", "netsuite_to_magento2_product", "MUG-LOGO").stdout)
    assert (entry["last"]["status"], entry["last"]["error"]) == (
        "disabled", "Product 'MUG-LOGO' disabled in the shop: the source no longer has it.")
    assert "missing 1, disabled 1." in run_cli(env, "status", full.run_id).stdout

    # Once handled, a missing record is not sent again by the next full run.
    again = run(env, runs, "netsuite_to_magento2_product", "--mode", "full")
    assert (again.counts, again.missing, again.events) == (counts(2, skipped=2), 0, {})

    # An export that lost both remaining items (100 % of the known records) is a broken source.
    erp.store.records["inventoryItem"].clear()
    broken = run(env, runs, "netsuite_to_magento2_product", "--mode", "full")
    assert (broken.counts, broken.missing, broken.events, broken.status) == (counts(0), 0, {}, "failed")
    assert broken.error == (
        "Full run of 'netsuite_to_magento2_product' stopped before disable: 2 of the 2 records loaded before "
        "(100 %) are missing from the source, over the limit of 40 % (options.missing_limit_pct). Nothing was "
        "removed: an export this short is more likely a broken source than a cleared catalogue. Check the "
        "source; if the records really are gone, raise the limit for one run.")
    assert [shop.tables.products[sku]["status"] for sku in ("WS12-M-Orange", "ROPE-METRE")] == [1, 2]


def test_a_full_run_deletes_products_gone_from_netsuite_when_the_mapping_says_delete(env, workers, runs, erp,
                                                                                     shop):
    opt_in(env, "netsuite_to_magento2_product", "{on_missing: delete, missing_limit_pct: 50}")
    ids = seed_netsuite_items(erp)
    workers.start()
    run(env, runs, "netsuite_to_magento2_product")
    del erp.store.records["inventoryItem"][ids["tee"]]

    full = run(env, runs, "netsuite_to_magento2_product", "--mode", "full")

    assert (full.counts, full.missing, full.events) == (counts(2, skipped=2), 1, {"deleted": 1})
    assert sorted(shop.tables.products) == ["MUG-LOGO", "ROPE-METRE"]
    # Forced again, the load of a missing record finds it gone and says so, without failing.
    forced = run(env, runs, "netsuite_to_magento2_product", "--mode", "full", "--force")
    assert (forced.counts, forced.missing, forced.events) == (counts(2, loaded=2), 0, {})
