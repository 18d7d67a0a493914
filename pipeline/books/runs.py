"""Runs: their record counts, failed records and live roll-up; and each integration's cursor.

Keys (all under the settings' namespace, ``ns``)::

    ns:run:<run_id>            hash: integration, mode, queue, started_at, finished_at, extract_done,
                               extracted, loaded, skipped, failed, cursor, error, stopped (1: the run
                               itself failed, no more records will come)
    ns:run:<run_id>:failures   hash: record key -> JSON failure (stage, error, problems, record)
    ns:run:<run_id>:states     hash: message state -> count (kept by ``pipeline.books.messages``)
    ns:run:<run_id>:booked     set: ids of the batches already counted
    ns:run:<run_id>:decided    hash: batch id -> JSON list of the keys its first booking set apart
                               (duplicates at map, records split out at load), when there were any
    ns:runs                    sorted set of run ids by start time (the recent-runs list)
    ns:cursor:<integration>    string: where the next incremental pull starts

A run is finished when its extraction has finished and every extracted record is loaded,
skipped or failed (or the run itself stopped), and none of its messages is in flight: the
stamp is ``finish.lua``'s (``pipeline.books.inflight``). The counts of a batch are written in the
same round trip as the batch's other books (``pipeline.books``), which also reads the totals back,
so a step whose batch completes the counts asks for the stamp at once; the message's own final
state, written just after, usually gives it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import redis

from pipeline.books.dead_letters import Failure
from pipeline.books.inflight import InFlight
from pipeline.books.messages import STATES
from pipeline.books.round_trip import lua_script, pending, queue_script
from pipeline.systems.lifecycle import EVENTS



def run_script(name: str) -> str:
    """The Lua script ``name`` of this folder, which writes a run's keys, with ``bound_run_keys.lua`` before it."""
    return lua_script("bound_run_keys.lua", name)


_COUNT_ONCE = run_script("count_once.lua")

#: A run that never finishes is forgotten after this many status TTLs (a finished one after one).
UNFINISHED_TTL_FACTOR = 2
#: Record counters of a run.
COUNTERS = ("extracted", "loaded", "skipped", "failed")
#: Records whose load applied a lifecycle event are counted under the event instead of ``loaded``.
EVENT_COUNTERS = EVENTS


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
    states: dict[str, int] | None = None
    #: Lifecycle events applied (``cancelled``, ``disabled``, ...): only those that happened.
    events: dict[str, int] = field(default_factory=dict)
    #: Records a full run no longer found in the source, each sent on to be deleted or disabled.
    missing: int = 0
    #: The queue its messages are sent to ("" for runs started before it was kept).
    queue: str = ""

    @property
    def processed(self) -> int:
        return self.counts["loaded"] + self.counts["skipped"] + self.counts["failed"] + sum(self.events.values())

    @property
    def expected(self) -> int:
        """How many records the run must process to be complete: those extracted, and those missing."""
        return self.counts["extracted"] + self.missing

    @property
    def all_counts(self) -> dict[str, int]:
        """The counters, then what happened only in some runs: what a summary line shows."""
        return {**self.counts, **({"missing": self.missing} if self.missing else {}), **self.events}

    @property
    def status(self) -> str:
        """The first of failed > running > waiting > scheduled > partial > complete that applies.

        The PHP library's order, plus ``partial``: ``failed`` is a run that itself failed (its
        extraction, or a message failed for good); ``partial`` one that finished with failed records
        (kept as dead letters).
        """
        states = self.states or {}
        if self.error or states.get("failed"):
            return "failed"
        if states.get("running"):
            return "running"
        if states.get("enqueued") or states.get("retrying") or (self.finished_at is None and not states):
            return "waiting"
        if states.get("scheduled"):
            return "scheduled"
        if self.finished_at is None:
            return "running"
        return "partial" if self.counts["failed"] else "complete"

    def as_dict(self) -> dict:
        return {**asdict(self), "status": self.status, "processed": self.processed}


@dataclass(frozen=True)
class Booking:
    """What the books already hold of a batch: a delivery after the first follows the first's decisions."""

    booked: bool
    #: The keys the first booking set apart (duplicates at map, records split out at load).
    set_apart: tuple[str, ...] = ()


