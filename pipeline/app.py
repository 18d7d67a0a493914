"""The application: everything a process needs, built from ``Settings``, and the operations on it.

Whoever needs the pipeline builds one ``App``: the workers and the scheduler (``pipeline.actors``),
the command line and the web page. Building it has no effect on the process (no global broker,
no logging set up, no environment written); declaring the workers' actors is a separate call,
made only where messages are processed.

    >>> app = App(Settings.from_env({"PIPELINE_BROKER_URL": "stub://", "PIPELINE_MAPPINGS_DIR": "mappings"}))
    >>> sorted(app.chains)
    ['background', 'normal', 'urgent']
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from pipeline import redis_clients
from pipeline.books import Books
from pipeline.books.attempts import Attempts
from pipeline.books.batches import mapped_as
from pipeline.books.dead_letters import DeadLetter
from pipeline.books.embedded_state import EmbeddedState
from pipeline.books.round_trip import same_database
from pipeline.books.status import RunAccounting, StatusTracking
from pipeline.errors import ConfigError
from pipeline.flow.broker import make_broker
from pipeline.flow.chain import TIERS, Chain
from pipeline.flow.consumers import ConsumerRegistry
from pipeline.flow.encoding import OrjsonEncoder, message_class
from pipeline.flow.integrations import Integration, discover, get_integration
from pipeline.flow.missing import missing_item
from pipeline.flow.readiness import ReportUnconfigured
from pipeline.flow.steps import MODES, Job
from pipeline.flow.workers import declare_step_actors
from pipeline.redaction import secret_values
from pipeline.schedule.pulls import declare_pulls
from pipeline.schedule.ticks import TickDecision, Ticks
from pipeline.settings import Settings
from pipeline.systems import SYSTEMS

logger = logging.getLogger(__name__)


def make_books(settings: Settings, secrets: Iterable[str], state: EmbeddedState | None = None) -> Books:
    """The books on the settings' Redis, or in an in-process one for the embedded mode.

    The in-process one starts with what ``state`` kept of earlier embedded runs (cursors, ledger),
    so ``changed`` means what it means with Redis.
    """
    if settings.embedded:
        import fakeredis  # the embedded mode keeps its records in-process: no server to install

        client = fakeredis.FakeRedis()
        if state is not None:
            state.load(client)
        return Books(client, settings, secrets=secrets)
    return Books(redis_clients.client(settings.redis_url), settings, secrets=secrets)


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"


class App:
    """Books, broker, integrations and chains of one process, and what an operator can do with them.

    Args:
        settings: what to build; ``Settings.from_env()`` for the process's environment.
        embedded_state: with the in-process broker, the file its books are loaded from.

    Raises:
        ConfigError: a mapping file is invalid (every problem named), or the settings are.
    """

    def __init__(self, settings: Settings, *, embedded_state: EmbeddedState | None = None) -> None:
        self.settings = settings
        #: Values masked wherever errors are written: vendors have been known to echo credentials back.
        self.secrets = secret_values(settings.environ)
        self.integrations: dict[str, Integration] = discover(settings.mappings_dir, settings.environ)
        #: Where the embedded mode keeps its state between invocations (``connector run --embedded``
        #: passes it, and saves it when its run ends); None: nothing kept (Redis, tests).
        self.embedded_state = embedded_state if settings.embedded else None
        self.books = make_books(settings, self.secrets, self.embedded_state)
        self.runs = self.books.runs
        #: This process's queues and heartbeat, once it boots as a worker (``pipeline.flow.consumers``);
        #: each beat also finishes the runs that only waited on an end that was never written.
        self.consumers = ConsumerRegistry(client=self.books.redis, namespace=settings.namespace,
                                          timeout_ms=settings.heartbeat_timeout_ms,
                                          on_beat=[self.books.inflight.finish_settling])
        status = StatusTracking(books=self.books, secrets=self.secrets, owner=self.consumers.process_id)
        self.consumers.deliveries = status.running_deliveries
        self.broker = make_broker(settings, [
            # Always on, and first: status tracking and the books read what it keeps in the options.
            Attempts(secrets=self.secrets),
            *([status] if settings.status_tracking else []),
            RunAccounting(books=self.books, integrations=self.integrations),
            ReportUnconfigured(integrations=self.integrations),
            self.consumers,
        ])
        if isinstance(self.broker, RedisBroker) and same_database(self.broker.client, self.books.redis):
            # Where a message's last word is: one the broker no longer holds is not in flight.
            self.books.inflight.broker_namespace = self.broker.namespace
        # Messages are sent by actor name, so their queues are declared here, not by declaring actors.
        for tier in TIERS:
            self.broker.declare_queue(tier)
        messages = message_class(OrjsonEncoder())
        self.chains = {tier: Chain(tier, self.broker, messages) for tier in TIERS}
        self.ticks = Ticks(self.books.redis, self.runs, namespace=settings.namespace,
                           stale_after_s=settings.tick_stale_s)

    @classmethod
    def from_env(cls, environ=None, **options) -> App:
        """The application of ``environ`` (default: the process's environment)."""
        return cls(Settings.from_env(environ), **options)

    def declare_actors(self) -> list[dramatiq.Actor]:
        """Declare the workers' actors on this app's broker: each tier's steps, and the scheduled pulls.

        Only processes that work on messages need this (workers, the embedded mode); once per app.
        """
        declared = []
        for chain in self.chains.values():
            declared += declare_step_actors(chain, self.job, self.settings.batch_size)
        schedules = {name: found.spec.schedule for name, found in self.integrations.items()
                     if found.spec.schedule and found.spec.enabled}
        declared += declare_pulls(self.broker, schedules, self.ticks, self.tick)
        return declared

    def integration(self, name: str) -> Integration:
        """The integration called ``name``, or an UnknownNameError with a suggestion."""
        return get_integration(self.integrations, name)

    def job(self, integration: str, run_id: str, message_id: str | None, force: bool) -> Job:
        if integration not in self.integrations:
            # The command line read a mapping file this worker has not: it started before the file existed.
            raise ConfigError(f"Integration {integration!r} is unknown to this worker, which loaded "
                              f"{self.settings.mappings_dir} before that file was added or renamed: reload the "
                              "workers (send SIGHUP to the `dramatiq` main process, or restart them), then run "
                              "it again.")
        return Job(self.integrations[integration], self.books, run_id, message_id, force,
                   self.settings.test_crash_at)

    def start_run(self, integration: str, mode: str = "changed", refs: Sequence[str] | None = None,
                  tier: str | None = None, force: bool = False) -> str:
        """Open a run and enqueue its extraction; returns the run id.

        Full re-syncs go to the background tier unless a tier is given.
        """
        found = self.integration(integration)
        if mode not in MODES or mode == "retry":
            raise ConfigError(f"Unknown run mode {mode!r}. Known values: changed, full, refs.")
        tier = tier or ("background" if mode == "full" else "normal")
        run_id = new_run_id()
        self.runs.start(run_id, found.name, mode, tier)
        self.chains[tier].send("extract", found, {"run_id": run_id, "mode": mode,
                                                  "refs": list(refs) if refs else None, "force": force})
        return run_id

    def erase(self, integration: str, keys: Sequence[str], tier: str = "urgent") -> str:
        """Erase records from the integration's target for good (an erasure request); returns the run id.

        The records go straight to the load step as ``erase`` items (``pipeline.flow.missing``): each
        gets its own ``deleted`` outcome, and an erasure already done is not sent again.

        Raises:
            ConfigError: the target cannot erase this integration's records.
        """
        found = self.integration(integration)
        spec = found.spec
        if "erase" not in getattr(SYSTEMS.get(spec.target.system), "missing_actions", {}).get(spec.entity, ()):
            raise ConfigError(f"Integration {spec.name!r} cannot erase records: its target {spec.target.system!r} "
                              f"has no permanent deletion of {spec.entity} records.")
        run_id = new_run_id()
        self.runs.start(run_id, spec.name, "erase", tier)
        with self.books.redis.pipeline() as pipe:
            self.runs.count(pipe, run_id, extracted=len(keys))
            self.runs.finish_extraction(pipe, run_id, spec.name, None)
            pipe.execute()
        batch, items = f"{run_id}:0", [missing_item(key, "erase") for key in keys]
        self.chains[tier].send("load", found, {"run_id": run_id, "items": items, "batch": batch, "force": False},
                               batch=batch)
        return run_id

    def retry_dead_letters(self, letters: Iterable[DeadLetter], tier: str = "urgent") -> dict[str, str]:
        """Send dead letters again, each at the step it failed, in one new run per integration.

        Returns integration -> run id. A letter's history notes the retry; it goes away once its
        record loads, and gains a new failure if it fails again.
        """
        by_integration: dict[str, list[DeadLetter]] = {}
        for letter in letters:
            by_integration.setdefault(letter.integration, []).append(letter)
        chain, started = self.chains[tier], {}
        for name, group in by_integration.items():
            found = self.integration(name)
            for letter in group:
                if letter.failure.stage == "extract":
                    args = letter.failure.record or {}
                    mode = args.get("mode") or "changed"
                    started[name] = self.start_run(name, mode, args.get("refs"), tier)
                    self.books.dead_letters.note_retry(name, letter.failure.key, started[name])
            records = [letter for letter in group if letter.failure.stage in ("map", "load")]
            if not records:
                continue
            run_id = started[name] = new_run_id()
            self.runs.start(run_id, name, "retry", tier)
            with self.books.redis.pipeline() as pipe:
                self.runs.count(pipe, run_id, extracted=len(records))
                self.runs.finish_extraction(pipe, run_id, name, None)
                pipe.execute()
            for number, letter in enumerate(records):
                self.books.dead_letters.note_retry(name, letter.failure.key, run_id)
                batch = f"{run_id}:{number}"
                if letter.failure.stage == "map":
                    chain.send("map", found, {"run_id": run_id, "records": [letter.failure.record],
                                              "batch": batch, "force": True},
                               batch=batch, booked_as=mapped_as(batch))
                else:
                    chain.send("load", found, {"run_id": run_id, "items": [letter.failure.record],
                                               "batch": batch, "force": True}, batch=batch)
        return started

    def tick(self, integration: str, tick_at: str | None = None, force: bool = False) -> TickDecision:
        """A scheduler tick of ``integration``: start a pull, or record why not (``schedule.ticks``)."""
        when = tick_at or datetime.now(timezone.utc).replace(second=0, microsecond=0).isoformat()
        problem = self.integration(integration).configuration_problem()
        decision = self.ticks.on_tick(integration, when, lambda name: self.start_run(name, "changed"), force,
                                      problem)
        logger.info("Tick of %s at %s: %s %s", integration, when, decision.action,
                    decision.run_id or decision.reason,
                    extra={"event": "tick", "integration": integration, "action": decision.action,
                           "run_id": decision.run_id})
        return decision
