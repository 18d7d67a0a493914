"""What Redis keeps stays bounded: the runs list, dead letters' index and the ledger forget old entries."""

from __future__ import annotations

import fakeredis

from pipeline.books import Books, Failure, LoadOutcomes
from pipeline.settings import Settings

DAY = 86_400


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def books(clock: Clock, **environ) -> tuple[Books, fakeredis.FakeRedis]:
    client = fakeredis.FakeRedis()
    return Books(client, Settings.from_env({"PIPELINE_NAMESPACE": "t", **environ}), clock=clock), client


def test_the_runs_list_forgets_runs_older_than_twice_the_status_ttl_and_unfinished_runs_expire():
    clock = Clock()
    kept, client = books(clock, PIPELINE_STATUS_TTL=str(DAY))
    kept.runs.start("old", "erp", "changed")
    assert 0 < client.ttl("t:run:old") <= 2 * DAY  # never finished: still bounded

    clock.now += 3 * DAY
    kept.runs.start("new", "erp", "changed")

    assert client.zrange("t:runs", 0, -1) == [b"new"]


def test_ledger_keys_without_an_outcome_for_the_retention_period_are_forgotten():
    clock = Clock()
    kept, client = books(clock, PIPELINE_LEDGER_RETENTION_S=str(30 * DAY))
    kept.runs.start("r1", "erp", "full")
    kept.loads_done("r1", "erp", LoadOutcomes(loaded=[("gone@example.com", "h1"), ("kept@example.com", "h2")]),
                    None, "b1")
    clock.now += 20 * DAY
    kept.loads_done("r1", "erp", LoadOutcomes(unchanged=["kept@example.com"]), None, "b2")
    clock.now += 20 * DAY

    assert kept.ledger.prune("erp") == 1

    assert kept.ledger.entry("erp", "gone@example.com") == {}
    assert kept.ledger.entry("erp", "kept@example.com")["loaded"]["hash"] == "h2"


def test_the_key_sent_per_source_id_is_one_entry_per_id_and_is_forgotten_with_the_ledger():
    clock = Clock()
    kept, client = books(clock, PIPELINE_LEDGER_RETENTION_S=str(30 * DAY))
    kept.runs.start("r1", "shop", "full")
    kept.loads_done("r1", "shop", LoadOutcomes(loaded=[("ada@example.com", "h1"), ("old@example.com", "h2")],
                                               sent=[("17", "ada@example.com"), ("18", "old@example.com")]),
                    None, "b1")
    clock.now += 20 * DAY
    kept.loads_done("r1", "shop", LoadOutcomes(applied=[("anon-17@example.invalid", "h3", "deleted", "")],
                                               sent=[("17", "anon-17@example.invalid")]), None, "b2")
    assert client.hlen("t:ledger:shop:sent") == 2  # overwritten per source id, never appended
    clock.now += 20 * DAY

    kept.ledger.prune("shop")

    assert kept.ledger.sent_keys("shop", ["17", "18"]) == {"17": "anon-17@example.invalid"}


def test_the_dead_letters_index_forgets_expired_letters_when_new_ones_come():
    clock = Clock()
    kept, client = books(clock, PIPELINE_DEAD_LETTER_TTL=str(DAY))
    failure = Failure(key="a@example.com", stage="load", error="no", error_type="FatalError")
    kept.runs.start("r1", "erp", "changed")
    kept.loads_done("r1", "erp", LoadOutcomes(failures=[failure]), None, "b1")
    clock.now += 2 * DAY

    kept.loads_done("r1", "erp", LoadOutcomes(failures=[Failure(key="b@example.com", stage="load", error="no",
                                                                error_type="FatalError")]), None, "b2")

    assert client.zrange("t:dead", 0, -1) == [b"erp\x1fb@example.com"]
