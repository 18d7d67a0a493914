"""A tier's extract -> map -> load actors, and how one step enqueues the next."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import dramatiq

from pipeline.integrations import Integration
from pipeline.steps import Job, Outbox

#: Queue name -> actor priority (Dramatiq's workers take lower numbers first).
TIERS = {"urgent": 0, "normal": 10, "background": 100}


@dataclass(frozen=True)
class Chain:
    """The extract, map and load actors of one tier."""

    tier: str
    extract: dramatiq.Actor
    map: dramatiq.Actor
    load: dramatiq.Actor

    def send(self, actor: dramatiq.Actor, integration: Integration, kwargs: dict,
             delay_ms: int | None = None) -> dramatiq.Message:
        """Enqueue a step of ``integration``, with its own retry budget when its mapping sets one."""
        max_retries = integration.spec.options.max_retries
        options = {"max_retries": max_retries} if max_retries is not None else {}
        return actor.send_with_options(kwargs={"integration": integration.name, **kwargs}, delay=delay_ms,
                                       **options)

    def outbox(self, job: Job) -> Outbox:
        """Where ``job``'s step sends its output: the next actor of this tier, same run, same force."""
        base = {"run_id": job.run_id, "force": job.force}

        def send_alone(item: dict, error: Exception, batch: str) -> None:
            delay = getattr(error, "retry_after", None)
            self.send(self.load, job.integration, {**base, "items": [item], "batch": batch, "alone": True},
                      int(delay * 1000) if delay else None)

        return Outbox(
            send_map=lambda records, batch: self.send(self.map, job.integration,
                                                      {**base, "records": records, "batch": batch}),
            send_load=lambda items, batch: self.send(self.load, job.integration,
                                                     {**base, "items": items, "batch": batch}),
            send_load_alone=send_alone,
            round_trip=self._round_trip(job),
        )

    def _round_trip(self, job: Job):
        # Only the Redis broker can join the books' round trip (broker.PipelinedRedisBroker).
        joins = getattr(self.map.broker, "round_trip", None)
        return (lambda: joins(job.books.redis)) if joins else nullcontext
