"""A page's count, its message's status and the message itself reach Redis together, in that order."""

from __future__ import annotations

import dramatiq
import pytest
import redis

from pipeline.books import Books, round_trip
from pipeline.books.round_trip import deferred, execute, execute_scripts, fuse, queue_script, streamed
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


def test_scripts_queued_in_a_row_go_out_as_one_call_doing_the_same_writes_in_order(redis_client, namespace):
    append = redis_client.register_script("redis.call('RPUSH', KEYS[1], unpack(ARGV)) return redis.call('LLEN', KEYS[1])")
    stamp = redis_client.register_script("local n = redis.call('LLEN', KEYS[1]) redis.call('HSET', KEYS[2], ARGV[1], n)")
    tally = redis_client.register_script("return redis.call('INCR', KEYS[1])")
    log, seen = f"{namespace}:log", f"{namespace}:seen"
    with redis_client.pipeline(transaction=False) as pipe:
        queue_script(pipe, append, [log], ["a", "b"])
        queue_script(pipe, stamp, [log, seen], ["after-two"])
        pipe.rpush(log, "plain")  # not a script: keeps its place between the two runs of scripts
        queue_script(pipe, append, [log], ["c"])
        queue_script(pipe, stamp, [log, seen], ["after-four"])
        queue_script(pipe, tally, [f"{namespace}:tally"], [])  # no arguments at all
        fused = [args[0] for args, _ in fuse(pipe).command_stack]
        execute(pipe)

    assert fused == ["EVALSHA", "RPUSH", "EVALSHA"]
    assert redis_client.lrange(log, 0, -1) == [b"a", b"b", b"plain", b"c"]
    assert redis_client.hgetall(seen) == {b"after-two": b"2", b"after-four": b"4"}
    assert redis_client.get(f"{namespace}:tally") == b"1"


def test_a_fused_call_stops_at_the_script_that_fails_and_the_round_trip_reports_it(redis_client, namespace):
    append = redis_client.register_script("redis.call('RPUSH', KEYS[1], ARGV[1])")
    refuse = redis_client.register_script("return redis.error_reply('refused ' .. ARGV[1])")
    log = f"{namespace}:log"
    with pytest.raises(redis.ResponseError, match="refused page-2"):
        with deferred(redis_client.pipeline(transaction=False)) as pipe:
            queue_script(pipe, append, [log], ["first"])
            queue_script(pipe, refuse, [], ["page-2"])
            queue_script(pipe, append, [log], ["never"])

    assert redis_client.lrange(log, 0, -1) == [b"first"]


def test_a_lone_script_call_is_sent_as_it_is(redis_client, namespace):
    append = redis_client.register_script("redis.call('RPUSH', KEYS[1], ARGV[1])")
    pipe = redis_client.pipeline(transaction=False)
    queue_script(pipe, append, [f"{namespace}:log"], ["only"])
    assert fuse(pipe).command_stack[0][0][:2] == ("EVALSHA", append.sha)
    pipe.reset()


def _page(client, script, key, value) -> None:
    """One page's round trip, as the extract step makes it: its writes deferred, then sent."""
    with deferred(client.pipeline(transaction=False)) as pipe:
        queue_script(pipe, script, [key], [value])


def test_streamed_round_trips_all_land_and_give_their_connection_back(redis_client, namespace):
    append = redis_client.register_script("return redis.call('RPUSH', KEYS[1], ARGV[1])")
    log, pool = f"{namespace}:log", redis_client.connection_pool
    with streamed():
        for n in range(50):
            _page(redis_client, append, log, f"page-{n}")
        assert len(pool._in_use_connections) == 1  # one connection for the whole loop

    assert redis_client.lrange(log, 0, -1) == [f"page-{n}".encode() for n in range(50)]
    assert not pool._in_use_connections


def test_a_streamed_error_reply_is_raised_one_round_trip_late_or_when_the_stream_ends(redis_client, namespace):
    refuse = redis_client.register_script("return redis.error_reply('refused ' .. ARGV[1])")
    append = redis_client.register_script("return redis.call('RPUSH', KEYS[1], ARGV[1])")
    log = f"{namespace}:log"
    with pytest.raises(redis.ResponseError, match="refused page-1"):
        with streamed():
            _page(redis_client, refuse, log, "page-1")  # its reply is read at the next round trip
            _page(redis_client, append, log, "page-2")
    with pytest.raises(redis.ResponseError, match="refused last"):
        with streamed():
            _page(redis_client, append, log, "page-3")
            _page(redis_client, refuse, log, "last")  # read when the block ends

    assert redis_client.lrange(log, 0, -1) == [b"page-2", b"page-3"]
    assert not redis_client.connection_pool._in_use_connections


def test_a_streamed_connection_lost_midway_fails_the_loop_instead_of_passing_unconfirmed_pages(redis_client,
                                                                                                namespace):
    append = redis_client.register_script("return redis.call('RPUSH', KEYS[1], ARGV[1])")
    log = f"{namespace}:log"
    with pytest.raises(redis.ConnectionError):
        with streamed():
            _page(redis_client, append, log, "page-1")
            _page(redis_client, append, log, "page-2")
            (stream_connection,) = redis_client.connection_pool._in_use_connections
            host, port = stream_connection._sock.getsockname()[:2]
            redis_client.client_kill(f"{host}:{port}")  # as a Redis restart or a proxy's timeout would
            _page(redis_client, append, log, "page-3")
            _page(redis_client, append, log, "page-4")

    assert not redis_client.connection_pool._in_use_connections


def test_an_error_in_the_loop_is_the_one_reported_and_the_pages_before_it_land(redis_client, namespace):
    append = redis_client.register_script("return redis.call('RPUSH', KEYS[1], ARGV[1])")
    log = f"{namespace}:log"
    with pytest.raises(LookupError, match="the source failed"):
        with streamed():
            _page(redis_client, append, log, "page-1")
            raise LookupError("the source failed")

    assert redis_client.lrange(log, 0, -1) == [b"page-1"]
    assert not redis_client.connection_pool._in_use_connections


def test_scripts_executed_together_answer_each_for_itself_from_one_fused_script(redis_client, namespace):
    incr = redis_client.register_script("return redis.call('INCR', KEYS[1])")
    nothing = redis_client.register_script("redis.call('INCR', KEYS[1])")  # a nil reply
    pair = redis_client.register_script("return {ARGV[1], tonumber(ARGV[2])}")
    key = f"{namespace}:n"

    def queue(times):
        def calls(pipe):
            for _ in range(times):
                queue_script(pipe, incr, [key], [])
            queue_script(pipe, nothing, [key], [])
            queue_script(pipe, pair, [], ["two", 2])
        return calls

    assert execute_scripts(redis_client, queue(2)) == [1, 2, None, [b"two", 2]]
    known = dict(round_trip._fused)
    assert execute_scripts(redis_client, queue(7)) == [4, 5, 6, 7, 8, 9, 10, None, [b"two", 2]]
    assert round_trip._fused == known  # how often each script runs is an argument, not a new script
    assert execute_scripts(redis_client, lambda pipe: queue_script(pipe, incr, [key], [])) == [12]
