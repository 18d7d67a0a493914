"""What failures and late messages leave in Redis stays bounded, with real worker processes.

A dead letter retried again and again keeps only its newest ``PIPELINE_DEAD_LETTER_HISTORY`` events;
a load or map message delivered long after its run finished (its keys expired meanwhile) writes only
keys that expire again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.app import App
from pipeline.books import Books
from pipeline.books.batches import mapped_as
from pipeline.settings import Settings
from tests.integration.conftest import run_cli, start_run, status_customer_env, wait_for_run, wait_until

INTEGRATION = "status_customer"  # a drop folder pushed to a REST CRM, pages of 20 records
REFUSED = "refused@example.com"



@pytest.fixture
def env(pipeline_env, crm, tmp_path):
    return status_customer_env(pipeline_env, crm, tmp_path, PIPELINE_DEAD_LETTER_HISTORY="3")


def write_customers(env: dict[str, str], emails: list[str]) -> None:
    inbox = Path(env["PIPELINE_STATUS_INBOX_DIR"]) / "customer"
    inbox.mkdir(parents=True)
    (inbox / "customers.jsonl").write_text("".join(json.dumps({"email": e, "first": "B", "last": "S"}) + "\n"
                                                   for e in emails))


def test_a_dead_letter_retried_many_times_keeps_only_its_newest_history(env, workers, crm, redis_client):
    write_customers(env, ["kept@example.com", REFUSED])
    crm.fail_next("customer", REFUSED, 422, times=100)  # refused for good, however often it is retried
    books = Books(redis_client, Settings.from_env(env))
    workers.start(threads=2)
    runs = [start_run(env, INTEGRATION)]
    assert wait_for_run(books.runs, runs[0], timeout_s=120).counts["failed"] == 1
    for _ in range(3):
        retried = run_cli(env, "dead-letters", "retry", "--all").stdout.split()[-1].rstrip(".")
        assert wait_for_run(books.runs, retried, timeout_s=120).counts == {
            "extracted": 1, "loaded": 0, "skipped": 0, "failed": 1}
        runs.append(retried)

    letter = books.dead_letters.get(INTEGRATION, REFUSED)
    # 7 events happened (a failure, then 3 x retried + failed); the newest 3 are kept, oldest first
    assert [(event["event"], event["run_id"]) for event in letter.history] == [
        ("failed", runs[2]), ("retried", runs[3]), ("failed", runs[3])]
    assert "422" in letter.history[-1]["error"]
    history_key = f"{env['PIPELINE_NAMESPACE']}:dead:{INTEGRATION}:{REFUSED}:history"
    assert redis_client.llen(history_key) == 3 and redis_client.ttl(history_key) > 0


def run_then_expire(env, workers, redis_client, namespace: str, emails: list[str]) -> tuple[Books, str]:
    """A run of ``emails`` loaded through real workers, then all its keys deleted, as if its TTL had passed."""
    write_customers(env, emails)
    books = Books(redis_client, Settings.from_env(env))
    workers.start(threads=2)
    run_id = start_run(env, INTEGRATION)
    assert wait_for_run(books.runs, run_id, timeout_s=120).counts["loaded"] == len(emails)
    run_keys = list(redis_client.scan_iter(match=f"{namespace}:run:{run_id}*", count=1000))
    assert run_keys and all(redis_client.ttl(key) > 0 for key in run_keys)
    redis_client.delete(*run_keys)
    return books, run_id


def run_keys_after(books: Books, late, redis_client, namespace: str, run_id: str) -> list[str]:
    """The run's keys once the ``late`` message ended done."""
    status = wait_until(f"the late {late.actor_name} {late.message_id} to end",
                        lambda: books.messages.get(late.message_id),
                        lambda found: (found or {}).get("state") in ("done", "failed"))
    assert status["state"] == "done", status
    return sorted(key.decode() for key in redis_client.scan_iter(match=f"{namespace}:run:{run_id}*", count=1000))


def test_a_load_delivered_after_its_run_expired_leaves_only_keys_that_expire(env, workers, crm, redis_client,
                                                                             namespace):
    emails = [f"late{n}@example.com" for n in range(5)]
    books, run_id = run_then_expire(env, workers, redis_client, namespace, emails)

    # A redelivery of one of its pages long after (a worker's acks requeued days later), one record now refused.
    crm.fail_next("customer", emails[0], 422)
    app = App.from_env(env)
    items = [{"key": email, "data": {"email": email, "first_name": "B", "last_name": "Late"}, "native": {}}
             for email in emails]
    late = app.chains["normal"].send("load", app.integration(INTEGRATION),
                                     {"run_id": run_id, "items": items, "batch": "late-page"}, batch="late-page")
    written = run_keys_after(books, late, redis_client, namespace, run_id)
    assert f"{namespace}:run:{run_id}" in written and f"{namespace}:run:{run_id}:failures" in written
    assert {key: redis_client.ttl(key) for key in written if redis_client.ttl(key) < 0} == {}


def test_a_map_delivered_after_its_run_expired_leaves_only_keys_that_expire(env, workers, crm, redis_client,
                                                                            namespace):
    emails = [f"late-map{n}@example.com" for n in range(3)]
    books, run_id = run_then_expire(env, workers, redis_client, namespace, emails)

    # A redelivery of one of its pages long after, whose records now all fail to map (no email): the map
    # step's own books are all it writes, no load follows whose books would set the TTLs instead.
    app = App.from_env(env)
    records = [{"first": "B", "last": "Late"} for _ in emails]
    late = app.chains["normal"].send("map", app.integration(INTEGRATION),
                                     {"run_id": run_id, "records": records, "batch": "late-map-page"},
                                     batch="late-map-page", booked_as=mapped_as("late-map-page"))
    written = run_keys_after(books, late, redis_client, namespace, run_id)
    assert {f"{namespace}:run:{run_id}", f"{namespace}:run:{run_id}:booked",
            f"{namespace}:run:{run_id}:failures"} <= set(written), written
    assert redis_client.hget(f"{namespace}:run:{run_id}", "failed") == str(len(records)).encode()
    assert {key: redis_client.ttl(key) for key in written if redis_client.ttl(key) < 0} == {}
