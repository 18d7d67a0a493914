"""The workers' step actors: each one a thin call of a step in ``pipeline.flow.steps``.

Declared only where messages are processed (``pipeline.actors``, and the command line's embedded
mode); everyone else sends to them by name (``pipeline.flow.chain``). Each step exists once per
tier, on that tier's queue and priority.
"""

from __future__ import annotations

from collections.abc import Callable

import dramatiq
import redis
from dramatiq.middleware import CurrentMessage

from pipeline.books.round_trip import forget_loaded_scripts
from pipeline.errors import ConfigError, FatalError, RecordError, RetryableError, WaitError, is_retryable
from pipeline.flow.chain import TIERS, Chain, actor_name
from pipeline.flow.integrations import Integration
from pipeline.flow.steps import Job, extract, load_records, map_records

#: (integration, run id, message id, force) -> the Job a step runs as.
JobFactory = Callable[[str, str, "str | None", bool], Job]


def run_step(integration: Integration, step: Callable[[], None]) -> None:
    """Run a step, sorting its errors into retried (with the server's Retry-After) and failed at once."""
    try:
        step()
    except WaitError:
        raise  # re-sent after its delay by DurableRetries, without counting an attempt
    except redis.exceptions.NoScriptError as error:
        # Redis restarted and lost its scripts: none of them ran. Loaded again for the retry.
        forget_loaded_scripts()
        raise RetryableError(f"Redis lost its scripts (restarted?): {error}") from error
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


def declare_step_actors(chain: Chain, jobs: JobFactory, default_batch_size: int) -> list[dramatiq.Actor]:
    """Declare ``chain``'s extract, map and load actors on its broker; returns them."""
    options = {"queue_name": chain.tier, "priority": TIERS[chain.tier], "broker": chain.broker,
               "throws": (FatalError, ConfigError, RecordError)}

    def job(integration: str, run_id: str, force: bool) -> Job:
        message = CurrentMessage.get_current_message()
        return jobs(integration, run_id, message.message_id if message else None, force)

    @dramatiq.actor(actor_name=actor_name("extract", chain.tier), **options)
    def extract_step(integration: str, run_id: str, mode: str = "changed", refs: list[str] | None = None,
                     force: bool = False):
        found = job(integration, run_id, force)
        batch = found.integration.spec.options.batch_size or default_batch_size
        run_step(found.integration, lambda: extract(found, mode, refs, batch, chain.outbox(found)))

    @dramatiq.actor(actor_name=actor_name("map", chain.tier), **options)
    def map_step(integration: str, run_id: str, records: list[dict], batch: str = "", force: bool = False):
        found = job(integration, run_id, force)
        run_step(found.integration,
                 lambda: map_records(found, records, chain.outbox(found), batch or found.message_id))

    @dramatiq.actor(actor_name=actor_name("load", chain.tier), **options)
    def load_step(integration: str, run_id: str, items: list[dict], batch: str = "", alone: bool = False,
                  force: bool = False):
        found = job(integration, run_id, force)
        attempts = CurrentMessage.get_current_message().options.get("attempts", 1)
        run_step(found.integration, lambda: load_records(found, items, chain.outbox(found),
                                                         batch or found.message_id, alone, attempts))

    return [extract_step, map_step, load_step]
