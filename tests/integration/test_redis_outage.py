"""Redis goes away mid-run and comes back: workers and the run recover by themselves, nothing lost or doubled.

The test runs a Redis server of its own (on a port of its own, append-only persistence, as
production needs: see the README), stops it while loads are in flight, starts it again on the
same files, and waits for the run to finish without touching anything.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from pipeline.books import Books
from pipeline.settings import Settings
from pipeline.testing.rest import RestEmulator
from tests.conftest import FIXTURES
from tests.integration.conftest import FINAL_STATES, message_states, start_run, wait_for_run, wait_until

TOKEN = "redis-outage-token"
INTEGRATION = "status_customer"  # files -> REST CRM, pages of 20
RECORDS = 1000


class RedisServer:
    """A redis-server of this test's own, with append-only persistence in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.process = folder, None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def crm():
    with RestEmulator(token=TOKEN) as emulator:
        yield emulator


def test_a_redis_outage_mid_run_ends_with_every_record_loaded_once(pipeline_env, workers, crm, own_redis,
                                                                   tmp_path, namespace):
    env = pipeline_env
    shutil.copy(FIXTURES / "integration_mappings" / f"{INTEGRATION}.yaml", env["PIPELINE_MAPPINGS_DIR"])
    env.update({"REDIS_URL": own_redis.url, "PIPELINE_STATUS_INBOX_DIR": str(tmp_path / "status_inbox"),
                "PIPELINE_CRM_URL": crm.url, "PIPELINE_CRM_TOKEN": TOKEN, "PIPELINE_RETRY_MIN_BACKOFF_MS": "200",
                # A documented setting: what a worker held at the outage is requeued within this after it.
                "PIPELINE_HEARTBEAT_TIMEOUT_MS": "5000"})
    inbox = Path(env["PIPELINE_STATUS_INBOX_DIR"]) / "customer"
    inbox.mkdir(parents=True)
    emails = [f"c{n:05d}@example.com" for n in range(RECORDS)]
    (inbox / "customers.jsonl").write_text("".join(json.dumps({"email": e, "first": "R", "last": str(n)}) + "\n"
                                                   for n, e in enumerate(emails)))
    crm.faults.latency_s = 0.005
    workers.start(threads=4)
    client = redis.Redis.from_url(own_redis.url)
    books = Books(client, Settings.from_env(env))
    run_id = start_run(env, INTEGRATION)
    deadline = time.monotonic() + 120
    while len(crm.records["customer"]) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)

    own_redis.stop()  # mid-run: loads in flight, books and acknowledgements failing
    stopped_at = len(crm.records["customer"])
    time.sleep(5)
    own_redis.start()
    summary = wait_for_run(books.runs, run_id, timeout_s=300)
    # Messages requeued after the outage may still be running when the counts are complete; they end.
    states = wait_until("every message to reach a final state", lambda: message_states(client, namespace),
                        lambda found: set(found) <= FINAL_STATES, timeout_s=120)

    assert 200 <= stopped_at < RECORDS
    assert summary.counts == {"extracted": RECORDS, "loaded": RECORDS, "skipped": 0, "failed": 0}
    assert sorted(crm.records["customer"]) == emails
    assert not client.hlen(f"{env['PIPELINE_NAMESPACE']}:ledger:{INTEGRATION}:waiting")
    assert "Redis answers again: this worker goes on as" in workers.logs()
    # nothing left running, enqueued or retrying, in the messages' records or in the run's roll-up
    assert set(states) == {"done"}, states
    assert books.runs.get(run_id).states == {"done": states["done"]}
    assert books.runs.get(run_id).status == "complete"
    print(f"\nRedis outage figures: {stopped_at} loaded when stopped, {sum(crm.writes.values()) - RECORDS} PUTs "
          f"written again (idempotent upserts), message states {states}")
