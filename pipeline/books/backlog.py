"""Status changes that could not be written while Redis was away, held in the worker and written once it answers.

A worker goes on through a Redis outage (its messages come back, ``pipeline.flow.recovery``), but a
status change it could not write was lost: a message could stay ``running`` or ``enqueued`` in the
books for good after its run finished. ``StatusBacklog`` keeps those changes, in order, up to a
bound (the oldest are dropped beyond it, and counted), and writes them when Redis answers again.
Each is written only if no newer change of its message reached Redis meanwhile (another worker ran
the message again, say), so a late write never moves a message back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from pipeline.books.messages import MessageStatuses

logger = logging.getLogger(__name__)

#: Changes held at most; an outage longer than this many changes loses its oldest.
LIMIT = 10_000


@dataclass(frozen=True)
class HeldChange:
    message_id: str
    state: str
    run_id: str | None
    at: float
    fields: dict
    #: (queue, delivery token, process id, broker's copy id), for the run's in-flight books.
    in_flight: tuple[str, ...] | None = None


class StatusBacklog:
    """Status changes held in this process until Redis takes them again."""

    def __init__(self, messages: MessageStatuses, *, limit: int = LIMIT, clock=time.time) -> None:
        self.messages, self.clock = messages, clock
        self._held: deque[HeldChange] = deque(maxlen=limit)
        self._lock = threading.Lock()
        #: Changes dropped because the backlog was full (the oldest go first).
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, message_id: str, state: str, run_id: str | None, fields: dict,
             in_flight: tuple[str, ...] | None = None) -> None:
        """Keep a change that could not be written, stamped now (when it happened)."""
        with self._lock:
            if len(self._held) == self._held.maxlen:
                self.dropped += 1
            self._held.append(HeldChange(message_id, state, run_id, self.clock(), fields, in_flight))

    def flush(self) -> tuple[int, int]:
        """Write the held changes, oldest first, until Redis fails again; returns (applied, outdated)."""
        applied = outdated = 0
        with self._lock:
            while self._held:
                change = self._held[0]
                try:
                    written = self.messages.transition_if_newer(change.message_id, change.state, change.run_id,
                                                                change.at, change.fields, change.in_flight)
                except Exception:  # still away: kept for the next try
                    break
                self._held.popleft()
                applied, outdated = applied + written, outdated + (not written)
        if applied or outdated:
            logger.warning("Wrote %d status changes held while Redis was away (%d left out: the message had "
                           "moved on since; %d dropped, the backlog being full).", applied, outdated, self.dropped,
                           extra={"event": "status_backlog_written", "applied": applied, "outdated": outdated,
                                  "dropped": self.dropped})
        return applied, outdated
