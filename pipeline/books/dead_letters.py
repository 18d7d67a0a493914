"""Dead letters: records that failed for good, kept with their error and history until an operator acts.

One entry per integration and record key (a record failing again in a later run updates its
entry and adds to its history), kept ``dead_letter_ttl_s`` (default 30 days, longer than
Dramatiq's 7). An entry goes away when the record later loads, or when it is discarded::

    ns:dead:<integration>:<key>           JSON: the last failure (stage, error, record, run, attempts)
    ns:dead:<integration>:<key>:history   list of JSON: the newest failures and retries (``history`` of
                                          them, default 10), oldest first
    ns:dead                               sorted set of "<integration>\\x1f<key>" by last failure time
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import redis

_SEP = "\x1f"
#: Letters read per round trip when listing.
READ_PAGE = 500


@dataclass(frozen=True)
class Failure:
    """One record that failed, with everything an operator needs to fix and retry it.

    ``record`` is what the failed step received: the source record (stage ``map``) or the mapped
    item (stage ``load``), so a retry starts again at that step.
    """

    key: str
    stage: str
    error: str
    error_type: str
    problems: dict = field(default_factory=dict)
    record: object = None


@dataclass(frozen=True)
class DeadLetter:
    integration: str
    failure: Failure
    run_id: str
    message_id: str | None
    failed_at: float
    attempts: int
    history: list = field(default_factory=list)


class DeadLetters:
    def __init__(self, client: redis.Redis, *, namespace: str, ttl_s: int, history: int = 10,
                 clock=time.time) -> None:
        self.redis, self.ns, self.ttl_s, self.history, self.clock = client, namespace, ttl_s, history, clock

    def _append(self, pipe, history_key: str, event: dict) -> None:
        """Queue on ``pipe`` (a transaction): one event added and the oldest beyond ``history`` dropped.

        Trimmed in the same transaction as the push, so no reader ever sees more than ``history``.
        """
        pipe.rpush(history_key, json.dumps(event))
        pipe.ltrim(history_key, -self.history, -1)
        pipe.expire(history_key, self.ttl_s)

    def _key(self, integration: str, key: str) -> str:
        return f"{self.ns}:dead:{integration}:{key}"

    def add(self, pipe, integration: str, failures: Iterable[Failure], run_id: str, message_id: str | None,
            attempts: int = 1) -> None:
        """Queue on ``pipe``: keep each failure (replacing an older one of the same record)."""
        now = self.clock()
        for failure in failures:
            entry = {"integration": integration, "failure": asdict(failure), "run_id": run_id,
                     "message_id": message_id, "failed_at": now, "attempts": attempts}
            key = self._key(integration, failure.key)
            pipe.set(key, json.dumps(entry, default=str), ex=self.ttl_s)
            self._append(pipe, f"{key}:history", {"event": "failed", "at": now, "run_id": run_id,
                                                  "stage": failure.stage, "error": failure.error})
            pipe.zadd(f"{self.ns}:dead", {f"{integration}{_SEP}{failure.key}": now})
        if failures:
            # The index forgets letters that expired, so it stays as bounded as they are.
            pipe.zremrangebyscore(f"{self.ns}:dead", "-inf", now - self.ttl_s)

    def queue_having(self, pipe, integration: str, keys: Sequence[str]) -> None:
        """Queue on ``pipe`` the read ``having`` answers from: which of ``keys`` may have a letter."""
        pipe.zmscore(f"{self.ns}:dead", [f"{integration}{_SEP}{key}" for key in keys])

    @staticmethod
    def having(keys: Sequence[str], scores: Sequence[float | None]) -> frozenset[str]:
        """The keys the index lists (a superset of those with a live letter), from ``queue_having``'s reply."""
        return frozenset(key for key, score in zip(keys, scores, strict=True) if score is not None)

    def resolve(self, pipe, integration: str, keys: Iterable[str]) -> None:
        """Queue on ``pipe``: these records loaded, so their dead letters (if any) are done with."""
        keys = list(keys)
        if keys:
            pipe.delete(*[self._key(integration, key) for key in keys],
                        *[f"{self._key(integration, key)}:history" for key in keys])
            pipe.zrem(f"{self.ns}:dead", *[f"{integration}{_SEP}{key}" for key in keys])

    def note_retry(self, integration: str, key: str, run_id: str) -> None:
        with self.redis.pipeline() as pipe:
            self._append(pipe, f"{self._key(integration, key)}:history",
                         {"event": "retried", "at": self.clock(), "run_id": run_id})
            pipe.execute()

    def get(self, integration: str, key: str) -> DeadLetter | None:
        return self._get_many([(integration, key)])[0]

    def _get_many(self, pairs: list[tuple[str, str]]) -> list[DeadLetter | None]:
        """The letters of (integration, key) pairs, None for those gone, in one round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for integration, key in pairs:
                pipe.get(self._key(integration, key))
                pipe.lrange(f"{self._key(integration, key)}:history", 0, -1)
            replies = pipe.execute()
        found = []
        for raw, history in zip(replies[::2], replies[1::2]):
            if not raw:
                found.append(None)
                continue
            entry = json.loads(raw)
            found.append(DeadLetter(integration=entry["integration"], failure=Failure(**entry["failure"]),
                                    run_id=entry["run_id"], message_id=entry["message_id"],
                                    failed_at=entry["failed_at"], attempts=entry["attempts"],
                                    history=[json.loads(item) for item in history]))
        return found

    def list(self, *, integration: str | None = None, run_id: str | None = None, error_type: str | None = None,
             limit: int = 100) -> list[DeadLetter]:
        """Newest first, filtered; entries that expired are dropped from the index on the way.

        Read a page of ``READ_PAGE`` letters per round trip (the console lists thousands).
        """
        found, expired = [], []
        members = [member for member in self.redis.zrevrange(f"{self.ns}:dead", 0, -1)
                   if not integration or member.decode().split(_SEP, 1)[0] == integration]
        for start in range(0, len(members), READ_PAGE):
            page = members[start:start + READ_PAGE]
            pairs = [tuple(member.decode().split(_SEP, 1)) for member in page]
            for member, letter in zip(page, self._get_many(pairs)):
                if letter is None:
                    expired.append(member)
                    continue
                if (run_id and letter.run_id != run_id) or (error_type and letter.failure.error_type != error_type):
                    continue
                found.append(letter)
                if len(found) >= limit:
                    break
            if len(found) >= limit:
                break
        if expired:
            self.redis.zrem(f"{self.ns}:dead", *expired)
        return found

    def discard(self, integration: str, key: str) -> bool:
        with self.redis.pipeline() as pipe:
            pipe.exists(self._key(integration, key))
            self.resolve(pipe, integration, [key])
            return bool(pipe.execute()[0])
