"""An idle consumer of our Redis broker is woken by the enqueue, not by its next poll."""

from __future__ import annotations

import threading

import pytest
from dramatiq import Message

from pipeline.flow.broker import WAKE_UPS_KEPT, PipelinedRedisBroker
from tests.conftest import REDIS_URL


@pytest.fixture
def broker(namespace):
    found = PipelinedRedisBroker(url=REDIS_URL, namespace=f"{namespace}-dramatiq")
    found.declare_queue("urgent")
    yield found
    found.close()


def take_one_in_a_thread(consumer) -> tuple[threading.Thread, list]:
    """A thread taking (and acking) the consumer's next message; the list it puts the message in."""
    received: list = []

    def consume() -> None:
        for message in consumer:
            if message is not None:
                received.append(message)
                consumer.ack(message)
                return

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    return thread, received


def test_an_idle_consumer_takes_a_new_message_long_before_its_next_poll(broker):
    # Backed off to its 120 s ceiling: a polling consumer would not look again for two minutes.
    consumer = broker.consume("urgent", prefetch=1, timeout=120_000)
    consumer.misses = 30
    thread, received = take_one_in_a_thread(consumer)
    thread.join(1.0)  # it is now blocked, idle
    assert not received

    broker.enqueue(Message(queue_name="urgent", actor_name="noop", args=(), kwargs={}, options={}))

    thread.join(30)
    assert [message.actor_name for message in received] == ["noop"]
    consumer.close()


def test_a_delayed_message_wakes_no_one_until_it_is_due(broker, redis_client):
    broker.enqueue(Message(queue_name="urgent", actor_name="noop", args=(), kwargs={}, options={}), delay=60_000)
    assert redis_client.llen(broker.wake_key("urgent")) == 0
    assert redis_client.llen(broker.wake_key("urgent.DQ")) == 0


def test_a_burst_of_sends_keeps_no_more_wake_ups_than_idle_consumers_need_and_they_expire(broker, redis_client):
    for _ in range(WAKE_UPS_KEPT + 10):
        broker.enqueue(Message(queue_name="urgent", actor_name="noop", args=(), kwargs={}, options={}))
    assert redis_client.llen(broker.wake_key("urgent")) == WAKE_UPS_KEPT
    assert 0 < redis_client.pttl(broker.wake_key("urgent")) <= 60_000


@pytest.mark.parametrize("end", ["ack", "nack"])
def test_a_consumer_with_a_full_prefetch_fetches_again_as_soon_as_a_message_ends(broker, end):
    for n in range(2):
        broker.enqueue(Message(queue_name="urgent", actor_name=f"page-{n}", args=(), kwargs={}, options={}))
    # Backed off to its 120 s ceiling: the stock consumer, its prefetch full, would sleep that long
    # before looking again, while the thread that just finished its message waits for work.
    consumer = broker.consume("urgent", prefetch=1, timeout=120_000)
    first = next(message for message in consumer if message is not None)
    consumer.misses = 30
    thread, received = take_one_in_a_thread(consumer)
    thread.join(1.0)  # it is now waiting: its one slot of prefetch is taken by the first message
    assert not received

    getattr(consumer, end)(first)

    thread.join(30)
    assert [message.actor_name for message in received] == ["page-1"]
    consumer.close()
