"""The protocol every system implements, and the record shapes that cross it."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

from pipeline.errors import NotSentError, PipelineError, UnknownNameError, finds_target_down

#: A source record that could not even be read (e.g. a broken JSON line) carries this key with
#: the reason; the map step fails it with that reason, so it is kept and reported like any other.
INVALID_RECORD = "_unreadable"


@dataclass(frozen=True)
class Page:
    """One page of source records and the cursor to resume from after it.

    Attributes:
        records: source-native records, JSON-safe dicts, in the order the source gave them.
        cursor: an opaque, JSON-safe position (e.g. the last ``updated_at`` and id seen); the
            run stores the last page's cursor once extraction has completed, and the next
            incremental pull passes it back as ``since``.
    """

    records: list[dict]
    cursor: str | None = None


@dataclass(frozen=True)
class LoadItem:
    """One mapped record on its way into a target.

    Attributes:
        key: the entity's natural key (email, order number, SKU, ...).
        data: the canonical entity, normalised and JSON-safe (money as strings, datetimes ISO 8601 UTC).
        native: target-native extras from the mapping's ``target_fields`` (custom attributes,
            a NetSuite subsidiary, ...), passed through as they are.
        previous_key: the key last sent for the same source record (its ``external_id``) when it
            differs from ``key``; only for targets that ask (``previous_keys_of``), else None.
    """

    key: str
    data: dict
    native: dict
    previous_key: str | None = None

    def as_message(self) -> dict:
        return {"key": self.key, "data": self.data, "native": self.native}


class System(Protocol):
    """An external system: extract pages of an entity, load records of an entity.

    A system is built from its connection's environment variables (``from_env``); secrets
    stay inside it and never reach messages, statuses or logs.
    """

    #: Registry name, as mapping files write it.
    name: str

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> System: ...

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        """Stream pages of ``entity`` changed since ``since`` (all when None).

        ``refs`` names explicit records; a system that cannot look them up directly may return
        more, the pipeline filters by natural key afterwards.
        """
        ...

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        """Upsert each item by natural key; one outcome per item (None when it was loaded, an
        ``Applied`` lifecycle event when more than an upsert was done, or the record's error).

        Must be idempotent: the same item loaded twice leaves the target as loading it once.
        Errors of one item are returned, not raised, so its batch mates go on.
        """
        ...


def connection_env(connection: str, environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    """The connection's variable ``PIPELINE_<CONNECTION>_<NAME>``, e.g. ``PIPELINE_ERP_DROP_DIR``."""
    return environ.get(f"PIPELINE_{connection.upper()}_{name}", default)


#: Loads one record; a PipelineError it raises is that record's outcome alone. It returns None,
#: or the lifecycle event it applied (``pipeline.systems.lifecycle.Applied``).
LoadOne = Callable[[LoadItem], object]


def loader_for(system: str, entity: str, loaders: Mapping[str, LoadOne]) -> LoadOne:
    """The function of ``loaders`` that loads one ``entity`` record into ``system``.

    Raises:
        UnknownNameError: ``system`` cannot load ``entity`` (naming the ones it can).
    """
    try:
        return loaders[entity]
    except KeyError:
        raise UnknownNameError(f"{system} entity to load", entity, loaders) from None


#: Records that open a batch and all find the target down (no answer, or a 5xx) before its rest is not sent.
DOWN_AFTER = 3


def load_each(load_one: LoadOne, items: Sequence[LoadItem], *, pool: Executor | None = None) -> list[Exception | None]:
    """Load items, one outcome each, in order: what the loader returned, or the PipelineError it raised.

    When the first ``DOWN_AFTER`` records all found the target down, the rest are not sent: each gets a
    ``NotSentError`` (retryable, with the last error's Retry-After), so an outage costs a few requests
    per batch, not one per record, and the batch is retried whole. Once a record did not find it down,
    every record is sent: failures among successes are the records' own, split out and retried alone.
    Any other exception propagates: it is a bug, or a failure of the whole batch, not of one record.

    ``pool``: threads the rest of the batch loads on, as many at once as it has. A system whose
    requests each hold a slot of a concurrency budget passes one the size of its limit, shared by the
    process's batches: a batch loaded one record at a time keeps one slot of many busy, and a run's
    last batches leave the others idle. The records opening the batch still go one at a time on the
    caller's thread until one finds the target up, so an outage costs as few requests. A batch naming
    a key twice is loaded in order, one record at a time.
    """
    outcomes: list = []
    for index, item in enumerate(items):
        if index >= DOWN_AFTER:  # every record before this one found the target down
            last = outcomes[-1]
            outcomes += [NotSentError(f"Not sent: the {index} records before it found the target down, the last "
                                      f"with {type(last).__name__}: {last}", system=getattr(last, "system", ""),
                                      status=getattr(last, "status", None),
                                      retry_after=getattr(last, "retry_after", None)) for _ in items[index:]]
            return outcomes
        outcome = _outcome_of(load_one, item)
        outcomes.append(outcome)
        if not (isinstance(outcome, PipelineError) and finds_target_down(outcome)):
            return outcomes + _load_rest(load_one, items[index + 1:], pool)
    return outcomes


def _outcome_of(load_one: LoadOne, item: LoadItem) -> object:
    try:
        return load_one(item)
    except PipelineError as error:
        return error


def _load_rest(load_one: LoadOne, items: Sequence[LoadItem], pool: Executor | None) -> list:
    """Outcomes of ``items``, on ``pool`` if there is one, each in its caller's context (log fields)."""
    if pool is None or len(items) <= 1 or len({item.key for item in items}) < len(items):
        return [_outcome_of(load_one, item) for item in items]
    contexts = [contextvars.copy_context() for _ in items]  # one each: a context runs in one thread at a time
    return list(pool.map(lambda context, item: context.run(_outcome_of, load_one, item), contexts, items))
