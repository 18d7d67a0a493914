"""Two deliveries of one page loading at once (one redelivered after a crash) count each record once."""

from __future__ import annotations

from pipeline.app import App
from pipeline.books import payload_hash
from pipeline.flow.steps import Job, Outbox, load_records
from pipeline.settings import Settings
from pipeline.systems.memory import memory_store, reset_memory_stores
from tests.conftest import FIXTURES, REDIS_URL

RECORDS = [{"email": f"c{n}@example.com", "first": f"C{n}", "last": "Test"} for n in range(3)]


def test_only_the_first_delivery_to_book_a_page_sends_records_on_alone(namespace):
    reset_memory_stores()
    app = App(Settings.from_env({"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": namespace,
                                 "PIPELINE_MAPPINGS_DIR": str(FIXTURES / "unit_mappings")}))
    integration = app.integrations["memory_customer"]
    items = [integration.mapper.map(record).as_message() for record in RECORDS]
    for item in items:
        item["hash"] = payload_hash([item["data"], item["native"]])
    app.runs.start("run-1", integration.name, "full")
    app.books.extracted("run-1", len(items), "extract-1:0")
    alone: list[tuple[dict, str]] = []
    outbox = Outbox(send_map=None, send_load=None,
                    send_load_alone=lambda item, error, batch: alone.append((item, batch)))

    shop = memory_store("shop")

    def first_delivery_loads_meanwhile(entity: str) -> None:
        # The second delivery has read the page unbooked; now the first loads and books it whole, and then
        # the second's own load finds one record busy (retryable), which it splits out.
        shop.before_load = None
        load_records(Job(integration, app.books, "run-1", message_id="first"), items, outbox, "page-1")
        shop.faults[("customer", "c1@example.com")] = [LookupError("busy, try again")]

    shop.before_load = first_delivery_loads_meanwhile
    load_records(Job(integration, app.books, "run-1", message_id="second"), items, outbox, "page-1")
    for item, batch in alone:  # whatever went on alone is loaded, as its own messages would be
        load_records(Job(integration, app.books, "run-1", message_id="alone"), [item], outbox, batch, alone=True)

    assert app.runs.get("run-1").counts == {"extracted": 3, "loaded": 3, "skipped": 0, "failed": 0}
    assert alone == []  # the first delivery loaded every record: nothing to send on alone
    assert memory_store("shop").loaded["customer"].keys() == {record["email"] for record in RECORDS}
    reset_memory_stores()
