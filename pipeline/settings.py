"""Process settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.crash_points import POINTS as CRASH_POINTS
from pipeline.errors import ConfigError

#: Where workers and the command line find Redis unless told otherwise.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: A broker URL that selects Dramatiq's in-process StubBroker (the embedded mode).
EMBEDDED_BROKER_URL = "stub://"


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to know about its environment.

    Secrets of the external systems are not here: each system reads its own connection's
    variables (see ``pipeline.systems``), so they never travel in messages or statuses.
    """

    redis_url: str = DEFAULT_REDIS_URL
    #: ``redis://...`` (default: ``redis_url``), ``amqp://...`` for RabbitMQ, or ``stub://``.
    broker_url: str = DEFAULT_REDIS_URL
    #: Prefix of every Redis key we and Dramatiq write, so several deployments or test runs share a server.
    namespace: str = "pipeline"
    mappings_dir: Path = Path("mappings")
    #: Records per message between the steps.
    batch_size: int = 100
    #: Attempts of a failing request before the record is dead-lettered (Dramatiq's default of 20 is too many).
    max_retries: int = 5
    #: First retry delay; later ones double, with jitter, up to ``retry_max_backoff_ms``.
    retry_min_backoff_ms: int = 1_000
    retry_max_backoff_ms: int = 10 * 60_000
    #: How long finished statuses are kept.
    status_ttl_s: int = 7 * 24 * 3600
    #: How long dead letters are kept: longer than statuses, an operator may be on holiday.
    dead_letter_ttl_s: int = 30 * 24 * 3600
    #: Events (failures, retries) kept in a dead letter's history: the newest, so it stays bounded.
    dead_letter_history: int = 10
    log_json: bool = False
    #: Per-message statuses (``connector message``, run roll-ups); off only to measure what they cost.
    status_tracking: bool = True
    log_level: str = "INFO"
    #: A ledger key with no outcome for this long is forgotten (at the end of a full run).
    ledger_retention_s: int = 400 * 86_400
    #: A record extracted but still unprocessed after this long no longer blocks its duplicates.
    waiting_stale_s: int = 3600
    #: A scheduler tick this late (the scheduler or workers were down) is skipped: the next one catches up.
    tick_stale_s: int = 300
    #: Workers add Dramatiq's own Prometheus middleware (per-process message counts and durations,
    #: served by each worker machine on ``dramatiq_prom_host``:``dramatiq_prom_port``, default 0.0.0.0:9191).
    worker_metrics: bool = False
    #: Redis broker: how long a worker may go silent before its unacked messages go to another one
    #: (``pipeline.flow.recovery`` requeues them within one and a half times this).
    heartbeat_timeout_ms: int = 60_000
    #: Where the embedded mode keeps cursors, ledger, runs and dead letters between invocations.
    embedded_state: Path = Path("var/embedded-state.json")
    #: Tests only: the crash point (``pipeline.crash_points``) at which a worker exits on the spot.
    test_crash_at: str = ""
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def embedded(self) -> bool:
        return self.broker_url.startswith("stub:")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``REDIS_URL`` and the ``PIPELINE_*`` variables; report every bad one at once."""
        env = dict(os.environ if environ is None else environ)
        problems: list[str] = []

        def integer(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = int(raw)
            except ValueError:
                problems.append(f"{name}={raw!r} is not a whole number.")
                return default
            if value < 1:
                problems.append(f"{name}={raw!r} must be at least 1.")
            return value

        redis_url = env.get("REDIS_URL") or DEFAULT_REDIS_URL
        broker_url = env.get("PIPELINE_BROKER_URL") or redis_url
        if not broker_url.startswith(("redis://", "rediss://", "unix://", "amqp://", "amqps://", "stub:")):
            problems.append(f"PIPELINE_BROKER_URL={broker_url!r} must start with redis://, amqp:// or stub://.")
        settings = cls(
            redis_url=redis_url,
            broker_url=broker_url,
            namespace=env.get("PIPELINE_NAMESPACE") or "pipeline",
            mappings_dir=Path(env.get("PIPELINE_MAPPINGS_DIR") or "mappings"),
            batch_size=integer("PIPELINE_BATCH_SIZE", 100),
            max_retries=integer("PIPELINE_MAX_RETRIES", 5),
            retry_min_backoff_ms=integer("PIPELINE_RETRY_MIN_BACKOFF_MS", 1_000),
            retry_max_backoff_ms=integer("PIPELINE_RETRY_MAX_BACKOFF_MS", 10 * 60_000),
            status_ttl_s=integer("PIPELINE_STATUS_TTL", 7 * 24 * 3600),
            dead_letter_ttl_s=integer("PIPELINE_DEAD_LETTER_TTL", 30 * 24 * 3600),
            dead_letter_history=integer("PIPELINE_DEAD_LETTER_HISTORY", 10),
            status_tracking=(env.get("PIPELINE_STATUS_TRACKING") or "on").lower() not in ("off", "0", "false"),
            worker_metrics=(env.get("PIPELINE_WORKER_METRICS") or "off").lower() in ("on", "1", "true"),
            log_json=env.get("PIPELINE_LOG_FORMAT", "text").lower() == "json",
            log_level=(env.get("PIPELINE_LOG_LEVEL") or "INFO").upper(),
            waiting_stale_s=integer("PIPELINE_WAITING_STALE_S", 3600),
            ledger_retention_s=integer("PIPELINE_LEDGER_RETENTION_S", 400 * 86_400),
            tick_stale_s=integer("PIPELINE_TICK_STALE_S", 300),
            heartbeat_timeout_ms=integer("PIPELINE_HEARTBEAT_TIMEOUT_MS", 60_000),
            embedded_state=Path(env.get("PIPELINE_EMBEDDED_STATE") or "var/embedded-state.json"),
            test_crash_at=env.get("PIPELINE_TEST_CRASH_AT") or "",
            environ=env,
        )
        if settings.test_crash_at and settings.test_crash_at not in CRASH_POINTS:
            problems.append(f"PIPELINE_TEST_CRASH_AT={settings.test_crash_at!r} is not a crash point. "
                            f"Known points: {', '.join(CRASH_POINTS)}.")
        if problems:
            raise ConfigError("Invalid settings:\n  " + "\n  ".join(problems))
        return settings
