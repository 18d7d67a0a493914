"""Saying at worker start which integrations cannot run here (their connections are not configured).

A worker with no ``PIPELINE_NETSUITE_ERP_*`` variables still starts (other integrations may be
fine), but says so once, naming the integration and the missing variables, instead of letting
each of its runs discover it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import dramatiq

from pipeline.flow.integrations import Integration, configuration_problems

logger = logging.getLogger(__name__)


class ReportUnconfigured(dramatiq.Middleware):
    """Logs, when a worker process boots, every integration whose connections are not configured."""

    def __init__(self, *, integrations: Mapping[str, Integration]) -> None:
        self.integrations = integrations

    def after_worker_boot(self, broker, worker) -> None:
        # INFO, one line each: a worker that runs only some of the integrations is normal, not a fault.
        problems = configuration_problems(self.integrations)
        for name, problem in problems.items():
            logger.info("Integration %r is not configured here: its ticks are recorded as 'not configured' "
                        "and its runs fail at once. %s", name, " ".join(problem.split()))
        if problems:
            logger.info("%d of %d integrations are not configured (see above); `connector check` tells more.",
                        len(problems), len(self.integrations))
