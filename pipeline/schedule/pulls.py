"""The scheduler's periodic actors: one ``pull_<integration>`` per scheduled integration.

periodiq (``periodiq pipeline.actors``) sends each of them at their cron ticks; the worker that
receives a tick hands it to ``tick`` (the application's, which starts a pull or records why not).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import dramatiq
from dramatiq.middleware import CurrentMessage
from periodiq import cron

from pipeline.schedule.ticks import Ticks

logger = logging.getLogger(__name__)


class ScheduledPull(dramatiq.Actor):
    """A periodic pull whose ticks are enqueued once, however many ``periodiq`` processes send them.

    periodiq stamps each tick's message with ``scheduled_at``; the first scheduler to claim that
    tick in Redis enqueues it, the others' sends are recorded as duplicates and dropped.
    """

    #: Where tick claims are kept; set when the actor is declared.
    ticks: Ticks

    def send_with_options(self, *, args=(), kwargs=None, delay=None, **options):
        tick_at = options.get("scheduled_at")
        integration = self.actor_name.removeprefix("pull_")
        if tick_at and not self.ticks.claim_send(integration, str(tick_at)):
            logger.info("Tick of %s at %s already enqueued by another scheduler.", integration, tick_at)
            return None
        return super().send_with_options(args=args, kwargs=kwargs, delay=delay, **options)


def declare_pulls(broker: dramatiq.Broker, schedules: Mapping[str, str], ticks: Ticks,
                  tick: Callable[[str, str | None], object]) -> list[dramatiq.Actor]:
    """Declare a periodic actor per integration -> cron spec of ``schedules``; returns them."""
    declared = []
    for name, spec in schedules.items():
        def pull(integration: str = name) -> None:
            message = CurrentMessage.get_current_message()
            tick(integration, message.options.get("scheduled_at") if message else None)

        # periodiq lists each periodic actor as module:name: name the entry point operators start it with.
        pull.__module__ = "pipeline.actors"

        actor = dramatiq.actor(pull, actor_name=f"pull_{name}", queue_name="normal", broker=broker,
                               actor_class=ScheduledPull, periodic=cron(spec))
        actor.ticks = ticks
        declared.append(actor)
    return declared
