"""A tier's extract -> map -> load chain: its actor names, and how one step enqueues the next.

A chain sends messages by actor name, straight to the broker: whoever starts a run (the command
line, the web page, a scheduler tick) needs the broker, never the workers' actor functions, which
only the workers declare (``pipeline.flow.workers``).
"""

from __future__ import annotations

from dataclasses import dataclass

import dramatiq

from pipeline.books.batches import alone_batch, mapped_as
from pipeline.flow.integrations import Integration
from pipeline.flow.steps import Job, Outbox

#: Queue name -> actor priority (Dramatiq's workers take lower numbers first).
TIERS = {"urgent": 0, "normal": 10, "background": 100}


def actor_name(step: str, tier: str) -> str:
    """``load`` on ``background`` -> ``load__background``. Frozen: queued messages name their actor."""
    return step if tier == "normal" else f"{step}__{tier}"


@dataclass(frozen=True)
class Chain:
    """The extract, map and load steps of one tier, on one broker."""

    tier: str
    broker: dramatiq.Broker
    #: The class of the messages sent: it says how they are encoded (``pipeline.flow.encoding``).
    message_class: type[dramatiq.Message] = dramatiq.Message

    def send(self, step: str, integration: Integration, kwargs: dict, delay_ms: int | None = None,
             batch: str | None = None, booked_as: str | None = None) -> dramatiq.Message:
        """Enqueue a step of ``integration``, with its own retry budget when its mapping sets one.

        ``batch`` (the page) and ``booked_as`` (the id its share is counted under, see
        ``pipeline.books.batches``) travel in the message's options, where the books read them.
        """
        max_retries = integration.spec.options.max_retries
        options: dict = {"max_retries": max_retries} if max_retries is not None else {}
        if batch is not None:
            options.update(batch_id=batch, booked_as=booked_as or batch)
        # What Actor.send_with_options builds, without needing the actor declared in this process.
        message = self.message_class(queue_name=self.tier, actor_name=actor_name(step, self.tier), args=(),
                                   kwargs={"integration": integration.name, **kwargs}, options=options)
        return self.broker.enqueue(message, delay=delay_ms)

    def outbox(self, job: Job) -> Outbox:
        """Where ``job``'s step sends its output: the next step of this tier, same run, same force."""
        base = {"run_id": job.run_id, "force": job.force}

        def send_map(records: list[dict], batch: str) -> None:
            self.send("map", job.integration, {**base, "records": records, "batch": batch}, batch=batch,
                      booked_as=mapped_as(batch))

        def send_load(items: list[dict], batch: str) -> None:
            self.send("load", job.integration, {**base, "items": items, "batch": batch}, batch=batch)

        def send_alone(item: dict, error: Exception | None, batch: str) -> None:
            delay = getattr(error, "retry_after", None)
            self.send("load", job.integration, {**base, "items": [item], "batch": batch, "alone": True},
                      int(delay * 1000) if delay else None,
                      batch=batch, booked_as=alone_batch(batch, item["key"]))

        return Outbox(send_map=send_map, send_load=send_load, send_load_alone=send_alone)
