"""The entity ledger: per integration and natural key, what last happened to each record.

Three hashes per integration, so that writers of different facts never overwrite each other::

    ns:ledger:<integration>:waiting   key -> {run_id, hash, at}: mapped, not yet loaded
    ns:ledger:<integration>:last      key -> {status, run_id, message_id, at, error}: last outcome
    ns:ledger:<integration>:loaded    key -> {hash, run_id, message_id, at}: last successful load

With it a load skips a record whose mapped payload is the one already loaded (the PHP library's
entity hash), and the map step skips a record whose identical payload is still waiting to be
loaded by an earlier message (its ``previousJobId`` rule). Only an *identical* payload: our
messages carry the record's data, so skipping a newer version would load stale data.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence

import orjson
import redis


def payload_hash(payload: object) -> str:
    """A stable digest of a JSON-safe payload (keys sorted: however it was built, it hashes the same)."""
    return hashlib.sha1(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


class Ledger:
    def __init__(self, client: redis.Redis, *, namespace: str, waiting_stale_s: int = 3600,
                 clock=time.time) -> None:
        self.redis, self.ns, self.waiting_stale_s, self.clock = client, namespace, waiting_stale_s, clock

    def _key(self, integration: str, part: str) -> str:
        return f"{self.ns}:ledger:{integration}:{part}"

    def waiting_duplicates(self, integration: str, keys: Sequence[str], hashes: Sequence[str]) -> set[str]:
        """The keys whose identical payload is already waiting for its load (and not stale)."""
        if not keys:
            return set()
        entries = self.redis.hmget(self._key(integration, "waiting"), list(keys))
        now, duplicates = self.clock(), set()
        for key, digest, raw in zip(keys, hashes, entries, strict=True):
            if raw:
                entry = json.loads(raw)
                if entry["hash"] == digest and now - entry["at"] < self.waiting_stale_s:
                    duplicates.add(key)
        return duplicates

    def mark_waiting(self, pipe, integration: str, run_id: str, waiting: dict[str, str]) -> None:
        """Queue on ``pipe``: these keys (key -> payload hash) are mapped and on their way to the target."""
        if waiting:
            now = self.clock()
            pipe.hset(self._key(integration, "waiting"), mapping={
                key: json.dumps({"run_id": run_id, "hash": h, "at": now}) for key, h in waiting.items()})

    def loaded_hashes(self, integration: str, keys: Sequence[str]) -> dict[str, str]:
        """key -> hash of its last successfully loaded payload, for the keys that have one."""
        if not keys:
            return {}
        entries = self.redis.hmget(self._key(integration, "loaded"), list(keys))
        return {key: json.loads(raw)["hash"] for key, raw in zip(keys, entries, strict=True) if raw}

    def record(self, pipe, integration: str, outcomes: Iterable[tuple[str, str, str | None, str | None]],
               run_id: str, message_id: str | None) -> None:
        """Queue on ``pipe`` each record's outcome: ``(key, status, payload hash or None, error or None)``.

        ``done`` with a hash updates the last successful load; every outcome ends the key's waiting.
        """
        now = self.clock()
        last, loaded, finished = {}, {}, []
        for key, status, digest, error in outcomes:
            last[key] = json.dumps({"status": status, "run_id": run_id, "message_id": message_id, "at": now,
                                    "error": error})
            if status == "done" and digest:
                loaded[key] = json.dumps({"hash": digest, "run_id": run_id, "message_id": message_id, "at": now})
            finished.append(key)
        if last:
            pipe.hset(self._key(integration, "last"), mapping=last)
            pipe.hdel(self._key(integration, "waiting"), *finished)
        if loaded:
            pipe.hset(self._key(integration, "loaded"), mapping=loaded)

    def clear_waiting(self, integration: str, keys: Sequence[str]) -> None:
        """These keys' load is booked already (a message delivered again): they wait for nothing."""
        if keys:
            self.redis.hdel(self._key(integration, "waiting"), *keys)

    def note(self, pipe, integration: str, keys: Sequence[str], status: str, reason: str, run_id: str,
             message_id: str | None) -> None:
        """Queue on ``pipe`` a last outcome that leaves the key's waiting mark alone (a skipped duplicate)."""
        if keys:
            entry = json.dumps({"status": status, "run_id": run_id, "message_id": message_id, "at": self.clock(),
                                "error": reason})
            pipe.hset(self._key(integration, "last"), mapping={key: entry for key in keys})

    def entry(self, integration: str, key: str) -> dict:
        """Everything the ledger knows of one record (empty when nothing)."""
        with self.redis.pipeline(transaction=False) as pipe:
            for part in ("waiting", "last", "loaded"):
                pipe.hget(self._key(integration, part), key)
            waiting, last, loaded = pipe.execute()
        found = {}
        for name, raw in (("waiting", waiting), ("last", last), ("loaded", loaded)):
            if raw:
                found[name] = json.loads(raw)
        return found
