"""Runs, their record counts and failed records, and each integration's cursor, kept in Redis.

Keys (all under the settings' namespace, ``ns``)::

    ns:run:<run_id>            hash: integration, mode, started_at, finished_at, extract_done,
                               extracted, loaded, skipped, failed, cursor, error
    ns:run:<run_id>:failures   hash: record key -> JSON failure (stage, error, problems, record)
    ns:runs                    sorted set of run ids by start time (the recent-runs list)
    ns:cursor:<integration>    string: where the next incremental pull starts

A run is complete when its extraction has finished and every extracted record is loaded,
skipped or failed. Counts of one batch are written in one transaction, which also reads the
totals back, so the step that completes a run knows it without another round trip.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import redis

#: Outcome counters of a run.
COUNTERS = ("extracted", "loaded", "skipped", "failed")


@dataclass(frozen=True)
class Failure:
    """One record that failed, kept with everything an operator needs to fix and retry it."""

    key: str
    stage: str
    error: str
    error_type: str
    problems: dict = field(default_factory=dict)
    record: object = None


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    integration: str
    mode: str
    started_at: float
    finished_at: float | None
    extract_done: bool
    counts: dict[str, int]
    error: str = ""

    @property
    def processed(self) -> int:
        return self.counts["loaded"] + self.counts["skipped"] + self.counts["failed"]

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        if self.finished_at is not None:
            return "failed" if self.counts["failed"] else "complete"
        return "running"


class RunStore:
    """Run bookkeeping on a Redis client (a real server, or fakeredis in the embedded mode)."""

    def __init__(self, client: redis.Redis, *, namespace: str, ttl_s: int, clock=time.time) -> None:
        self.redis, self.ns, self.ttl_s, self.clock = client, namespace, ttl_s, clock

    def _run(self, run_id: str) -> str:
        return f"{self.ns}:run:{run_id}"

    def start(self, run_id: str, integration: str, mode: str) -> None:
        now = self.clock()
        with self.redis.pipeline() as pipe:
            pipe.hset(self._run(run_id), mapping={
                "integration": integration, "mode": mode, "started_at": now, "extract_done": 0,
                **{counter: 0 for counter in COUNTERS}})
            pipe.zadd(f"{self.ns}:runs", {run_id: now})
            pipe.execute()

    def add_extracted(self, run_id: str, count: int) -> None:
        self.redis.hincrby(self._run(run_id), "extracted", count)

    def finish_extraction(self, run_id: str, integration: str, cursor: str | None) -> RunSummary:
        """Mark extraction complete and, for a pull that moves it, store the new cursor.

        Called only after every page was handed on, so a crash before it re-reads the pull
        from the old cursor instead of skipping records.
        """
        with self.redis.pipeline() as pipe:
            pipe.hset(self._run(run_id), "extract_done", 1)
            if cursor is not None:
                pipe.set(f"{self.ns}:cursor:{integration}", cursor)
                pipe.hset(self._run(run_id), "cursor", cursor)
            pipe.hgetall(self._run(run_id))
            return self._maybe_finish(run_id, pipe.execute()[-1])

    def record(self, run_id: str, *, loaded: int = 0, skipped: int = 0,
               failures: Sequence[Failure] = ()) -> RunSummary:
        """Count a batch's outcomes and keep its failed records, in one round trip."""
        key = self._run(run_id)
        with self.redis.pipeline() as pipe:
            if loaded:
                pipe.hincrby(key, "loaded", loaded)
            if skipped:
                pipe.hincrby(key, "skipped", skipped)
            if failures:
                pipe.hincrby(key, "failed", len(failures))
                pipe.hset(f"{key}:failures", mapping={f.key: json.dumps(asdict(f), default=str) for f in failures})
            pipe.hgetall(key)
            return self._maybe_finish(run_id, pipe.execute()[-1])

    def fail_run(self, run_id: str, error: str) -> None:
        """The run itself failed (e.g. its extraction gave up): no more records will come."""
        with self.redis.pipeline() as pipe:
            pipe.hset(self._run(run_id), mapping={"error": error, "extract_done": 1})
            pipe.hgetall(self._run(run_id))
            self._maybe_finish(run_id, pipe.execute()[-1], force=True)

    def _maybe_finish(self, run_id: str, raw: dict, force: bool = False) -> RunSummary:
        summary = self._summary(run_id, raw)
        complete = summary.extract_done and summary.processed >= summary.counts["extracted"]
        if summary.finished_at is None and (complete or force):
            # HSETNX: of two steps finishing the same run at once, the first stamp wins.
            now = self.clock()
            with self.redis.pipeline() as pipe:
                pipe.hsetnx(self._run(run_id), "finished_at", now)
                pipe.expire(self._run(run_id), self.ttl_s)
                pipe.expire(f"{self._run(run_id)}:failures", self.ttl_s)
                pipe.execute()
            summary = self.get(run_id) or summary
        return summary

    def get(self, run_id: str) -> RunSummary | None:
        raw = self.redis.hgetall(self._run(run_id))
        return self._summary(run_id, raw) if raw else None

    def failures(self, run_id: str) -> list[Failure]:
        raw = self.redis.hgetall(f"{self._run(run_id)}:failures")
        return [Failure(**json.loads(value)) for _, value in sorted(raw.items())]

    def recent(self, limit: int = 20) -> list[RunSummary]:
        run_ids = self.redis.zrevrange(f"{self.ns}:runs", 0, limit - 1)
        return [summary for run_id in run_ids if (summary := self.get(_text(run_id)))]

    def get_cursor(self, integration: str) -> str | None:
        value = self.redis.get(f"{self.ns}:cursor:{integration}")
        return None if value is None else _text(value)

    def set_cursor(self, integration: str, cursor: str | None) -> None:
        """Set a cursor by hand; None resets it, so the next pull reads everything."""
        if cursor is None:
            self.redis.delete(f"{self.ns}:cursor:{integration}")
        else:
            self.redis.set(f"{self.ns}:cursor:{integration}", cursor)

    @staticmethod
    def _summary(run_id: str, raw: dict) -> RunSummary:
        data = {_text(k): _text(v) for k, v in raw.items()}
        return RunSummary(
            run_id=run_id, integration=data.get("integration", ""), mode=data.get("mode", ""),
            started_at=float(data.get("started_at", 0)),
            finished_at=float(data["finished_at"]) if "finished_at" in data else None,
            extract_done=data.get("extract_done") == "1",
            counts={counter: int(data.get(counter, 0)) for counter in COUNTERS},
            error=data.get("error", ""),
        )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
