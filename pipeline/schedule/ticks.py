"""What a scheduler tick does: start a pull, or skip it and say why.

periodiq has no lock: two ``periodiq pipeline.actors`` processes send every tick twice. Each tick
therefore claims a key named after its integration and scheduled time (``SET NX``), and only the
first claim starts a run; a second scheduler is harmless, and can take over the moment the first
dies. A tick is also skipped while its integration's previous run is still going (unless forced),
and when it is stale (the scheduler or the workers were down): the cursor makes the next tick
cover the whole gap in one pull, instead of one pull per missed tick.

Every decision is kept (the last hundred per integration) for ``connector schedule``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import pendulum
import redis
from periodiq import cron

from pipeline.books.runs import RunStore

#: How many decisions are kept per integration.
KEPT = 100


@dataclass(frozen=True)
class TickDecision:
    integration: str
    tick_at: str
    #: ``started``, ``duplicate`` (another scheduler's copy), ``overlap`` (a run is going on), ``stale``,
    #: ``paused`` (``connector pause``) or ``not configured`` (a connection's variables are missing).
    action: str
    run_id: str | None = None
    reason: str = ""
    decided_at: float = 0.0


def next_ticks(spec: str, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` times ``spec`` fires strictly after ``after`` (UTC, whole minutes)."""
    parsed, found = cron(spec), []
    moment = pendulum.instance(after.astimezone(timezone.utc))
    for _ in range(count):
        moment = parsed.next_valid_date(moment)  # strictly later than its argument
        found.append(datetime.fromtimestamp(moment.timestamp(), tz=timezone.utc))
    return found


class Ticks:
    """Tick claims, decisions and paused schedules in Redis, under ``<namespace>:tick:``, ``:ticks:``, ``:paused``."""

    def __init__(self, client: redis.Redis, runs: RunStore, *, namespace: str, stale_after_s: float = 300,
                 run_stale_after_s: float = 6 * 3600, clock: Callable[[], float] = time.time) -> None:
        self.redis, self.runs, self.ns, self.clock = client, runs, namespace, clock
        self.stale_after_s, self.run_stale_after_s = stale_after_s, run_stale_after_s

    def on_tick(self, integration: str, tick_at: str, start_run: Callable[[str], str],
                force: bool = False, not_configured: str | None = None) -> TickDecision:
        """Decide (and do) what the tick of ``integration`` scheduled at ``tick_at`` (ISO 8601) does.

        ``not_configured`` says why the integration cannot run in this process (its connection
        variables): the tick is recorded, and nothing else happens (no run, no dead letter).
        """
        now = self.clock()
        scheduled = datetime.fromisoformat(tick_at).timestamp()
        if not self.redis.set(f"{self.ns}:tick:{integration}:{int(scheduled)}", now, nx=True, ex=86_400):
            return self._keep(integration, tick_at, "duplicate", reason="another scheduler sent this tick")
        if not_configured:
            return self._keep(integration, tick_at, "not configured", reason=not_configured)
        if not force and self.paused(integration):
            return self._keep(integration, tick_at, "paused",
                              reason=f"paused; `connector resume {integration}` switches it on")
        if not force and now - scheduled > self.stale_after_s:
            return self._keep(integration, tick_at, "stale",
                              reason=f"{now - scheduled:.0f}s late: the next tick's pull covers the gap")
        running = None if force else self.runs.running(integration)
        if running and now - running.started_at < self.run_stale_after_s:
            return self._keep(integration, tick_at, "overlap", running.run_id,
                              f"run {running.run_id} is still in progress")
        return self._keep(integration, tick_at, "started", start_run(integration))

    def claim_send(self, integration: str, tick_at: str) -> bool:
        """Whether this scheduler is the first to send the tick (the others' copies are not enqueued)."""
        scheduled = int(datetime.fromisoformat(tick_at).timestamp())
        if self.redis.set(f"{self.ns}:tick-sent:{integration}:{scheduled}", self.clock(), nx=True, ex=86_400):
            return True
        self._keep(integration, tick_at, "duplicate", reason="another scheduler enqueued this tick")
        return False

    def pause(self, integration: str) -> None:
        """Switch the integration's schedule off until ``resume`` (runs by hand still work)."""
        self.redis.sadd(f"{self.ns}:paused", integration)

    def resume(self, integration: str) -> None:
        self.redis.srem(f"{self.ns}:paused", integration)

    def paused(self, integration: str) -> bool:
        return bool(self.redis.sismember(f"{self.ns}:paused", integration))

    def decisions(self, integration: str, limit: int = 10) -> list[TickDecision]:
        raw = self.redis.lrange(f"{self.ns}:ticks:{integration}", 0, limit - 1)
        return [TickDecision(**json.loads(item)) for item in raw]

    def _keep(self, integration: str, tick_at: str, action: str, run_id: str | None = None,
              reason: str = "") -> TickDecision:
        decision = TickDecision(integration, tick_at, action, run_id, reason, self.clock())
        with self.redis.pipeline() as pipe:
            pipe.lpush(f"{self.ns}:ticks:{integration}", json.dumps(asdict(decision)))
            pipe.ltrim(f"{self.ns}:ticks:{integration}", 0, KEPT - 1)
            pipe.execute()
        return decision
