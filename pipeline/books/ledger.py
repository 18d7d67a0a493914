"""The entity ledger: per integration and natural key, what last happened to each record.

Three hashes per integration, so that writers of different facts never overwrite each other::

    ns:ledger:<integration>:waiting   key -> {run_id, hash, at}: mapped, not yet loaded
    ns:ledger:<integration>:last      key -> {status, run_id, message_id, at, error}: last outcome
    ns:ledger:<integration>:loaded    key -> {hash, run_id, message_id, at}: last successful load
    ns:ledger:<integration>:sent      source id -> {key, at}: the key last loaded for a source record

The fourth is kept only for targets that ask for it (``pipeline.flow.previous_keys``): the
record's key can change at the source (an anonymised customer's email) while the target still
holds the record under the old one.

With it a load skips a record whose mapped payload is the one already loaded (the PHP library's
entity hash), and the map step skips a record whose identical payload is still waiting to be
loaded by an earlier message (its ``previousJobId`` rule). Only an *identical* payload: our
messages carry the record's data, so skipping a newer version would load stale data.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence

import orjson
import redis

from pipeline.systems.lifecycle import EVENTS

#: Outcomes that put a payload in the target: its hash is the one a later load compares with.
APPLIED_STATUSES = frozenset({"done", *EVENTS})


def payload_hash(payload: object) -> str:
    """A stable digest of a JSON-safe payload (keys sorted: however it was built, it hashes the same)."""
    return hashlib.sha1(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _entry(fields: dict) -> bytes:
    # orjson: a page writes up to three entries a record, and the stdlib encoder cost ~7 us each.
    return orjson.dumps(fields)


class Ledger:
    def __init__(self, client: redis.Redis, *, namespace: str, waiting_stale_s: int = 3600,
                 retention_s: int = 400 * 86_400, clock=time.time) -> None:
        self.redis, self.ns, self.waiting_stale_s, self.clock = client, namespace, waiting_stale_s, clock
        #: A key untouched this long is forgotten by ``prune`` (records deleted at the source, mostly).
        self.retention_s = retention_s

    def prune(self, integration: str) -> int:
        """Forget keys with no outcome for ``retention_s``; returns how many.

        The ledger holds one entry per key ever seen, so it grows with the catalogue, not with
        time, except for records gone from the source. Forgetting a key only costs the skip of
        an unchanged payload: its next load writes it again. Walks the hash in slices (HSCAN).
        """
        cutoff, last, forgotten = self.clock() - self.retention_s, self.key(integration, "last"), 0
        stale: list[bytes] = []
        for key, raw in self.redis.hscan_iter(last, count=1000):
            if json.loads(raw)["at"] < cutoff:
                stale.append(key)
            if len(stale) >= 1000:
                forgotten += self._forget(integration, stale)
                stale = []
        forgotten += self._forget(integration, stale)
        self._prune_sent(integration, cutoff)
        return forgotten

    def _prune_sent(self, integration: str, cutoff: float) -> int:
        # The source ids of records not loaded for ``retention_s``: the same bound as the keys.
        sent, forgotten, stale = self.key(integration, "sent"), 0, []
        for source_id, raw in self.redis.hscan_iter(sent, count=1000):
            if json.loads(raw)["at"] < cutoff:
                stale.append(source_id)
            if len(stale) >= 1000:
                forgotten += self.redis.hdel(sent, *stale)
                stale = []
        return forgotten + (self.redis.hdel(sent, *stale) if stale else 0)

    def _forget(self, integration: str, keys: list[bytes]) -> int:
        if keys:
            with self.redis.pipeline() as pipe:
                for part in ("last", "loaded", "waiting"):
                    pipe.hdel(self.key(integration, part), *keys)
                pipe.execute()
        return len(keys)

    def key(self, integration: str, part: str) -> str:
        """The hash of one part (``waiting``, ``last``, ``loaded``) of an integration's ledger."""
        return f"{self.ns}:ledger:{integration}:{part}"

    def waiting_entries(self, run_id: str, waiting: dict[str, str]) -> dict[str, bytes]:
        """key -> the ``waiting`` entry of each key (key -> payload hash) mapped now."""
        now = self.clock()
        return {key: _entry({"run_id": run_id, "hash": h, "at": now}) for key, h in waiting.items()}

    @staticmethod
    def hashes_of(keys: Sequence[str], entries: Sequence[bytes | None]) -> dict[str, str]:
        """key -> hash, from the ``loaded`` entries of ``keys`` (an HMGET's reply)."""
        return {key: orjson.loads(raw)["hash"] for key, raw in zip(keys, entries, strict=True) if raw}

    def loaded_in_run(self, integration: str, keys: Sequence[str], run_id: str) -> set[str]:
        """The keys of ``keys`` whose last successful load was made by run ``run_id``."""
        if not keys:
            return set()
        entries = self.redis.hmget(self.key(integration, "loaded"), list(keys))
        return {key for key, raw in zip(keys, entries, strict=True) if raw and orjson.loads(raw).get("run_id") == run_id}

    def record(self, pipe, integration: str, outcomes: Iterable[tuple[str, str, str | None, str | None]],
               run_id: str, message_id: str | None) -> None:
        """Queue on ``pipe`` each record's outcome: ``(key, status, payload hash or None, error or None)``.

        ``done`` or a lifecycle event (``cancelled``, ``disabled``, ...) with a hash updates the last
        successful load, so the same payload delivered again is skipped as unchanged, and the event
        applied once; every outcome ends the key's waiting.
        """
        now = self.clock()
        last, loaded, finished = {}, {}, []
        for key, status, digest, error in outcomes:
            last[key] = _entry({"status": status, "run_id": run_id, "message_id": message_id, "at": now,
                                "error": error})
            if status in APPLIED_STATUSES and digest:
                loaded[key] = _entry({"hash": digest, "run_id": run_id, "message_id": message_id, "at": now})
            finished.append(key)
        if last:
            pipe.hset(self.key(integration, "last"), mapping=last)
            pipe.hdel(self.key(integration, "waiting"), *finished)
        if loaded:
            pipe.hset(self.key(integration, "loaded"), mapping=loaded)

    def sent_keys(self, integration: str, source_ids: Sequence[str]) -> dict[str, str]:
        """source id -> the key last loaded for it, for the ids that have one."""
        if not source_ids:
            return {}
        entries = self.redis.hmget(self.key(integration, "sent"), list(source_ids))
        return {source_id: json.loads(raw)["key"] for source_id, raw in zip(source_ids, entries, strict=True) if raw}

    def remember_sent(self, pipe, integration: str, pairs: Sequence[tuple[str, str]]) -> None:
        """Queue on ``pipe``: each ``(source id, key)`` was just loaded (one entry per source id, overwritten)."""
        if pairs:
            now = self.clock()
            pipe.hset(self.key(integration, "sent"), mapping={
                source_id: json.dumps({"key": key, "at": now}) for source_id, key in pairs})

    def known_keys(self, integration: str, *, except_hash_prefix: str | None = None) -> Iterator[str]:
        """Every key with a successful load, except those whose payload hash starts with the prefix."""
        for key, raw in self.redis.hscan_iter(self.key(integration, "loaded"), count=1000):
            if except_hash_prefix and json.loads(raw)["hash"].startswith(except_hash_prefix):
                continue
            yield key.decode() if isinstance(key, bytes) else key

    def clear_waiting(self, integration: str, keys: Sequence[str]) -> None:
        """These keys' load is booked already (a message delivered again): they wait for nothing."""
        if keys:
            self.redis.hdel(self.key(integration, "waiting"), *keys)

    def note(self, pipe, integration: str, keys: Sequence[str], status: str, reason: str, run_id: str,
             message_id: str | None) -> None:
        """Queue on ``pipe`` a last outcome that leaves the key's waiting mark alone (a skipped duplicate)."""
        if keys:
            entry = self.note_entry(status, reason, run_id, message_id)
            pipe.hset(self.key(integration, "last"), mapping={key: entry for key in keys})

    def note_entry(self, status: str, reason: str, run_id: str, message_id: str | None) -> bytes:
        """The ``last`` entry of a key noted now with ``status`` and ``reason`` (see ``note``)."""
        return _entry({"status": status, "run_id": run_id, "message_id": message_id, "at": self.clock(),
                       "error": reason})

    def entry(self, integration: str, key: str) -> dict:
        """Everything the ledger knows of one record (empty when nothing)."""
        with self.redis.pipeline(transaction=False) as pipe:
            for part in ("waiting", "last", "loaded"):
                pipe.hget(self.key(integration, part), key)
            waiting, last, loaded = pipe.execute()
        found = {}
        for name, raw in (("waiting", waiting), ("last", last), ("loaded", loaded)):
            if raw:
                found[name] = json.loads(raw)
        return found
