"""A page's count, its message's status and the message itself reach Redis together, in that order."""

from __future__ import annotations

import dramatiq
import pytest

from pipeline.books import Books
from pipeline.flow.broker import PipelinedRedisBroker
from pipeline.settings import Settings
from tests.conftest import REDIS_URL


@pytest.fixture
def broker(namespace):
    found = PipelinedRedisBroker(url=REDIS_URL, namespace=f"{namespace}-dramatiq")
    yield found
    found.close()


def test_a_pages_books_and_message_go_out_together_when_the_round_trip_ends(redis_client, namespace, broker):
    books = Books(redis_client, Settings.from_env({"PIPELINE_NAMESPACE": namespace}))
    books.runs.start("run-1", "demo", "full")

    @dramatiq.actor(broker=broker, queue_name="pages", actor_name="page")
    def page(records):
        pass

    queue = f"{namespace}-dramatiq:pages.msgs"
    with broker.round_trip(redis_client):
        books.extracted("run-1", 100, "extract-1:0")
        message = page.send([{"n": 1}])
        books.messages.transition(message.message_id, "enqueued", "run-1")
        # Nothing has left yet: the three writes wait for the one round trip.
        assert redis_client.hlen(queue) == 0
        assert int(redis_client.hget(books.runs.key("run-1"), "extracted")) == 0

    assert redis_client.hlen(queue) == 1
    assert int(redis_client.hget(books.runs.key("run-1"), "extracted")) == 100
    assert books.messages.get(message.message_id)["state"] == "enqueued"


def test_a_broker_on_another_database_sends_at_once_outside_the_round_trip(redis_client, namespace):
    other = PipelinedRedisBroker(url=REDIS_URL.rsplit("/", 1)[0] + "/1", namespace=f"{namespace}-dramatiq")

    @dramatiq.actor(broker=other, queue_name="pages", actor_name="page")
    def page(records):
        pass

    try:
        with other.round_trip(redis_client):
            page.send([{"n": 1}])
            assert other.client.hlen(f"{namespace}-dramatiq:pages.msgs") == 1
    finally:
        keys = list(other.client.scan_iter(match=f"{namespace}*"))
        if keys:
            other.client.delete(*keys)
        other.close()
