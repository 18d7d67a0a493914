"""A product made inactive in NetSuite is disabled in Magento 2: its own outcome, applied once.

Through real `dramatiq pipeline.actors` workers, both emulators on loopback (the fixtures of the
NetSuite <-> Magento 2 integration tests).
"""

from __future__ import annotations

import json

from tests.integration.conftest import run_cli
from tests.integration.test_netsuite_magento2_integrations import (  # noqa: F401 (fixtures)
    SHOP, clock, counts, env, erp, run, seed_netsuite_items, shop, source_items)


def test_a_product_made_inactive_in_netsuite_is_disabled_in_the_shop_once_with_its_stock_zeroed(
        env, workers, runs, erp, shop, clock):
    env[f"PIPELINE_{SHOP.upper()}_DISABLED_STOCK"] = "zero"
    ids = seed_netsuite_items(erp)
    shop.tables.sources.add("eu_warehouse")
    workers.start(threads=4)
    first = run(env, runs, "netsuite_to_magento2_product")
    run(env, runs, "netsuite_to_magento2_inventory")
    # The rope was inactive from the start: created disabled, an ordinary load, not an event.
    assert (first.counts, first.events) == (counts(3, loaded=3), {})

    clock.advance()
    erp.store.update("inventoryItem", ids["tee"], {"isInactive": True})
    disabled = run(env, runs, "netsuite_to_magento2_product")

    assert (disabled.counts, disabled.events) == (counts(1), {"disabled": 1})
    assert shop.tables.products["WS12-M-Orange"]["status"] == 2
    assert {key: value for key, value in source_items(shop).items() if key.startswith("WS12")} == {
        "WS12-M-Orange@default": (0, 0), "WS12-M-Orange@eu_warehouse": (0, 0)}
    entry = json.loads(run_cli(env, "entity", "netsuite_to_magento2_product", "WS12-M-Orange").stdout)
    assert entry["last"]["status"] == "disabled"
    assert entry["last"]["error"] == ("Product 'WS12-M-Orange' disabled in the shop; its stock set to 0 on "
                                      "sources default, eu_warehouse.")
    status = run_cli(env, "status", disabled.run_id).stdout
    assert "extracted 1, loaded 0, skipped 0, failed 0, disabled 1." in status

    # Read again: the same payload is not applied again; forced, it is a plain update of a disabled product.
    again = run(env, runs, "netsuite_to_magento2_product", "--mode", "full")
    assert (again.counts, again.events) == (counts(3, skipped=3), {})
    forced = run(env, runs, "netsuite_to_magento2_product", "--ref", "WS12-M-Orange", "--force")
    assert (forced.counts, forced.events) == (counts(1, loaded=1), {})
    assert json.loads(run_cli(env, "entity", "netsuite_to_magento2_product", "WS12-M-Orange").stdout)[
        "last"]["status"] == "done"