class RunStore:
    """Run bookkeeping on a Redis client (a real server, or fakeredis in the embedded mode)."""

    def __init__(self, client: redis.Redis, *, namespace: str, ttl_s: int, clock=time.time,
                 inflight: InFlight | None = None) -> None:
        self.redis, self.ns, self.ttl_s, self.clock = client, namespace, ttl_s, clock
        #: Decides when a run is finished (its messages too, not only its counts).
        self.inflight = inflight or InFlight(client, namespace=namespace, ttl_s=ttl_s,
                                             heartbeat_timeout_ms=60_000, clock=clock)
        self._count_once = client.register_script(_COUNT_ONCE)

    def key(self, run_id: str) -> str:
        return f"{self.ns}:run:{run_id}"

    @property
    def unfinished_ttl_s(self) -> int:
        """How long a run's keys are kept when nothing has set their TTL (it may never finish)."""
        return self.ttl_s * UNFINISHED_TTL_FACTOR

    def start(self, run_id: str, integration: str, mode: str, queue: str = "") -> None:
        now = self.clock()
        with self.redis.pipeline() as pipe:
            pipe.hset(self.key(run_id), mapping={
                "integration": integration, "mode": mode, "queue": queue, "started_at": now,
                "extract_done": 0,
                **{counter: 0 for counter in COUNTERS}})
            # Bounded even if it never finishes (finishing sets the TTL again, from then).
            pipe.expire(self.key(run_id), self.ttl_s * UNFINISHED_TTL_FACTOR)
            pipe.zadd(f"{self.ns}:runs", {run_id: now})
            # The recent-runs list forgets runs whose records have expired: it stays bounded.
            pipe.zremrangebyscore(f"{self.ns}:runs", "-inf", now - self.ttl_s * UNFINISHED_TTL_FACTOR)
            pipe.execute()

    def count(self, pipe, run_id: str, *, extracted: int = 0, loaded: int = 0, skipped: int = 0,
              failures: Sequence[Failure] = (), events: Mapping[str, int] | None = None, missing: int = 0,
              batch_id: str | None = None, set_apart: Sequence[str] = ()) -> None:
        """Queue on ``pipe`` a batch's counts and failed records, then a read of the run's totals.

        With a ``batch_id`` (the message's id), a redelivered batch is not counted twice, and the
        keys it ``set_apart`` (not counted here: counted by another message) are kept with the
        first booking, for a later delivery to set apart the same ones (see ``booking``).
        """
        key = self.key(run_id)
        self.keep_failures(pipe, run_id, failures)
        increments = [value for name, count in (("extracted", extracted), ("loaded", loaded),
                                                ("skipped", skipped), ("failed", len(failures)))
                      if count for value in (name, count)]
        increments += [value for name, count in sorted((events or {}).items()) if count for value in (name, count)]
        if missing:
            increments += ["missing", missing]
        decision = json.dumps(sorted(set_apart)) if set_apart else ""
        keys = [key, f"{key}:booked", f"{key}:decided"]
        args = [batch_id or "", decision, self.unfinished_ttl_s, *increments]
        if pipe is pending(self.redis):  # a page's round trip (round_trip.py): no SCRIPT EXISTS of its own
            queue_script(pipe, self._count_once, keys, args)
        else:
            self._count_once(keys=keys, args=args, client=pipe)

    def keep_failures(self, pipe, run_id: str, failures: Sequence[Failure]) -> None:
        """Queue on ``pipe``: keep the failed records with the run (each delivery; counted once)."""
        if failures:
            pipe.hset(f"{self.key(run_id)}:failures",
                      mapping={f.key: json.dumps(asdict(f), default=str) for f in failures})
            # Bounded even when written after the run finished (its keys' TTLs set) or expired.
            pipe.expire(f"{self.key(run_id)}:failures", self.ttl_s * UNFINISHED_TTL_FACTOR, nx=True)

    def booking(self, run_id: str, batch_id: str) -> Booking:
        """Whether ``batch_id`` was already counted, and which keys its first booking set apart."""
        with self.redis.pipeline(transaction=False) as pipe:
            self.read_booking(pipe, run_id, batch_id)
            return self.booking_of(*pipe.execute())

    def read_booking(self, pipe, run_id: str, batch_id: str) -> None:
        """Queue on ``pipe`` the two reads ``booking_of`` takes."""
        pipe.sismember(f"{self.key(run_id)}:booked", batch_id)
        pipe.hget(f"{self.key(run_id)}:decided", batch_id)

    @staticmethod
    def booking_of(booked: object, decided: bytes | None) -> Booking:
        return Booking(bool(booked), tuple(json.loads(decided)) if decided else ())

    def finish_extraction(self, pipe, run_id: str, integration: str, cursor: str | None) -> None:
        """Queue on ``pipe``: extraction complete and, for a pull that moves it, the new cursor.

        Called only after every page was handed on, so a crash before it re-reads the pull
        from the old cursor instead of skipping records.
        """
        pipe.hset(self.key(run_id), "extract_done", 1)
        if cursor is not None:
            pipe.set(f"{self.ns}:cursor:{integration}", cursor)
            pipe.hset(self.key(run_id), "cursor", cursor)
        pipe.hgetall(self.key(run_id))

    def fail_run(self, run_id: str, error: str) -> RunSummary:
        """The run itself failed (e.g. its extraction gave up): no more records will come.

        It is finished once its messages still in flight are final: pages already handed on still load.
        """
        with self.redis.pipeline() as pipe:
            pipe.hset(self.key(run_id), mapping={"error": error, "extract_done": 1, "stopped": 1})
            pipe.hgetall(self.key(run_id))
            return self.settle(run_id, pipe.execute()[-1], force=True)

    def settle(self, run_id: str, raw: dict | list, force: bool = False) -> RunSummary:
        """Stamp the run finished if the totals just read say so (or ``force``: it stopped) and nothing of
        it is in flight; returns its summary."""
        if isinstance(raw, list):  # HGETALL's reply as a script returns it: a flat list
            raw = dict(zip(raw[::2], raw[1::2], strict=True))
        summary = self._summary(run_id, raw)
        complete = summary.extract_done and summary.processed >= summary.expected
        # Only then is the check worth a call: the script itself decides (atomically, with what is in flight).
        if summary.finished_at is None and (complete or force) and self.inflight.finish(run_id):
            summary = self.get(run_id) or summary
        return summary

    def get(self, run_id: str) -> RunSummary | None:
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.key(run_id))
            pipe.hgetall(f"{self.key(run_id)}:states")
            raw, states = pipe.execute()
        if not raw:
            return None
        counts = {state: 0 for state in STATES}
        counts.update({_text(k): int(v) for k, v in states.items()})
        return self._summary(run_id, raw, {k: v for k, v in counts.items() if v})

    def known(self, run_id: str) -> bool:
        """Whether ``run_id`` is in the runs index (so no other key is ever read through an id)."""
        return self.redis.zscore(f"{self.ns}:runs", run_id) is not None

    def started_since(self, since: float, limit: int = 1000) -> list[str]:
        """Ids of the runs started at or after ``since`` (epoch seconds), newest first."""
        ids = self.redis.zrevrangebyscore(f"{self.ns}:runs", "+inf", since, start=0, num=limit)
        return [_text(run_id) for run_id in ids]

    def ids(self, start: int = 0, count: int = 500) -> list[str]:
        """A page of run ids, newest first: ``start`` is how many newer ones to pass over."""
        return [_text(run_id) for run_id in self.redis.zrevrange(f"{self.ns}:runs", start, start + count - 1)]

    def get_many(self, run_ids: Sequence[str]) -> list[RunSummary]:
        """The summaries of ``run_ids`` (those still kept), in one round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for run_id in run_ids:
                pipe.hgetall(self.key(run_id))
                pipe.hgetall(f"{self.key(run_id)}:states")
            replies = pipe.execute()
        found = []
        for run_id, raw, states in zip(run_ids, replies[::2], replies[1::2]):
            if raw:
                counts = {_text(k): int(v) for k, v in states.items() if int(v)}
                found.append(self._summary(run_id, raw, {s: counts[s] for s in STATES if s in counts}))
        return found

    def failures(self, run_id: str) -> list[Failure]:
        raw = self.redis.hgetall(f"{self.key(run_id)}:failures")
        return [Failure(**json.loads(value)) for _, value in sorted(raw.items())]

    def recent(self, limit: int = 20, integration: str | None = None) -> list[RunSummary]:
        found = []
        for run_id in self.redis.zrevrange(f"{self.ns}:runs", 0, -1):
            summary = self.get(_text(run_id))
            if summary and (integration is None or summary.integration == integration):
                found.append(summary)
                if len(found) >= limit:
                    break
        return found

    def running(self, integration: str) -> RunSummary | None:
        """The integration's newest unfinished run, if any (scanning the last hundred runs)."""
        for run_id in self.redis.zrevrange(f"{self.ns}:runs", 0, 99):
            summary = self.get(_text(run_id))
            if summary and summary.integration == integration and summary.finished_at is None:
                return summary
        return None

    def see(self, run_id: str, keys: Sequence[str]) -> None:
        """Remember that the run extracted these keys (a full run that looks for missing records)."""
        if keys:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.sadd(f"{self.key(run_id)}:seen", *keys)
                pipe.expire(f"{self.key(run_id)}:seen", self.ttl_s)
                pipe.execute()

    def unseen(self, run_id: str, keys: Sequence[str]) -> list[str]:
        """The keys of ``keys`` the run did not extract."""
        flags = self.redis.smismember(f"{self.key(run_id)}:seen", list(keys)) if keys else []
        return [key for key, seen in zip(keys, flags, strict=True) if not seen]

    def set_error(self, run_id: str, error: str) -> None:
        """Mark the run failed with ``error``; unlike ``fail_run`` its messages in flight still finish it."""
        self.redis.hset(self.key(run_id), "error", error)

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
    def _summary(run_id: str, raw: dict, states: dict[str, int] | None = None) -> RunSummary:
        data = {_text(k): _text(v) for k, v in raw.items()}
        return RunSummary(
            run_id=run_id, integration=data.get("integration", ""), mode=data.get("mode", ""),
            started_at=float(data.get("started_at", 0)),
            finished_at=float(data["finished_at"]) if "finished_at" in data else None,
            extract_done=data.get("extract_done") == "1",
            counts={counter: int(data.get(counter, 0)) for counter in COUNTERS},
            error=data.get("error", ""), states=states,
            events={event: int(data[event]) for event in EVENT_COUNTERS if int(data.get(event, 0))},
            missing=int(data.get("missing", 0)), queue=data.get("queue", ""),
        )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
