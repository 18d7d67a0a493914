"""Concurrency budgets: at most N requests in flight to one vendor account, across all processes.

A request that finds the budget full queues for a slot instead of failing, so waiting never burns
one of the message's retry attempts. A release hands its slot to the first waiter in the queue and
wakes it (a Redis list it blocks on), so a freed slot is busy again within a round trip and a
waiting thread uses no CPU: no polling. A waiter that died while queued is skipped (it stops
renewing its place), and a slot whose holder died expires after ``SLOT_TTL_MS``.

The budget adapts to the vendor: a 429 (NetSuite's ``CONCURRENCY_LIMIT_EXCEEDED`` is one) means
the account's real limit is below what was in flight, so the shared limit drops to one below the
refused request's position (how many were in flight when it took its slot). The refusals of one
burst agree (the limit is their minimum, not lowered once per refusal, which would collapse it),
and the limit recovers by one slot per ``RECOVER_S`` without a throttle, up to the configured
``CONCURRENCY``. A limit set at twice the account's real one thus costs one burst of 429s at the
start and one 429 per probe, not a run.

A held slot also counts what its request got in ``<namespace>:vendor:<budget>`` (a hash: outcome
-> requests, the outcomes being ``2xx``, ``3xx``, ``4xx``, ``429``, ``5xx`` and ``unanswered``);
the budgets are listed in the set ``<namespace>:budgets``; the console's ``/metrics`` reports both.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import redis

from pipeline import redis_clients
from pipeline.errors import RetryableError
from pipeline.settings import DEFAULT_REDIS_URL

#: How long a slot may be held before it is considered leaked (a worker killed mid-request).
SLOT_TTL_MS = 120_000
#: A waiter renews its place in the queue this often; one silent for twice as long is skipped.
WAKE_S = 1.0
#: Seconds without a throttle after which a lowered limit gets one slot back.
RECOVER_S = 5.0

_SCRIPT = (Path(__file__).with_name("concurrency.lua")).read_text(encoding="utf-8")
_clients: dict[str, redis.Redis] = {}
# In-process budgets live as long as a system holds one (its bound ``slot``), so the threads of one
# embedded run share what they learn about the account, and a later run starts from the setting.
_local_budgets: weakref.WeakValueDictionary[str, LocalBudget] = weakref.WeakValueDictionary()


def outcome_of(status: int | None) -> str:
    """The counted outcome of a response status (None: no answer, a timeout or a dropped connection)."""
    if status is None:
        return "unanswered"
    return "429" if status == 429 else f"{min(max(status // 100, 2), 5)}xx"


class Slot:
    """One held slot: ``answered``/``unanswered`` count its request's outcome; a 429 lowers the budget.

    ``position`` is how many requests were in flight when it was taken, itself included. An
    outcome other than a 429 is counted by the release, in its round trip: a round trip made while
    the slot is held is slot time the vendor sees idle.
    """

    def __init__(self, budget: RedisBudget | LocalBudget, position: int) -> None:
        self.budget, self.position = budget, position
        self.outcome: str | None = None

    def answered(self, status: int | None) -> None:
        """Note the request's outcome; a 429 is counted and lowers the limit at once, while the slot is held."""
        if status == 429:
            self.budget.count(outcome_of(status))
            self.throttled()
        else:
            self.outcome = outcome_of(status)

    def unanswered(self) -> None:
        self.answered(None)

    def throttled(self) -> int:
        """Lower the shared limit below this slot's position; returns the limit now in force."""
        return self.budget.throttled(self.position)


