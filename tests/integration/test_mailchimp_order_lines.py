"""A line removed from a Magento 2 order that Mailchimp already has is deleted there, end to end.

Real workers run ``magento2_to_mailchimp_order`` against the Magento 2 and Mailchimp emulators (the
Mailchimp one checks every body against the 3.0.55 schema of its verb and path). Line ids are the
SKUs, so after the shop drops a line the load can tell which of Mailchimp's lines are gone and
sends ``DELETE .../orders/{id}/lines/{line_id}`` for them; the lines that stay are changed in place.
"""

from __future__ import annotations

from pipeline.testing.mailchimp import MailchimpEmulator
from tests.integration.reconciliation import run, shop  # noqa: F401 (fixture)
from tests.integration.test_mailchimp_integrations import MAILCHIMP, connection_env
from tests.integration.test_netsuite_magento2_integrations import SHOP, m2_address, seed_magento_order


def order_requests(chimp: MailchimpEmulator, start: int) -> list[tuple[str, str]]:
    return [(request.method, request.path.split("/orders/")[-1]) for request in chimp.requests[start:]
            if "/orders/" in request.path]


def test_a_line_removed_in_the_shop_is_deleted_from_the_mailchimp_order(pipeline_env, workers, runs, shop):
    with MailchimpEmulator() as chimp:
        pipeline_env.update(connection_env(shop.environ(SHOP, "oauth"), SHOP))
        pipeline_env.update(connection_env(chimp.environ(MAILCHIMP), MAILCHIMP))
        calder = m2_address("billing", "Veronica", "Costello", ["6146 Honey Bluff Parkway"], "Calder", "49628-7978",
                            "US", "(555) 229-3326", ("MI", "Michigan", 33))
        tee = {"sku": "WS12-M-Orange", "name": "Radiant Tee", "qty_ordered": 2, "price": 22.5, "row_total": 45.0,
               "product_type": "configurable", "child": {"product_type": "simple"}}
        mug = {"sku": "MUG-LOGO", "name": "Logo Mug", "qty_ordered": 1, "price": 9.9, "row_total": 9.9}
        book = {"sku": "BOOK-1", "name": "Cookbook", "qty_ordered": 1, "price": 14.0, "row_total": 14.0}
        order = seed_magento_order(shop, "veronica.costello@example.com", "Veronica", "Costello", [tee, mug, book],
                                   calder, status="processing", shipping_amount=5, grand_total=73.9)
        workers.start(threads=2)
        assert run(pipeline_env, runs, "magento2_to_mailchimp_order").counts["loaded"] == 1
        number = order["increment_id"]
        assert [line["id"] for line in chimp.store().orders[number]["lines"]] == [
            "WS12-M-Orange", "MUG-LOGO", "BOOK-1"]

        # The shop drops the mug (an order edit) and the book goes to two copies.
        with shop.lock:
            order["items"] = [item for item in order["items"] if item["sku"] != "MUG-LOGO"]
            next(item for item in order["items"] if item["sku"] == "BOOK-1").update(qty_ordered=2, row_total=28.0)
            order.update(grand_total=78.0, updated_at="2030-01-01 00:00:00")
        start = len(chimp.requests)
        assert run(pipeline_env, runs, "magento2_to_mailchimp_order").counts["loaded"] == 1

        stored = chimp.store().orders[number]
        assert [(line["id"], line["quantity"]) for line in stored["lines"]] == [("WS12-M-Orange", 2), ("BOOK-1", 2)]
        assert stored["order_total"] == 78.0
        assert ("DELETE", f"{number}/lines/MUG-LOGO") in order_requests(chimp, start)
        assert not any(method == "POST" for method, _ in order_requests(chimp, start))  # changed, not re-created
        assert chimp.violations == []

        # A third run with nothing changed in the shop deletes nothing more.
        with shop.lock:
            order.update(updated_at="2030-01-02 00:00:00")
        start = len(chimp.requests)
        assert run(pipeline_env, runs, "magento2_to_mailchimp_order").counts["loaded"] == 1
        assert not any(method == "DELETE" for method, _ in order_requests(chimp, start))
        assert len(chimp.store().orders[number]["lines"]) == 2
