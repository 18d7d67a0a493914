"""One round trip to Redis for a page's books, its status and its message.

The extract step hands each page on with three writes: the page's count in the run's books, the
new message's ``enqueued`` status, and the message itself. Sent one by one, they are three round
trips per page, and the round trips, not the work, were half of what extracting cost. Within
``deferred(pipe)`` the stores that support it queue their writes on ``pipe`` instead, and the
caller executes it once. Redis runs a pipeline's commands in order, so the count still lands
before the message is visible to a worker, as before.

Only a broker that writes its messages to the same Redis can take part (``broker.py``'s
``PipelinedRedisBroker``); with any other broker the writes go out at once, as they did.

Two more savings: the script calls a round trip queues in a row are sent as one (``fuse``), and in
a ``streamed()`` loop each round trip is confirmed while the next is built (``stream.py``).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from pipeline.books.stream import Stream

_local = threading.local()


def lua_script(*names: str) -> str:
    """The Lua files ``names`` of this folder joined in order: shared functions first, then the script."""
    folder = Path(__file__).parent
    return "".join((folder / name).read_text() for name in names)


#: Scripts known to be loaded, by (server, sha): queued as EVALSHA without redis-py's SCRIPT EXISTS
#: check, which would cost the very round trip a pipeline saves.
_loaded: set[tuple] = set()
#: The source of each script queued by ``queue_script``, by sha, for ``fuse``.
_sources: dict[str, str] = {}
#: Fused scripts, by the shas of the scripts they run in turn: (sha, source).
_fused: dict[tuple[str, ...], tuple[str, str]] = {}


@contextmanager
def deferred(pipe: redis.client.Pipeline) -> Iterator[redis.client.Pipeline]:
    """Let this thread's writes to ``pipe``'s server queue on it until the block ends (then execute it).

    The scripts queued in a row go out as one fused call (``fuse``): nobody reads this block's replies.
    """
    with joined(pipe):
        yield pipe
    streams = getattr(_local, "streams", None)
    if streams is None:
        execute(fuse(pipe))
        return
    server = _server(pipe)
    stream = streams.get(server) or streams.setdefault(server, Stream(pipe.connection_pool))
    commands = [args for args, _ in fuse(pipe).command_stack]
    pipe.reset()
    with _forgetting_lost_scripts():
        stream.send(commands)


@contextmanager
def streamed() -> Iterator[None]:
    """Within the block, this thread's ``deferred`` round trips go out back to back (``stream.py``): each
    one's replies are read after the next is sent, and the last ones when the block ends.

    For a loop of round trips whose replies nobody reads (a page's books and message), with nothing in it
    that needs an earlier one written (what does, such as the run's end, comes after the block).
    """
    outer, _local.streams = getattr(_local, "streams", None), {}
    try:
        yield
    except BaseException:
        for stream in _local.streams.values():
            stream.close(quietly=True)  # the error that stopped the loop is the one to report
        raise
    else:
        streams = list(_local.streams.values())
        try:
            with _forgetting_lost_scripts():
                for stream in streams:
                    stream.close()
        finally:
            for stream in streams:
                stream.close(quietly=True)  # those after one that failed
    finally:
        _local.streams = outer


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
    with _forgetting_lost_scripts():
        return pipe.execute()


@contextmanager
def _forgetting_lost_scripts() -> Iterator[None]:
    try:
        yield
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
    _load(pipe, script.sha, script.script)
    pipe.evalsha(script.sha, len(keys), *keys, *args)


def _load(pipe: redis.client.Pipeline, sha: str, source: str) -> None:
    server = _server(pipe)
    if (server, sha) not in _loaded:
        # Its own connection, not the pipeline's (which only queues): one round trip per process and script.
        redis.Redis(connection_pool=pipe.connection_pool).script_load(source)
        _loaded.add((server, sha))
        # Dramatiq's own script is read as bytes.
        _sources[sha] = source.decode() if isinstance(source, bytes) else source


def fuse(pipe: redis.client.Pipeline) -> redis.client.Pipeline:
    """Turn each run of script calls queued in a row on ``pipe`` into one call of a script running them in turn.

    A page's books, status and message were five script calls: each one a command for redis-py to pack,
    for Redis to look up and answer, and for redis-py to parse (the run's counts, which no one reads
    here). Fused, they are one, doing the same writes in the same order, atomically. Its reply is the
    list of theirs (``execute_scripts`` returns it), in place of theirs in the pipeline's replies. A
    script failing stops the ones after it in its run; the step fails and is retried, as when the
    pipeline reported it.
    """
    if getattr(pipe, "transaction", False):
        return pipe
    stack, calls = [], []
    for command in pipe.command_stack:
        args = command[0]
        if args[0] == "EVALSHA" and args[1] in _sources:
            calls.append(args)
            continue
        stack += _fused_call(pipe, calls)
        calls = []
        stack.append(command)
    stack += _fused_call(pipe, calls)
    pipe.command_stack = stack
    return pipe


def _fused_call(pipe: redis.client.Pipeline, calls: list[tuple]) -> list[tuple]:
    """The command stack entries for ``calls`` (EVALSHA argument tuples): one fused call for two or more."""
    if len(calls) < 2:
        return [(args, {}) for args in calls]
    # One fused script per set of scripts, whatever their order and number (a check of every waiting
    # run calls one script many times): which runs when is in its arguments.
    shas = tuple(dict.fromkeys(args[1] for args in calls))
    fused = _fused.get(shas)
    if fused is None:
        source = _fused_source([_sources[sha] for sha in shas])
        fused = _fused[shas] = (hashlib.sha1(source.encode()).hexdigest(), source)
    sha, source = fused
    _load(pipe, sha, source)
    keys, args, plan = [], [], [len(calls)]
    for call in calls:
        count = int(call[2])
        keys += call[3:3 + count]
        args += call[3 + count:]
        plan += [shas.index(call[1]) + 1, count, len(call) - 3 - count]
    return [(("EVALSHA", sha, len(keys), *keys, *plan, *args), {})]


def _fused_source(sources: list[str]) -> str:
    """A script that can run any of ``sources``, each on its slice of KEYS and ARGV, and returns their
    replies. ARGV starts with the plan: the number of calls, then for each one in turn, the script
    (1 for the first source) and its numbers of keys and arguments. A script returning an error reply
    stops the rest and returns it."""
    parts = [f"local function script_{n}(KEYS, ARGV)\n{source}\nend\n" for n, source in enumerate(sources)]
    names = ", ".join(f"script_{n}" for n in range(len(sources)))
    return "".join(parts) + f"""local scripts = {{{names}}}
local calls = tonumber(ARGV[1])
local key, arg, replies = 0, 1 + 3 * calls, {{}}
for n = 1, calls do
  local script = scripts[tonumber(ARGV[3 * n - 1])]
  local key_count, arg_count = tonumber(ARGV[3 * n]), tonumber(ARGV[3 * n + 1])
  local keys, args = {{}}, {{}}
  for i = 1, key_count do keys[i] = KEYS[key + i] end
  for i = 1, arg_count do args[i] = ARGV[arg + i] end
  key, arg = key + key_count, arg + arg_count
  local reply = script(keys, args)
  if type(reply) == 'table' and reply.err then return reply end
  if reply == nil then reply = false end  -- a nil would end the array; false is a nil reply
  replies[n] = reply
end
return replies
"""


def execute_scripts(client: redis.Redis, queue) -> list:
    """Call ``queue(pipe)`` (scripts queued by ``queue_script``, nothing else), then send them as one fused
    call (``fuse``), atomic as a MULTI of them was, without sending their sources each time; their replies.

    If the server lost its scripts (a restart), the call took no effect: the scripts are loaded again
    and the call sent once more.
    """
    for attempt in (1, 2):
        with client.pipeline(transaction=False) as pipe:
            queue(pipe)
            calls = len(pipe.command_stack)
            try:
                replies = execute(fuse(pipe))
            except redis.exceptions.NoScriptError:
                if attempt == 2:
                    raise
                continue
            return replies[0] if calls > 1 else replies
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