class RedisBudget:
    """A budget shared through Redis by every process that names it (see the module docstring)."""

    def __init__(self, client: redis.Redis, key: str, limit: int, *, max_wait_s: float = 300.0,
                 recover_s: float = RECOVER_S, wake_s: float = WAKE_S, counts_key: str | None = None) -> None:
        self.client, self.key, self.limit, self.counts_key = client, key, limit, counts_key
        self.max_wait_s, self.recover_ms, self.wake_s = max_wait_s, int(recover_s * 1000), wake_s
        self._script = client.register_script(_SCRIPT)
        self._keys = [f"{key}:holders", f"{key}:queue", f"{key}:alive", f"{key}:state"]
        if counts_key is not None:
            self._keys.append(counts_key)
        self._grant_prefix = f"{key}:grant:"

    def _call(self, action: str, token: str = "", outcome: str | None = None) -> int:
        return int(self._script(keys=self._keys, args=[
            action, token, self.limit, self.recover_ms, SLOT_TTL_MS, int(self.wake_s * 5000), self._grant_prefix,
            outcome or ""]))

    def current_limit(self) -> int:
        """The limit in force now (lowered by throttles, recovering towards the configured one)."""
        return self._call("limit")

    def count(self, outcome: str) -> None:
        if self.counts_key is not None:
            self.client.hincrby(self.counts_key, outcome, 1)

    def throttled(self, position: int) -> int:
        return self._call("throttled", str(position))

    @contextmanager
    def slot(self) -> Iterator[Slot]:
        token = uuid.uuid4().hex
        position = self._call("acquire", token) or self._wait(token)
        slot = Slot(self, position)
        try:
            yield slot
        finally:
            self._call("release", token, slot.outcome if self.counts_key is not None else None)

    def _wait(self, token: str) -> int:
        deadline = time.monotonic() + self.max_wait_s
        grant = self._grant_prefix + token
        while True:
            # Blocks until a release hands this waiter its slot; wakes every wake_s to renew its place.
            woken = self.client.blpop([grant], timeout=self.wake_s)
            if woken is not None:
                return int(woken[1])
            position = self._call("renew", token)
            if position:
                return position
            if time.monotonic() > deadline:
                position = self._call("cancel", token)
                if position:
                    return position  # granted just now
                raise RetryableError(f"No free request slot of {self.key!r} (limit {self.limit}) "
                                     f"for {self.max_wait_s:.0f}s.")


class LocalBudget:
    """The same budget inside one process (the embedded mode), on a condition variable."""

    def __init__(self, name: str, limit: int, *, max_wait_s: float = 300.0, recover_s: float = RECOVER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.limit, self.max_wait_s, self.recover_s, self.clock = name, limit, max_wait_s, recover_s, clock
        self._condition = threading.Condition()
        self._in_use, self._lowered, self._since = 0, limit, clock()

    def current_limit(self) -> int:
        with self._condition:
            return self._limit()

    def count(self, outcome: str) -> None:
        pass  # the embedded mode has no Redis to count in

    def _limit(self) -> int:
        if self._lowered < self.limit:
            steps = int((self.clock() - self._since) / self.recover_s)
            if steps:
                self._lowered = min(self.limit, self._lowered + steps)
                self._since += steps * self.recover_s
        return min(self._lowered, self.limit)

    def throttled(self, position: int) -> int:
        with self._condition:
            limit = self._limit()
            if position - 1 < limit:
                self._lowered, self._since = max(1, position - 1), self.clock()
            return self._limit()

    @contextmanager
    def slot(self) -> Iterator[Slot]:
        deadline = time.monotonic() + self.max_wait_s
        with self._condition:
            while self._in_use >= self._limit():
                # The timeout only lets a recovering limit be noticed; releases notify.
                if not self._condition.wait(timeout=min(self.recover_s, 1.0)) and time.monotonic() > deadline:
                    raise RetryableError(f"No free request slot of {self.name!r} (limit {self.limit}) "
                                         f"for {self.max_wait_s:.0f}s.")
            self._in_use += 1
            position = self._in_use
        try:
            yield Slot(self, position)
        finally:
            with self._condition:
                self._in_use -= 1
                self._condition.notify()


def concurrency_budget(name: str, limit: int, environ: Mapping[str, str], *, max_wait_s: float = 300.0,
                       recover_s: float | None = None) -> Callable[[], AbstractContextManager[Slot]]:
    """A factory of context managers that each hold one of ``limit`` slots named ``name``.

    ``PIPELINE_BUDGET_RECOVER_S`` sets how fast a limit lowered by throttles recovers.

    >>> budget = concurrency_budget("netsuite:1234567", 10, {"PIPELINE_BROKER_URL": "stub://"})
    >>> with budget() as slot:
    ...     pass  # one request; on a 429: slot.throttled()
    """
    namespace = environ.get("PIPELINE_NAMESPACE") or "pipeline"
    if recover_s is None:
        recover_s = float(environ.get("PIPELINE_BUDGET_RECOVER_S") or RECOVER_S)
    if (environ.get("PIPELINE_BROKER_URL") or "").startswith("stub:"):
        key = f"{namespace}:{name}"
        local = _local_budgets.get(key)
        if local is None or local.limit != limit:
            local = _local_budgets[key] = LocalBudget(name, limit, max_wait_s=max_wait_s, recover_s=recover_s)
        return local.slot
    url = environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if url not in _clients:
        _clients[url] = redis_clients.client(url)
    client = _clients[url]
    budget = RedisBudget(client, f"{namespace}:budget:{name}", limit, max_wait_s=max_wait_s, recover_s=recover_s,
                         counts_key=f"{namespace}:vendor:{name}")
    # The index of budgets, so that the console reads them without scanning the keyspace.
    client.sadd(f"{namespace}:budgets", name)
    return budget.slot
