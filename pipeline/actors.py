"""The entry point of workers and the scheduler: ``dramatiq pipeline.actors``, ``periodiq pipeline.actors``.

The only module with import-time effects, in a required order: settings from the environment,
every mapping file validated (a worker refuses to start on an invalid one, naming it), logging
with secrets masked, the broker built and made global, and only then the actors declared, since
``@dramatiq.actor`` binds to the global broker when it runs.

Each step exists once per priority tier (``urgent``, ``normal``, ``background``): full re-syncs go
to ``background``, so they never starve regular pulls. Actor names are frozen: renaming a
function must not strand queued messages.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone

import dramatiq
import redis
from dramatiq.middleware import CurrentMessage
from periodiq import cron

from pipeline.books import Books
from pipeline.broker import make_broker
from pipeline.chain import TIERS, Chain
from pipeline.embedded_state import EmbeddedState
from pipeline.errors import ConfigError, FatalError, RecordError, RetryableError, is_retryable
from pipeline.integrations import Integration, discover, get_integration
from pipeline.logs import configure_logging
from pipeline.readiness import ReportUnconfigured
from pipeline.redaction import secret_values
from pipeline.settings import Settings
from pipeline.status import RunAccounting, StatusTracking
from pipeline.steps import MODES, Job, extract, load_records, map_records
from pipeline.ticks import TickDecision, Ticks

logger = logging.getLogger(__name__)


def make_books(settings: Settings, secrets: set[str]) -> Books:
    if settings.embedded:
        import fakeredis  # the embedded mode keeps its records in-process: no server to install

        client = fakeredis.FakeRedis()
        # What earlier embedded runs left (cursors, ledger): `changed` means what it means with Redis.
        embedded_state.load(client)
        return Books(client, settings, secrets=secrets)
    return Books(redis.Redis.from_url(settings.redis_url), settings, secrets=secrets)


try:
    settings = Settings.from_env()
    integrations: dict[str, Integration] = discover(settings.mappings_dir, settings.environ)
except ConfigError as error:
    # Refuse to start, saying which file and field is wrong, instead of a traceback through dramatiq's CLI.
    raise SystemExit(f"Refusing to start: {error}") from None

#: The embedded mode's state file (saved by the command line when its run ends); None with a real Redis.
embedded_state = EmbeddedState(settings.embedded_state) if settings.embedded else None
secrets = secret_values(settings.environ)
configure_logging(level=getattr(logging, settings.log_level, logging.INFO), json_output=settings.log_json,
                  secrets=secrets)
books = make_books(settings, secrets)
runs = books.runs


broker = make_broker(settings, [
    *([StatusTracking(books=books, secrets=secrets)] if settings.status_tracking else []),
    RunAccounting(books=books, integrations=integrations),
    ReportUnconfigured(integrations=integrations),
])
dramatiq.set_broker(broker)


def _run_step(integration: Integration, step) -> None:
    """Run a step, sorting its errors into retried (with the server's Retry-After) and failed at once."""
    try:
        step()
    except RetryableError as error:
        if error.retry_after:
            raise dramatiq.Retry(str(error), delay=int(error.retry_after * 1000)) from error
        raise
    except (FatalError, ConfigError, RecordError):
        raise
    except Exception as error:
        if is_retryable(error, integration.spec.options.retry_on):
            raise
        raise FatalError(f"{type(error).__name__}: {error}") from error


def _job(integration: str, run_id: str, force: bool) -> Job:
    message = CurrentMessage.get_current_message()
    if integration not in integrations:
        # The command line read a mapping file this worker has not: it started before the file existed.
        raise ConfigError(f"Integration {integration!r} is unknown to this worker, which loaded "
                          f"{settings.mappings_dir} before that file was added or renamed: reload the workers "
                          "(send SIGHUP to the `dramatiq` main process, or restart them), then run it again.")
    return Job(integrations[integration], books, run_id, message.message_id if message else None, force)


def _declare_chain(tier: str) -> Chain:
    def name(step: str) -> str:
        return step if tier == "normal" else f"{step}__{tier}"

    options = {"queue_name": tier, "priority": TIERS[tier], "throws": (FatalError, ConfigError, RecordError)}

    @dramatiq.actor(actor_name=name("extract"), **options)
    def extract_step(integration: str, run_id: str, mode: str = "changed", refs: list[str] | None = None,
                     force: bool = False):
        job = _job(integration, run_id, force)
        batch = job.integration.spec.options.batch_size or settings.batch_size
        _run_step(job.integration, lambda: extract(job, mode, refs, batch, chain.outbox(job)))

    @dramatiq.actor(actor_name=name("map"), **options)
    def map_step(integration: str, run_id: str, records: list[dict], batch: str = "", force: bool = False):
        job = _job(integration, run_id, force)
        _run_step(job.integration, lambda: map_records(job, records, chain.outbox(job), batch or job.message_id))

    @dramatiq.actor(actor_name=name("load"), **options)
    def load_step(integration: str, run_id: str, items: list[dict], batch: str = "", alone: bool = False,
                  force: bool = False):
        job = _job(integration, run_id, force)
        attempts = CurrentMessage.get_current_message().options.get("attempts", 1)
        _run_step(job.integration, lambda: load_records(job, items, chain.outbox(job), batch or job.message_id,
                                                        alone, attempts))

    chain = Chain(tier, extract_step, map_step, load_step)
    return chain


CHAINS = {tier: _declare_chain(tier) for tier in TIERS}


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"


def start_run(integration: str, mode: str = "changed", refs: Sequence[str] | None = None,
              tier: str | None = None, force: bool = False) -> str:
    """Open a run and enqueue its extraction; returns the run id.

    Full re-syncs go to the background tier unless a tier is given.
    """
    found = get_integration(integrations, integration)
    if mode not in MODES or mode == "retry":
        raise ConfigError(f"Unknown run mode {mode!r}. Known values: changed, full, refs.")
    tier = tier or ("background" if mode == "full" else "normal")
    run_id = new_run_id()
    runs.start(run_id, found.name, mode)
    chain = CHAINS[tier]
    chain.send(chain.extract, found, {"run_id": run_id, "mode": mode, "refs": list(refs) if refs else None,
                                      "force": force})
    return run_id


def retry_dead_letters(letters, tier: str = "urgent") -> dict[str, str]:
    """Send dead letters again, each at the step it failed, in one new run per integration.

    Returns integration -> run id. A letter's history notes the retry; it goes away once its
    record loads, and gains a new failure if it fails again.
    """
    by_integration: dict[str, list] = {}
    for letter in letters:
        by_integration.setdefault(letter.integration, []).append(letter)
    chain, started = CHAINS[tier], {}
    for name, group in by_integration.items():
        found = get_integration(integrations, name)
        for letter in group:
            if letter.failure.stage == "extract":
                args = letter.failure.record or {}
                started[name] = start_run(name, args.get("mode") or "changed", args.get("refs"), tier)
                books.dead_letters.note_retry(name, letter.failure.key, started[name])
        records = [letter for letter in group if letter.failure.stage in ("map", "load")]
        if not records:
            continue
        run_id = started[name] = new_run_id()
        runs.start(run_id, name, "retry")
        with books.redis.pipeline() as pipe:
            runs.count(pipe, run_id, extracted=len(records))
            runs.finish_extraction(pipe, run_id, name, None)
            pipe.execute()
        for number, letter in enumerate(records):
            books.dead_letters.note_retry(name, letter.failure.key, run_id)
            batch = f"{run_id}:{number}"
            if letter.failure.stage == "map":
                chain.send(chain.map, found, {"run_id": run_id, "records": [letter.failure.record], "batch": batch,
                                              "force": True})
            else:
                chain.send(chain.load, found, {"run_id": run_id, "items": [letter.failure.record], "batch": batch,
                                               "force": True})
    return started


ticks = Ticks(books.redis, runs, namespace=settings.namespace, stale_after_s=settings.tick_stale_s)


def tick(integration: str, tick_at: str | None = None, force: bool = False) -> TickDecision:
    """A scheduler tick of ``integration``: start a pull, or record why not (see ``pipeline.ticks``)."""
    when = tick_at or datetime.now(timezone.utc).replace(second=0, microsecond=0).isoformat()
    problem = get_integration(integrations, integration).configuration_problem()
    decision = ticks.on_tick(integration, when, lambda name: start_run(name, "changed"), force, problem)
    logger.info("Tick of %s at %s: %s %s", integration, when, decision.action, decision.run_id or decision.reason,
                extra={"event": "tick", "integration": integration, "action": decision.action,
                       "run_id": decision.run_id})
    return decision


class ScheduledPull(dramatiq.Actor):
    """A periodic pull whose ticks are enqueued once, however many ``periodiq`` processes send them.

    periodiq stamps each tick's message with ``scheduled_at``; the first scheduler to claim that
    tick in Redis enqueues it, the others' sends are recorded as duplicates and dropped.
    """

    def send_with_options(self, *, args=(), kwargs=None, delay=None, **options):
        tick_at = options.get("scheduled_at")
        integration = self.actor_name.removeprefix("pull_")
        if tick_at and not ticks.claim_send(integration, str(tick_at)):
            logger.info("Tick of %s at %s already enqueued by another scheduler.", integration, tick_at)
            return None
        return super().send_with_options(args=args, kwargs=kwargs, delay=delay, **options)


def _declare_schedules() -> None:
    for found in integrations.values():
        if not found.spec.schedule or not found.spec.enabled:
            continue

        def pull(name: str = found.name) -> None:
            message = CurrentMessage.get_current_message()
            tick(name, message.options.get("scheduled_at") if message else None)

        dramatiq.actor(pull, actor_name=f"pull_{found.name}", queue_name="normal", actor_class=ScheduledPull,
                       periodic=cron(found.spec.schedule))


_declare_schedules()
