"""One round trip to Redis for a page's books, its status and its message.

The extract step hands each page on with three writes: the page's count in the run's books, the
new message's ``enqueued`` status, and the message itself. Sent one by one, they are three round
trips per page, and the round trips, not the work, were half of what extracting cost. Within
``deferred(pipe)`` the stores that support it queue their writes on ``pipe`` instead, and the
caller executes it once. Redis runs a pipeline's commands in order, so the count still lands
before the message is visible to a worker, as before.

Only a broker that writes its messages to the same Redis can take part (``broker.py``'s
``PipelinedRedisBroker``); with any other broker the writes go out at once, as they did.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

_local = threading.local()


def lua_script(*names: str) -> str:
    """The Lua files ``names`` of this folder joined in order: shared functions first, then the script."""
    folder = Path(__file__).parent
    return "".join((folder / name).read_text() for name in names)


#: Scripts known to be loaded, by (server, sha): queued as EVALSHA without redis-py's SCRIPT EXISTS
#: check, which would cost the very round trip a pipeline saves.
_loaded: set[tuple] = set()


@contextmanager
def deferred(pipe: redis.client.Pipeline) -> Iterator[redis.client.Pipeline]:
    """Let this thread's writes to ``pipe``'s server queue on it until the block ends (then execute it)."""
    with joined(pipe):
        yield pipe
    execute(pipe)


@contextmanager
def joined(pipe: redis.client.Pipeline) -> Iterator[redis.client.Pipeline]:
    """Let this thread's writes to ``pipe``'s server queue on it in the block; the caller executes it
    (with ``execute``: its script calls are EVALSHAs without redis-py's SCRIPT EXISTS round trip)."""
    outer, _local.pipe = getattr(_local, "pipe", None), pipe
    try:
        yield pipe
    finally:
        _local.pipe = outer


def forget_loaded_scripts() -> None:
    """The server lost its scripts (a restart, SCRIPT FLUSH): load each again before its next call."""
    _loaded.clear()


def execute(pipe: redis.client.Pipeline) -> list:
    """Execute a pipeline that may hold scripts queued by ``queue_script``; its replies."""
    try:
        return pipe.execute()
    except redis.exceptions.NoScriptError:
        # The server lost its scripts (a restart, SCRIPT FLUSH): the scripts queued took no effect;
        # they are loaded again when the step is retried.
        _loaded.clear()
        raise


def queue_script(pipe: redis.client.Pipeline, script, keys: list, args: list) -> None:
    """Queue a registered script's call on ``pipe``, loading it first (once per process and server)."""
    if getattr(pipe, "transaction", False):
        # In a MULTI, an EVALSHA of a script the server lost (it restarted) fails alone at EXEC while
        # the other commands apply: a page's ledger written without its counts. Sent whole, it cannot.
        pipe.eval(script.script, len(keys), *keys, *args)
        return
    server = _server(pipe)
    if (server, script.sha) not in _loaded:
        script.registered_client.script_load(script.script)
        _loaded.add((server, script.sha))
    pipe.evalsha(script.sha, len(keys), *keys, *args)


def execute_scripts(client: redis.Redis, queue, transaction: bool = True) -> list:
    """Call ``queue(pipe)`` (scripts queued by ``queue_script``), then execute ``pipe``; returns its replies.

    If the server lost its scripts (a restart), every call of the pipeline failed alike and none took
    effect: they are loaded again and the pipeline sent once more.
    """
    for attempt in (1, 2):
        with client.pipeline(transaction=transaction) as pipe:
            queue(pipe)
            try:
                return pipe.execute()
            except redis.exceptions.NoScriptError:
                _loaded.clear()
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")


#: Connection pool -> its server, looked up several times a page (``pending``, ``queue_script``).
_servers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _server(client) -> tuple:
    pool = client.connection_pool
    server = _servers.get(pool)
    if server is None:
        kwargs = pool.connection_kwargs
        server = _servers[pool] = tuple(kwargs.get(key) for key in ("host", "port", "db", "path"))
    return server


def pending(client: redis.Redis) -> redis.client.Pipeline | None:
    """The pipeline this thread's writes to ``client``'s server and database should queue on, if any."""
    pipe = getattr(_local, "pipe", None)
    if pipe is None or not same_database(pipe, client):
        return None
    return pipe


def same_database(a: redis.Redis, b: redis.Redis) -> bool:
    """Whether two clients (or pipelines) talk to the same Redis server and database."""
    if a.connection_pool is b.connection_pool:
        return True
    return _server(a) == _server(b)
