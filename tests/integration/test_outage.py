"""A target down for longer than the retry budget, then back: handled as an outage, nothing lost or doubled.

While the target answers nothing but 503s, each page is retried whole (no record split out on
its own), each attempt stops sending after a few records found the target down, and the connection's
circuit breaker holds the other pages back (a wait, not an attempt); once the retries are
spent the records are dead letters, and an operator's ``dead-letters retry --all`` loads them all,
each once, after the target is back. The logs carry one line per failed attempt, no traceback,
and no record's data.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from pipeline.books import Books
from pipeline.settings import Settings
from pipeline.systems.base import DOWN_AFTER
from tests.integration.conftest import run_cli, start_run, status_customer_env, wait_for_run

INTEGRATION = "status_customer"  # files -> REST CRM, pages of 20, max_retries 3
MAX_RETRIES = 3
RECORDS = 400



@pytest.fixture
def env(pipeline_env, crm, tmp_path):
    # The breaker stays open up to the maximum backoff: waits do not use up retries, so without a
    # short maximum the pages would wait out openings of up to 10 minutes before their last attempt.
    return status_customer_env(pipeline_env, crm, tmp_path, PIPELINE_RETRY_MIN_BACKOFF_MS="200",
                               PIPELINE_RETRY_MAX_BACKOFF_MS="1500")


def test_an_outage_longer_than_the_retry_budget_ends_with_every_record_loaded_once(env, workers, crm, redis_client,
                                                                                   namespace):
    inbox = Path(env["PIPELINE_STATUS_INBOX_DIR"]) / "customer"
    inbox.mkdir(parents=True)
    emails = [f"c{n:05d}@example.com" for n in range(RECORDS)]
    (inbox / "customers.jsonl").write_text("".join(json.dumps({"email": e, "first": "Outage", "last": str(n)}) + "\n"
                                                   for n, e in enumerate(emails)))
    books = Books(redis_client, Settings.from_env(env))
    crm.faults.error_rate = 1.0  # down: every request answered 503
    workers.start(threads=4)

    down = wait_for_run(books.runs, start_run(env, INTEGRATION), timeout_s=300)

    assert down.counts == {"extracted": RECORDS, "loaded": 0, "skipped": 0, "failed": RECORDS}
    statuses = [books.messages.get(key.decode().rsplit(":", 1)[1])
                for key in redis_client.scan_iter(match=f"{namespace}:msg:*", count=1000)]
    loads = [status for status in statuses if status["actor"] == "load"]
    assert len(loads) == RECORDS // 20  # pages retried whole: no record split out on its own
    assert {status["state"] for status in loads} == {"failed"}
    # A page that waited for the open breaker used up no retry: every page made all its attempts.
    assert {int(status["attempts"]) for status in loads} == {MAX_RETRIES + 1}
    waits = sum(int(status.get("waits", 0)) for status in loads)
    assert waits > 0  # the breaker did open and hold pages back
    attempts = sum(int(status["attempts"]) for status in loads)
    puts = [request for request in crm.requests if request.method == "PUT"]
    # Each attempt stopped sending once DOWN_AFTER records in a row found the target down: the
    # rest of its page was not sent (and waits sent nothing).
    assert len(puts) == attempts * DOWN_AFTER
    # every attempt of every page sent its first record
    firsts = Counter(unquote(request.path.rsplit("/", 1)[-1]) for request in puts)
    assert {firsts[f"c{page * 20:05d}@example.com"] for page in range(RECORDS // 20)} == {MAX_RETRIES + 1}
    print(f"\noutage figures: {len(loads)} pages, {attempts} attempts, {waits} waits, {len(puts)} PUT requests "
          f"for {RECORDS} records")
    letter = books.dead_letters.get(INTEGRATION, "c00000@example.com")
    assert letter.failure.stage == "load" and "503" in letter.failure.error

    crm.faults.error_rate = 0.0  # back
    retried = run_cli(env, "dead-letters", "retry", "--all").stdout
    up = wait_for_run(books.runs, retried.split()[-1].rstrip("."), timeout_s=300)

    assert up.counts == {"extracted": RECORDS, "loaded": RECORDS, "skipped": 0, "failed": 0}
    assert sorted(crm.records["customer"]) == emails
    assert {crm.writes[("customer", email)] for email in emails} == {1}  # none twice
    assert not books.dead_letters.list(integration=INTEGRATION)
    workers.stop()
    logs = workers.logs()
    assert "Traceback" not in logs
    assert "'first': 'Outage'" not in logs and '"first": "Outage"' not in logs  # no record logged whole
    # at most one warning per failed attempt, each one line
    warnings = [line for line in logs.splitlines() if "[WARNING]" in line or "[ERROR]" in line]
    assert len(warnings) <= attempts
    assert all(line.startswith("[") for line in logs.splitlines())
