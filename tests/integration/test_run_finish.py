"""A run is finished only when every message of it is final, not when its counts alone say so.

Real workers, the real command line and REST emulators: a page still loading when the extraction
failed for good, and a page whose books were written by a worker that died before acknowledging it,
each keep their run unfinished until they end. The in-flight books themselves (``books.inflight``)
are checked on real Redis for what no worker can be made to do on cue: two copies of one message
running at once, and an end whose write was lost.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pipeline.books import Books
from pipeline.crash_points import CRASH_EXIT_CODE
from pipeline.flow.consumers import ConsumerRegistry
from pipeline.settings import Settings
from pipeline.testing.rest import RestEmulator
from tests.integration.conftest import (message_states, run_cli, start_run, status_customer_env, wait_for_run,
                                       wait_until)
from tests.integration.test_crash_points import INTEGRATION, write_customers

ERP_TOKEN = "finish-erp-token"
MAPPING = """\
connector: customer_push
source: {system: rest, connection: erp}
target: {system: rest, connection: crm}
fields:
  email: email
  first_name: first
  last_name: last
options: {batch_size: 2, max_retries: 0}
"""



@pytest.fixture
def erp():
    with RestEmulator(token=ERP_TOKEN) as emulator:
        yield emulator


def _status(env, run_id: str) -> dict:
    return json.loads(run_cli(env, "status", run_id, "--json", check=False).stdout)


def test_a_page_still_loading_when_the_extraction_failed_keeps_its_run_unfinished(pipeline_env, workers, runs,
                                                                                   erp, crm):
    (Path(pipeline_env["PIPELINE_MAPPINGS_DIR"]) / "erp_to_crm_customer.yaml").write_text(MAPPING)
    pipeline_env.update({"PIPELINE_ERP_URL": erp.url, "PIPELINE_ERP_TOKEN": ERP_TOKEN,
                         "PIPELINE_CRM_URL": crm.url, "PIPELINE_CRM_TOKEN": crm.token})
    erp.seed("customer", [{"email": f"p{n}@example.com", "first": "P", "last": str(n)} for n in range(4)])
    erp.refuse_lists_after("customer", 1, 403)  # the first page is read; the second is refused for good
    held = crm.hold("customer", "p1@example.com")
    workers.start(threads=2)

    run_id = start_run(pipeline_env, "erp_to_crm_customer")
    assert held.arrived.wait(120), "the first page's load never reached the CRM"
    wait_until(f"run {run_id} to record its extraction's error", lambda: runs.get(run_id),
               lambda run: bool(run.error))
    while_loading = _status(pipeline_env, run_id)
    held.release()
    finished = wait_for_run(runs, run_id)
    after = _status(pipeline_env, run_id)

    assert "403" in while_loading["error"]
    assert (while_loading["finished"], while_loading["status"]) == (False, "failed")
    assert while_loading["states"]["running"] == 1  # the load of the first page
    assert sorted(crm.records["customer"]) == ["p0@example.com", "p1@example.com"]
    # finished once the page loaded, with its records counted; failed, as its extraction did
    assert finished.counts == {"extracted": 2, "loaded": 2, "skipped": 0, "failed": 0}
    assert (after["finished"], after["status"], after["states"]) == (True, "failed", {"done": 2, "failed": 1})


def test_a_page_whose_books_are_written_is_waited_for_until_its_message_ends(pipeline_env, workers, runs,
                                                                             crm, redis_client, namespace,
                                                                             tmp_path):
    env = status_customer_env(pipeline_env, crm, tmp_path, PIPELINE_HEARTBEAT_TIMEOUT_MS="3000")
    records = write_customers(env)
    books = Books(redis_client, Settings.from_env(env))
    workers.env = {**env, "PIPELINE_TEST_CRASH_AT": "load.after_books"}
    doomed = workers.start(threads=1)
    workers.env = env

    run_id = start_run(env, INTEGRATION)
    assert doomed.wait(timeout=120) == CRASH_EXIT_CODE
    counted = _status(env, run_id)
    workers.start(threads=2)
    finished = wait_for_run(runs, run_id, timeout_s=180)

    # The dead worker booked its page and did not acknowledge it: counted, not finished.
    assert counted["finished"] is False
    assert counted["counts"]["loaded"] >= 20 and counted["states"].get("done", 0) >= 1
    assert finished.counts == {"extracted": len(records), "loaded": len(records), "skipped": 0, "failed": 0}
    # Finished only once every message ended: none is left running or waiting.
    assert set(message_states(redis_client, namespace)) == {"done"}
    assert books.inflight.entries(run_id) == {}


# The in-flight books on real Redis, driven through the status middleware's own store.

#: A worker silent this long is dead; an entry the broker no longer holds is dropped once this old.
TIMEOUT_MS = 2000


def _books_and_workers(redis_client, namespace: str) -> tuple[Books, ConsumerRegistry, ConsumerRegistry]:
    settings = Settings.from_env({"PIPELINE_NAMESPACE": namespace, "PIPELINE_BROKER_URL": "stub://",
                                  "PIPELINE_HEARTBEAT_TIMEOUT_MS": str(TIMEOUT_MS)})
    books = Books(redis_client, settings)
    first, second = (ConsumerRegistry(client=redis_client, namespace=namespace, timeout_ms=TIMEOUT_MS)
                     for _ in range(2))
    return books, first, second


def _counted_run(books: Books, run_id: str) -> None:
    books.runs.start(run_id, "any", "changed", "normal")
    with books.redis.pipeline(transaction=False) as pipe:
        books.runs.count(pipe, run_id, extracted=1, loaded=1)
        books.runs.finish_extraction(pipe, run_id, "any", None)
        pipe.execute()


def test_an_older_copy_still_running_keeps_the_run_unfinished_when_a_newer_one_ends_first(redis_client,
                                                                                           namespace):
    books, old_worker, new_worker = _books_and_workers(redis_client, namespace)
    _counted_run(books, "r1")
    messages = books.messages
    messages.transition("m1", "enqueued", "r1", in_flight=("normal", "", ""))
    messages.transition("m1", "running", "r1", in_flight=("normal", "old", old_worker.process_id))
    messages.transition("m1", "running", "r1", in_flight=("normal", "new", new_worker.process_id))
    old_worker.deliveries, new_worker.deliveries = (lambda: ["old"]), (lambda: [])
    old_worker.beat()
    new_worker.beat()

    messages.transition("m1", "done", "r1", in_flight=("normal", "new", new_worker.process_id))
    swept = books.inflight.finish_settling()
    while_old_runs = books.runs.get("r1").finished_at
    messages.transition("m1", "done", "r1", in_flight=("normal", "old", old_worker.process_id))

    assert (swept, while_old_runs) == ([], None)
    assert books.runs.get("r1").finished_at is not None


def test_an_end_whose_write_was_lost_does_not_leave_the_run_unfinished(redis_client, namespace):
    books, worker, _ = _books_and_workers(redis_client, namespace)
    _counted_run(books, "r2")
    books.messages.transition("m2", "running", "r2", in_flight=("normal", "d2", worker.process_id, "copy-2"))
    worker.deliveries = lambda: ["d2"]
    worker.beat()
    # Counted, and its last page running: not finished (the books' settle asks as the page is booked).
    assert books.inflight.finish("r2") is False and books.runs.get("r2").finished_at is None

    # The delivery ended and was acknowledged (the broker, on this database, no longer holds the
    # message); its "done" never reached Redis. The worker's next beat no longer lists it.
    books.inflight.broker_namespace = f"{namespace}-dramatiq"
    time.sleep(TIMEOUT_MS / 1000 + 0.1)  # a message entry is trusted for a heartbeat timeout (finish.lua)
    worker.deliveries = lambda: []
    worker.beat()

    assert books.inflight.finish_settling() == ["r2"]
    assert books.runs.get("r2").finished_at is not None and books.inflight.entries("r2") == {}
