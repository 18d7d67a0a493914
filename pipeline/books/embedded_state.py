"""The embedded mode's state between invocations: its in-process Redis, kept in a local file.

``connector run X --embedded`` keeps cursors, the entity ledger, runs and dead letters in
fakeredis, which lives as long as the command. Saved to a file at the end and loaded at the next
start, the same keys carry over, so ``changed`` means what it means with a Redis server: the
same code reads the same cursor and ledger, nothing here knows what the keys mean.

The file is JSON (one entry per key: its type, value and remaining time to live), readable and
safe to load, unlike Redis' DUMP format; values are bytes kept as latin-1 text, which round-trips
every byte. One embedded run at a time uses a file: a lock file says so.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path

import redis

from pipeline.errors import ConfigError

#: Bumped when the layout of the file changes; an unknown version is ignored, not misread.
VERSION = 1


def _text(value: bytes) -> str:
    return value.decode("latin-1")


def _bytes(value: str) -> bytes:
    return value.encode("latin-1")


class EmbeddedState:
    """A state file (default ``var/embedded-state.json``, ``PIPELINE_EMBEDDED_STATE``) and its lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = None

    def load(self, client: redis.Redis) -> int:
        """Lock the file and copy its keys into ``client``; returns how many keys were loaded."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path.with_name(self.path.name + ".lock"), "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise ConfigError(f"Another embedded run is using {self.path} (PIPELINE_EMBEDDED_STATE): wait for it, "
                              "or give this one a state file of its own.") from None
        if not self.path.exists():
            return 0
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(f"Cannot read the embedded state {self.path}: {error}. Move it away to start afresh "
                              "(cursors and the ledger are then empty).") from None
        if saved.get("version") != VERSION:
            return 0
        with client.pipeline() as pipe:
            for key, entry in saved["keys"].items():
                _restore(pipe, _bytes(key), entry)
            pipe.execute()
        return len(saved["keys"])

    def save(self, client: redis.Redis) -> None:
        """Write every key of ``client`` to the file (atomically), then release the lock."""
        entries = {}
        for key in client.scan_iter(count=1000):
            entry = _dump(client, key)
            if entry is not None:
                entries[_text(key)] = entry
        handle = tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, suffix=".tmp",
                                             encoding="utf-8")
        with handle:
            json.dump({"version": VERSION, "keys": entries}, handle)
        os.replace(handle.name, self.path)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _dump(client: redis.Redis, key: bytes) -> dict | None:
    kind = _text(client.type(key))
    if kind == "string":
        value = _text(client.get(key))
    elif kind == "hash":
        value = {_text(k): _text(v) for k, v in client.hgetall(key).items()}
    elif kind == "list":
        value = [_text(item) for item in client.lrange(key, 0, -1)]
    elif kind == "set":
        value = sorted(_text(item) for item in client.smembers(key))
    elif kind == "zset":
        value = [[_text(member), score] for member, score in client.zrange(key, 0, -1, withscores=True)]
    else:  # gone in between, or a type we never write
        return None
    return {"type": kind, "value": value, "ttl_ms": client.pttl(key)}


def _restore(pipe, key: bytes, entry: dict) -> None:
    kind, value = entry["type"], entry["value"]
    if kind == "string":
        pipe.set(key, _bytes(value))
    elif kind == "hash" and value:
        pipe.hset(key, mapping={_bytes(k): _bytes(v) for k, v in value.items()})
    elif kind == "list" and value:
        pipe.rpush(key, *map(_bytes, value))
    elif kind == "set" and value:
        pipe.sadd(key, *map(_bytes, value))
    elif kind == "zset" and value:
        pipe.zadd(key, {_bytes(member): score for member, score in value})
    # A key's time to live stands still while the file rests: it gets back what it had left.
    if entry.get("ttl_ms", -1) > 0:
        pipe.pexpire(key, entry["ttl_ms"])
