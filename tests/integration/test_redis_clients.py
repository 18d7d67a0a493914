"""The workers' Redis clients pack with hiredis directly: the bytes and errors of redis-py's own packer."""

from __future__ import annotations

import enum

import pytest
import redis

from pipeline import redis_clients
from pipeline.app import App
from pipeline.redis_clients import DirectPacker
from pipeline.settings import Settings
from pipeline.systems import concurrency
from pipeline.systems.concurrency import concurrency_budget
from tests.conftest import REDIS_URL

pytest.importorskip("hiredis")  # a dependency; without it the clients are redis-py's defaults


class Label(str):
    pass


class Amount(float):
    def __repr__(self) -> str:
        return "Amount(...)"


class Level(enum.IntEnum):
    HIGH = 3


class Colour(enum.StrEnum):
    RED = "red"


#: A connection of redis-py's, with its own packer (never connected: packing needs no server).
REDIS_PY = redis.Connection()
OURS = redis.Connection(command_packer=DirectPacker())

COMMANDS = [
    ("SET", "key", "value"),
    (b"SET", b"key", b"value"),
    ("HSET", "ledger", "josé@example.com", b'{"hash": "ab"}', "\u20ac\U0001d11e", "x"),
    ("EVALSHA", "0" * 40, 2, "k1", "k2", 1.5, -3, 0, 2 ** 70, 1e20, 0.1 + 0.2, 1776.6799999999998,
     float("inf"), float("nan")),
    ("SCRIPT LOAD", "return 1"),  # a subcommand in the command's name: redis-py splits it
    (b"SCRIPT LOAD", "return 1"),
    ("SET", "key", bytearray(b"bytes")),  # hiredis refuses a bytearray: redis-py's packer takes it
    ("SET", "key", memoryview(b"bytes")),
    ("SET", "key", ""),
    ("RPUSH", "list", *(f"item {n}" for n in range(5000))),
    ("SET", Label("key"), Amount(2.5)),  # subclasses, even with a repr of their own
    ("SET", "key", Level.HIGH),  # hiredis refuses an IntEnum: redis-py's packer takes it
    ("SET", "key", Colour.RED),
]


# Ids by position and last argument's type: a memoryview's repr holds an address, unlike in each xdist worker.
@pytest.mark.parametrize("command", COMMANDS,
                         ids=[f"{n}-{type(command[-1]).__name__}" for n, command in enumerate(COMMANDS)])
def test_a_command_is_packed_to_the_bytes_redis_py_sends(command):
    assert b"".join(OURS.pack_command(*command)) == b"".join(REDIS_PY.pack_command(*command))


def test_the_books_arguments_are_packed_by_hiredis_alone():
    packer = DirectPacker()
    packer._fallback = None  # used, it would raise
    # Not a subcommand in the name, nor an argument hiredis refuses.
    ordinary = [command for command in COMMANDS if " " not in str(command[0])
                and not any(isinstance(arg, (bytearray, enum.IntEnum)) for arg in command)]
    assert len(ordinary) == 9
    for command in ordinary:
        assert b"".join(packer.pack(*command)) == b"".join(REDIS_PY.pack_command(*command))


@pytest.mark.parametrize("value", [True, None, object()], ids=lambda value: type(value).__name__)
def test_a_value_redis_py_refuses_raises_its_data_error(value):
    with pytest.raises(redis.DataError) as ours:
        OURS.pack_command("SET", "key", value)
    with pytest.raises(redis.DataError) as theirs:
        REDIS_PY.pack_command("SET", "key", value)
    assert str(ours.value) == str(theirs.value)


def test_text_that_is_not_utf8_encodable_raises_as_with_redis_py():
    with pytest.raises(UnicodeEncodeError):
        OURS.pack_command("SET", "key", "\ud800")
    with pytest.raises(UnicodeEncodeError):
        REDIS_PY.pack_command("SET", "key", "\ud800")


def test_values_of_every_type_reach_redis_and_read_back(redis_client, namespace):
    client = redis_clients.client(REDIS_URL)
    key = f"{namespace}:values"
    values = {"text": "josé \u20ac", "bytes": b"\x00\xff", "int": -3, "big": 2 ** 70, "float": 0.1 + 0.2,
              "bytearray": bytearray(b"ba")}
    client.hset(key, mapping=values)
    with client.pipeline() as pipe:  # a transaction: MULTI, the commands, EXEC, packed together
        pipe.hset(key, "piped", 1.5)
        pipe.hincrby(key, "int", 2)
        pipe.execute()
    read = redis_client.hgetall(key)
    assert read == {b"text": "josé \u20ac".encode(), b"bytes": b"\x00\xff", b"int": b"-1",
                    b"big": b"1180591620717411303424", b"float": b"0.30000000000000004", b"bytearray": b"ba",
                    b"piped": b"1.5"}
    assert client.eval("return ARGV[1] .. KEYS[1]", 1, "k", "é") == "ék".encode()


def test_the_workers_clients_use_the_direct_packer(redis_client, namespace):
    settings = Settings.from_env({"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": namespace})
    app = App(settings)
    concurrency_budget("test:vendor", 2, {"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": namespace})
    for client in (app.books.redis, app.broker.client, concurrency._clients[REDIS_URL]):
        connection = client.connection_pool.get_connection()
        try:
            assert isinstance(connection._command_packer, DirectPacker)
        finally:
            client.connection_pool.release(connection)


@pytest.mark.parametrize("query", ["encoding=latin-1", "encoding_errors=replace"])
def test_a_url_asking_for_another_encoding_is_packed_by_redis_py_as_asked(redis_client, namespace, query):
    client = redis_clients.client(f"{REDIS_URL}?{query}")
    connection = client.connection_pool.get_connection()
    try:
        assert not isinstance(connection._command_packer, DirectPacker)
    finally:
        client.connection_pool.release(connection)
    key = f"{namespace}:encoded"
    if query.startswith("encoding="):
        client.set(key, "café")
        assert redis_client.get(key) == "café".encode("latin-1")  # not UTF-8, as hiredis would have sent
    else:
        client.set(key, "a\udc80b")  # a lone surrogate: hiredis refuses it, the URL asked to replace it
        assert redis_client.get(key) == b"a?b"
