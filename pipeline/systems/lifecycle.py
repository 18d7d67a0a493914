"""What else can happen to a record after its first sync: the lifecycle events a load may apply.

A system's load returns one outcome per record: None (upserted), an exception (failed), or an
``Applied`` event when the record's new state was carried over as more than an upsert: an order
cancelled or closed, a member archived, permanently deleted or unsubscribed, a product disabled. Each event has
its own outcome in the ledger and its own count in the run, so an operator sees "3 cancelled", not
"3 loaded", and ``connector entity`` shows what became of the record.

>>> Applied("cancelled", "sales order 812 was pending approval")
Applied(event='cancelled', detail='sales order 812 was pending approval')
"""

from __future__ import annotations

from dataclasses import dataclass

#: The lifecycle events, each a ledger status and a run counter of its own.
EVENTS = ("cancelled", "closed", "archived", "deleted", "disabled", "unsubscribed")


@dataclass(frozen=True)
class Applied:
    """A record's load applied a lifecycle event to the target.

    Attributes:
        event: one of ``EVENTS``.
        detail: one sentence for the operator: what was done, and why this way.
    """

    event: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            # A developer mistake in a system's loader: caught the first time it runs.
            raise ValueError(f"Unknown lifecycle event {self.event!r}; known events: {', '.join(EVENTS)}.")


#: A record's load outcome: None (upserted), an event applied, or the error it failed with.
Outcome = "Exception | Applied | None"


#: ``on_missing`` of a mapping: what a full run does to a record the source no longer has.
MISSING_ACTIONS = ("ignore", "delete", "disable")


def missing_problem(system: str, system_class: type | None, entity: str, action: str) -> str | None:
    """Why ``system`` cannot apply ``action`` to missing ``entity`` records, or None when it can.

    A system that can declares ``missing_actions`` (entity -> actions) and ``apply_missing``.
    """
    if action == "ignore":
        return None
    able = getattr(system_class, "missing_actions", {}).get(entity, ())
    if action in able:
        return None
    can = f"it can {' or '.join(able)} them" if able else "it cannot remove or disable them"
    return (f"System {system!r} cannot {action} {entity} records missing from the source ({can}). "
            f"Set on_missing to ignore{' or to ' + ' or '.join(able) if able else ''}.")
