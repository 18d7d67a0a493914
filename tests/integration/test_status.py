"""Statuses, retries, dead letters, duplicates and crash safety, on real workers and a real Redis.

The target is the REST emulator, in this process, on loopback; the workers reach it over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from pipeline.books import Books
from pipeline.settings import Settings
from tests.integration.conftest import CRM_TOKEN, run_cli, start_run, status_customer_env, wait_for_run

INTEGRATION = "status_customer"
#: First retry delay of these tests; Dramatiq's jitter puts retry n within [b * 2**n / 2, b * 2**n].
BACKOFF_MS = 300



@pytest.fixture
def env(pipeline_env, crm, tmp_path):
    return status_customer_env(pipeline_env, crm, tmp_path, PIPELINE_RETRY_MIN_BACKOFF_MS=str(BACKOFF_MS),
                               PIPELINE_LOG_LEVEL="INFO")


@pytest.fixture
def books(redis_client, env):
    return Books(redis_client, Settings.from_env(env))


def customers(env, count: int, name: str = "customers.jsonl") -> list[str]:
    inbox = Path(env["PIPELINE_STATUS_INBOX_DIR"]) / "customer"
    inbox.mkdir(parents=True, exist_ok=True)
    emails = [f"c{n:05d}@example.com" for n in range(count)]
    (inbox / name).write_text("".join(json.dumps({"email": e, "first": "C", "last": str(n)}) + "\n"
                                      for n, e in enumerate(emails)))
    return emails


def message_statuses(books: Books, redis_client, namespace: str) -> list[dict]:
    keys = redis_client.scan_iter(match=f"{namespace}:msg:*", count=1000)
    return [books.messages.get(key.decode().rsplit(":", 1)[1]) for key in keys]


def test_each_message_goes_enqueued_running_done_and_the_run_rolls_up(env, workers, books, crm, redis_client,
                                                                       namespace):
    customers(env, 50)
    workers.start()

    summary = wait_for_run(books.runs, start_run(env, INTEGRATION))

    statuses = message_statuses(books, redis_client, namespace)
    # 1 extract + 3 map + 3 load messages (pages of 20), every one done, each with its timestamps
    assert sorted(s["actor"] for s in statuses) == ["extract"] + ["load"] * 3 + ["map"] * 3
    assert {s["state"] for s in statuses} == {"done"}
    for status in statuses:
        assert float(status["enqueued_at"]) <= float(status["running_at"]) <= float(status["done_at"])
        assert status["integration"] == INTEGRATION and status["attempt"] == "1"
    summary = books.runs.get(summary.run_id)
    assert summary.states == {"done": 7} and summary.status == "complete"
    # each load message names (the first ten of) its records
    shown = sorted(key for s in statuses if s["actor"] == "load" for key in json.loads(s["keys"]))
    assert len(shown) == 30 and shown[:2] == ["c00000@example.com", "c00001@example.com"]
    assert len(crm.records["customer"]) == 50


def test_a_retried_record_waits_within_the_backoff_bounds_and_ends_done(env, workers, books, crm):
    customers(env, 5)
    crm.fail_next("customer", "c00002@example.com", 503, times=3)
    workers.start()

    summary = wait_for_run(books.runs, start_run(env, INTEGRATION))

    assert summary.counts == {"extracted": 5, "loaded": 5, "skipped": 0, "failed": 0}
    in_batch, alone, retry_1, retry_2 = crm.attempts[("customer", "c00002@example.com")]
    # Split out of its batch at once, then Dramatiq's backoff with jitter: [b/2, b], then [b, 2b]
    assert BACKOFF_MS / 2000 <= retry_1 - alone <= BACKOFF_MS / 1000 + 3
    assert BACKOFF_MS / 1000 <= retry_2 - retry_1 <= 2 * BACKOFF_MS / 1000 + 3
    assert crm.writes[("customer", "c00002@example.com")] == 1
    assert books.ledger.entry(INTEGRATION, "c00002@example.com")["last"]["status"] == "done"


def test_retry_after_is_honoured(env, workers, books, crm):
    customers(env, 2)
    crm.fail_next("customer", "c00001@example.com", 429, times=2, retry_after=1)
    workers.start()

    wait_for_run(books.runs, start_run(env, INTEGRATION))

    first, second, third = crm.attempts[("customer", "c00001@example.com")]
    assert second - first >= 1.0 and third - second >= 1.0


def test_a_permanent_error_is_not_retried_and_becomes_a_dead_letter(env, workers, books, crm):
    customers(env, 3)
    crm.fail_next("customer", "c00001@example.com", 400)
    workers.start()

    summary = wait_for_run(books.runs, start_run(env, INTEGRATION))

    assert summary.counts == {"extracted": 3, "loaded": 2, "skipped": 0, "failed": 1}
    assert summary.status == "partial"  # finished; one record failed, the run did not
    assert len(crm.attempts[("customer", "c00001@example.com")]) == 1
    letter = books.dead_letters.get(INTEGRATION, "c00001@example.com")
    assert (letter.failure.stage, letter.failure.error_type) == ("load", "FatalError")
    assert letter.failure.error == (f"rest:crm answered HTTP 400 to PUT {crm.url}/customer/c00001%40example.com: "
                                    "Scripted failure 400.")
    assert letter.failure.record["data"] == {"email": "c00001@example.com", "first_name": "C", "last_name": "1"}


def test_a_record_out_of_retries_is_dead_lettered_and_its_run_finishes(env, workers, books, crm):
    customers(env, 3)
    crm.fail_next("customer", "c00000@example.com", 502, times=20)
    env["PIPELINE_RETRY_MIN_BACKOFF_MS"] = "20"
    workers.start()

    summary = wait_for_run(books.runs, start_run(env, INTEGRATION))

    assert summary.counts["failed"] == 1 and summary.counts["loaded"] == 2
    # one attempt in its batch, then 1 + max_retries (3) alone
    assert len(crm.attempts[("customer", "c00000@example.com")]) == 5
    letter = books.dead_letters.get(INTEGRATION, "c00000@example.com")
    assert letter.attempts == 4 and letter.failure.error.startswith("RetryableError: rest:crm answered HTTP 502")
    assert books.runs.get(summary.run_id).states["failed"] == 1


def test_dead_letters_are_retried_back_to_done_and_keep_their_history(env, workers, books, crm):
    customers(env, 3)
    crm.fail_next("customer", "c00001@example.com", 400, times=2)
    workers.start()
    first = wait_for_run(books.runs, start_run(env, INTEGRATION))
    assert first.counts["failed"] == 1

    listed = run_cli(env, "dead-letters", "list", "--integration", INTEGRATION).stdout
    assert "c00001@example.com  [load] FatalError: rest:crm answered HTTP 400" in listed
    retried = run_cli(env, "dead-letters", "retry", "c00001@example.com", "--integration", INTEGRATION).stdout
    second = wait_for_run(books.runs, retried.split()[-1].rstrip("."))
    # it failed again (the CRM still refuses): one more failure in its history
    assert second.counts == {"extracted": 1, "loaded": 0, "skipped": 0, "failed": 1}
    history = books.dead_letters.get(INTEGRATION, "c00001@example.com").history
    assert [event["event"] for event in history] == ["failed", "retried", "failed"]

    third = wait_for_run(books.runs, run_cli(env, "dead-letters", "retry", "--all").stdout.split()[-1].rstrip("."))

    assert third.counts == {"extracted": 1, "loaded": 1, "skipped": 0, "failed": 0}
    assert books.dead_letters.get(INTEGRATION, "c00001@example.com") is None
    assert books.ledger.entry(INTEGRATION, "c00001@example.com")["last"]["status"] == "done"
    assert crm.writes[("customer", "c00001@example.com")] == 1


def test_unchanged_records_are_skipped_and_duplicate_enqueues_too(env, workers, books, crm):
    customers(env, 30)
    # Two runs enqueued before any worker: the second extraction finds the first's records still waiting.
    first_id = start_run(env, INTEGRATION)
    second_id = start_run(env, INTEGRATION, "--mode", "full", "--tier", "normal")  # same queue: FIFO
    env["PIPELINE_BATCH_SIZE"] = "100"
    workers.start(threads=1)

    first, second = wait_for_run(books.runs, first_id), wait_for_run(books.runs, second_id)
    third = wait_for_run(books.runs, start_run(env, INTEGRATION, "--mode", "full"))

    assert first.counts == {"extracted": 30, "loaded": 30, "skipped": 0, "failed": 0}
    assert second.counts == {"extracted": 30, "loaded": 0, "skipped": 30, "failed": 0}  # duplicates
    assert third.counts == {"extracted": 30, "loaded": 0, "skipped": 30, "failed": 0}  # unchanged
    assert books.ledger.entry(INTEGRATION, "c00003@example.com")["last"]["error"] == "unchanged"
    assert set(crm.writes.values()) == {1}


def test_an_entity_can_be_looked_up_in_one_command(env, workers, books, crm):
    customers(env, 2)
    workers.start()
    run_id = start_run(env, INTEGRATION)
    wait_for_run(books.runs, run_id)

    shown = json.loads(run_cli(env, "entity", INTEGRATION, "c00001@example.com").stdout)

    assert shown["last"]["status"] == "done" and shown["last"]["run_id"] == run_id
    assert shown["loaded"]["run_id"] == run_id and "waiting" not in shown
    status = run_cli(env, "status", run_id).stdout
    assert "status complete: extracted 2, loaded 2, skipped 0, failed 0." in status


def test_a_sigkilled_workers_messages_are_finished_by_another_and_loaded_once_with_default_settings(
        env, workers, books, crm, redis_client, namespace):
    # Default broker settings: a 60 s heartbeat timeout, Dramatiq's own maintenance chance. The
    # killed worker's messages come back through pipeline.flow.recovery, within 1.5 heartbeat timeouts.
    emails = customers(env, 1200)
    crm.faults.latency_s = 0.004
    assert not any(name.startswith(("PIPELINE_HEARTBEAT", "PIPELINE_MAINTENANCE")) for name in env)
    doomed = workers.start(threads=2)
    run_id = start_run(env, INTEGRATION)
    deadline = time.monotonic() + 60
    while len(crm.records["customer"]) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)

    os.killpg(doomed.pid, signal.SIGKILL)  # mid-run: loads in flight, messages unacknowledged
    killed_at = len(crm.records["customer"])
    workers.start(threads=2)
    summary = wait_for_run(books.runs, run_id, timeout_s=600)

    assert 100 <= killed_at < 1200
    assert summary.counts == {"extracted": 1200, "loaded": 1200, "skipped": 0, "failed": 0}
    assert sorted(crm.records["customer"]) == emails  # every record at the target, once (upsert by key)
    ledger = books.redis.hgetall(f"{namespace}:ledger:{INTEGRATION}:last")
    assert len(ledger) == 1200 and {json.loads(v)["status"] for v in ledger.values()} <= {"done", "skipped"}
    assert not books.redis.hlen(f"{namespace}:ledger:{INTEGRATION}:waiting")
    # status and ledger agree: no message left running or waiting once the run is done
    assert {s["state"] for s in message_statuses(books, redis_client, namespace)} == {"done"}
    # The killed worker's unacknowledged messages were all requeued: no worker holds any. (Our recovery
    # pass usually does it and says so; Dramatiq's own maintenance, on 1 fetch in 1,000, may come first.)
    assert not list(redis_client.scan_iter(match=f"{namespace}-dramatiq:__acks__.*", count=1000))


def test_no_secret_reaches_logs_statuses_or_dead_letters(env, workers, books, crm, redis_client, namespace):
    customers(env, 3)
    # A vendor that echoes the credential back in its error body: it must be masked everywhere we keep it.
    crm.fail_next("customer", "c00000@example.com", 400)
    crm.scripted[("customer", "c00000@example.com")] = [(400, None)]
    original = crm.put_record

    def echoing(request, entity, key):
        response = original(request, entity, key)
        if response.status == 400:
            response.body = {"message": f"Token {CRM_TOKEN} is not allowed to write {key}."}
        return response

    crm._routes = [(m, p, echoing if h == original else h) for m, p, h in crm._routes]
    crm.fail_next("customer", "c00001@example.com", 503, times=2)
    env["PIPELINE_LOG_FORMAT"] = "json"
    workers.start()

    summary = wait_for_run(books.runs, start_run(env, INTEGRATION))

    assert summary.counts["failed"] == 1
    letter = books.dead_letters.get(INTEGRATION, "c00000@example.com")
    assert letter.failure.error.endswith("Token *** is not allowed to write c00000%40example.com.")
    stored = b"".join(redis_client.dump(key) or b"" for key in redis_client.scan_iter(match=f"{namespace}*"))
    workers.stop()
    logs = workers.logs()
    assert '"event": "message_state"' in logs  # JSON lines were written
    assert CRM_TOKEN not in logs and CRM_TOKEN.encode() not in stored
