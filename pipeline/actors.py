"""The entry point of workers and the scheduler: ``dramatiq pipeline.actors``, ``periodiq pipeline.actors``.

The only module with import-time effects, in a required order: settings from the environment,
every mapping file validated (a worker refuses to start on an invalid one, naming it), the
broker built and made global, and only then the actors declared, since ``@dramatiq.actor``
binds to the global broker when it runs.

Each step exists once per priority tier (``urgent``, ``normal``, ``background``): full re-syncs go
to ``background``, so they never starve regular pulls. Actor names are frozen: renaming a
function must not strand queued messages.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import dramatiq
import redis
from periodiq import cron

from pipeline.broker import make_broker
from pipeline.errors import ConfigError, FatalError, RecordError, RetryableError, is_retryable
from pipeline.integrations import Integration, discover, get_integration
from pipeline.runs import RunStore
from pipeline.settings import Settings
from pipeline.status import RunAccounting
from pipeline.steps import MODES, Outbox, extract, load_records, map_records

#: Queue name -> actor priority (Dramatiq's workers take lower numbers first).
TIERS = {"urgent": 0, "normal": 10, "background": 100}


def make_run_store(settings: Settings) -> RunStore:
    if settings.embedded:
        import fakeredis  # the embedded mode keeps its records in-process: no server to install

        client = fakeredis.FakeRedis()
    else:
        client = redis.Redis.from_url(settings.redis_url)
    return RunStore(client, namespace=settings.namespace, ttl_s=settings.status_ttl_s)


try:
    settings = Settings.from_env()
    integrations: dict[str, Integration] = discover(settings.mappings_dir, settings.environ)
except ConfigError as error:
    # Refuse to start, saying which file and field is wrong, instead of a traceback through dramatiq's CLI.
    raise SystemExit(f"Refusing to start: {error}") from None
runs = make_run_store(settings)
broker = make_broker(settings, [RunAccounting(runs=runs)])
dramatiq.set_broker(broker)


@dataclass(frozen=True)
class Chain:
    """The extract, map and load actors of one tier."""

    tier: str
    extract: dramatiq.Actor
    map: dramatiq.Actor
    load: dramatiq.Actor

    def send(self, actor: dramatiq.Actor, integration: Integration, kwargs: dict, delay_ms: int | None = None):
        """Enqueue a step of ``integration``, with its own retry budget when its mapping sets one."""
        max_retries = integration.spec.options.max_retries
        options = {"max_retries": max_retries} if max_retries is not None else {}
        return actor.send_with_options(kwargs={"integration": integration.name, **kwargs}, delay=delay_ms,
                                       **options)

    def outbox(self, integration: Integration, run_id: str) -> Outbox:
        def send_alone(item: dict, error: Exception) -> None:
            delay = getattr(error, "retry_after", None)
            self.send(self.load, integration, {"run_id": run_id, "items": [item], "alone": True},
                      int(delay * 1000) if delay else None)

        return Outbox(
            send_map=lambda records: self.send(self.map, integration, {"run_id": run_id, "records": records}),
            send_load=lambda items: self.send(self.load, integration, {"run_id": run_id, "items": items}),
            send_load_alone=send_alone,
        )


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


def _declare_chain(tier: str) -> Chain:
    def name(step: str) -> str:
        return step if tier == "normal" else f"{step}__{tier}"

    options = {"queue_name": tier, "priority": TIERS[tier], "throws": (FatalError, ConfigError, RecordError)}

    @dramatiq.actor(actor_name=name("extract"), **options)
    def extract_step(integration: str, run_id: str, mode: str = "changed", refs: list[str] | None = None):
        found = get_integration(integrations, integration)
        _run_step(found, lambda: extract(found, runs, run_id, mode, refs, settings_batch(found),
                                         chain.outbox(found, run_id)))

    @dramatiq.actor(actor_name=name("map"), **options)
    def map_step(integration: str, run_id: str, records: list[dict]):
        found = get_integration(integrations, integration)
        _run_step(found, lambda: map_records(found, runs, run_id, records, chain.outbox(found, run_id)))

    @dramatiq.actor(actor_name=name("load"), **options)
    def load_step(integration: str, run_id: str, items: list[dict], alone: bool = False):
        found = get_integration(integrations, integration)
        _run_step(found, lambda: load_records(found, runs, run_id, items, chain.outbox(found, run_id), alone))

    chain = Chain(tier, extract_step, map_step, load_step)
    return chain


def settings_batch(integration: Integration) -> int:
    return integration.spec.options.batch_size or settings.batch_size


CHAINS = {tier: _declare_chain(tier) for tier in TIERS}


def start_run(integration: str, mode: str = "changed", refs: Sequence[str] | None = None,
              tier: str | None = None) -> str:
    """Open a run and enqueue its extraction; returns the run id.

    Full re-syncs go to the background tier unless a tier is given.
    """
    found = get_integration(integrations, integration)
    if mode not in MODES:
        raise ConfigError(f"Unknown run mode {mode!r}. Known values: {', '.join(MODES)}.")
    tier = tier or ("background" if mode == "full" else "normal")
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    runs.start(run_id, found.name, mode)
    chain = CHAINS[tier]
    chain.send(chain.extract, found, {"run_id": run_id, "mode": mode, "refs": list(refs) if refs else None})
    return run_id


def _declare_schedules() -> None:
    for found in integrations.values():
        if not found.spec.schedule:
            continue

        def pull(name: str = found.name) -> None:
            start_run(name, "changed")

        dramatiq.actor(pull, actor_name=f"pull_{found.name}", queue_name="normal",
                       periodic=cron(found.spec.schedule))


_declare_schedules()
