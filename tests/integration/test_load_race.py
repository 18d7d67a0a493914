"""Two deliveries of one page loading at once (one redelivered after a crash) count each record once."""

from __future__ import annotations

from pipeline.app import App
from pipeline.books import payload_hash
from pipeline.flow.steps import Job, Outbox, load_records
from pipeline.settings import Settings
from pipeline.systems.memory import memory_store, reset_memory_stores
from tests.conftest import FIXTURES, REDIS_URL

RECORDS = [{"email": f"c{n}@example.com", "first": f"C{n}", "last": "Test"} for n in range(3)]


class LoadsTheOtherFirst:
    """The target as the second delivery sees it: the first delivery loads and books the whole page
    while the second is still loading, then the second's load finds one record busy (retryable)."""

    def __init__(self, target, first_delivery) -> None:
        self.target, self.first_delivery = target, first_delivery

    def load(self, entity, items):
        self.first_delivery()
        memory_store("shop").faults[("customer", "c1@example.com")] = [LookupError("busy, try again")]
        return self.target.load(entity, items)


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

    real_target = integration.target

    def first_delivery() -> None:
        seen_by_second, integration.__dict__["target"] = integration.target, real_target
        try:
            load_records(Job(integration, app.books, "run-1", message_id="first"), items, outbox, "page-1")
        finally:
            integration.__dict__["target"] = seen_by_second

    second = Job(integration, app.books, "run-1", message_id="second")
    integration.__dict__["target"] = LoadsTheOtherFirst(real_target, first_delivery)
    try:
        load_records(second, items, outbox, "page-1")
    finally:
        integration.__dict__["target"] = real_target
    for item, batch in alone:  # whatever went on alone is loaded, as its own messages would be
        load_records(Job(integration, app.books, "run-1", message_id="alone"), [item], outbox, batch, alone=True)

    assert app.runs.get("run-1").counts == {"extracted": 3, "loaded": 3, "skipped": 0, "failed": 0}
    assert alone == []  # the first delivery loaded every record: nothing to send on alone
    assert memory_store("shop").loaded["customer"].keys() == {record["email"] for record in RECORDS}
    reset_memory_stores()
