"""Magento's asynchronous bulk API: one request for many records, and each record's own result.

``POST /async/bulk/V1/<route>`` takes a JSON array of the synchronous route's bodies and answers
202 with ``{bulk_uuid, request_items: [{id, data_hash, status}], errors}``, one request item per
body in order (CONTRACTS 1.7). Each accepted item becomes an operation that Magento's
``async.operations.all`` consumer runs later; ``GET /V1/bulk/{uuid}/detailed-status`` lists the
operations with their ``status`` and ``result_message``. Each operation's result becomes its
record's outcome, and every error names the bulk, which operators find in Magento's admin under
System > Action Logs > Bulk Actions.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.errors import FatalError, RemoteError, RetryableError
from pipeline.systems.magento2.client import SYSTEM, Magento2Client

logger = logging.getLogger(__name__)

#: Operation statuses (``Magento\AsynchronousOperations\Api\Data\OperationInterface``).
COMPLETE, RETRIABLY_FAILED, NOT_RETRIABLY_FAILED, OPEN, REJECTED = 1, 2, 3, 4, 5
#: The request item status of a body Magento queued (others were refused on submission).
ACCEPTED = "accepted"
#: Longest wait between two looks at a running bulk.
MAX_POLL_S = 30.0

Outcome = Exception | None


@dataclass
class BulkRunner:
    """Sends bulks for a load and waits for their operations.

    Args:
        client: the shop's client.
        poll_s: first wait before looking at the bulk, doubled each time up to MAX_POLL_S.
        timeout_s: how long to wait for every operation to leave ``open``.
    """

    client: Magento2Client
    poll_s: float
    timeout_s: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    #: Uuids of the latest bulks this runner submitted, oldest first (for tests and operators);
    #: bounded, as a worker's system lives as long as the process.
    submitted: deque[str] = field(default_factory=lambda: deque(maxlen=100))

    def run(self, route: str, bodies: Sequence[dict]) -> list[Outcome]:
        """Send ``bodies`` as one bulk to ``POST /async/bulk{route}``; one outcome per body, in order.

        Raises:
            RemoteError: Magento refused the bulk as a whole (nothing was queued).
        """
        uuid, items = self._submit(route, bodies)
        accepted = [index for index, item in enumerate(items) if item.get("status", ACCEPTED) == ACCEPTED]
        logger.info("Submitted Magento bulk %r to %s: %d operations queued, %d refused.", uuid, route,
                    len(accepted), len(bodies) - len(accepted))
        outcomes: list[Outcome] = [_refused(uuid, item) for item in items]
        for index, outcome in zip(accepted, self._results(uuid, len(accepted)), strict=True):
            outcomes[index] = outcome
        logger.info("Magento bulk %r done: %d of %d records saved.", uuid, outcomes.count(None), len(bodies))
        return outcomes

    def _submit(self, route: str, bodies: Sequence[dict]) -> tuple[str, list[dict]]:
        """The new bulk's uuid, and its request items in body order."""
        answer = self.client.post(f"/async/bulk{route}", list(bodies))
        if not isinstance(answer, dict) or not answer.get("bulk_uuid"):
            raise FatalError(f"Magento answered POST /async/bulk{route} without a bulk_uuid.", system=SYSTEM)
        uuid = str(answer["bulk_uuid"])
        self.submitted.append(uuid)
        return uuid, _request_items(answer.get("request_items"), len(bodies))

    def _results(self, uuid: str, expected: int) -> list[Outcome]:
        """The outcomes of the bulk's ``expected`` operations, in request order."""
        if not expected:
            return []
        operations, trouble = self._wait(uuid, expected)
        if trouble is None and all(operation.get("status") in (None, OPEN) for operation in operations):
            logger.warning("No operation of Magento bulk %r ran within %gs: is Magento's "
                           "async.operations.all consumer running (cron or queue consumers)?", uuid,
                           self.timeout_s)
        return [_outcome(uuid, operation, trouble, self.timeout_s)
                for operation in _in_request_order(operations, expected)]

    def _wait(self, uuid: str, expected: int) -> tuple[list[dict], RemoteError | None]:
        """The operations as last seen, and the error that stopped the wait early (if one did)."""
        deadline = self.clock() + self.timeout_s
        delay, operations = self.poll_s, []
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                return operations, None
            # Operations wait for a consumer run: looking at once would only cost a request.
            self.sleep(min(delay, remaining))
            try:
                operations = self.client.get(f"/V1/bulk/{uuid}/detailed-status").get("operations_list") or []
            except RetryableError as error:
                # Reads were already retried in place; one failed look is no reason to give up.
                logger.info("Could not read the status of Magento bulk %r: %s", uuid, error)
            except RemoteError as error:
                return operations, error
            if _finished(operations, expected):
                return operations, None
            delay = min(delay * 2, MAX_POLL_S)


def _request_items(items: object, count: int) -> list[dict]:
    """The request items by body position (their ``id``); a missing one counts as accepted."""
    by_id = {int(item["id"]): item for item in items or [] if isinstance(item, dict) and "id" in item}
    return [by_id.get(index, {}) for index in range(count)]


def _finished(operations: list[dict], expected: int) -> bool:
    # Not operation-status/4: Magento counts open operations as "scheduled minus stored rows",
    # which is 0 on versions that store open operations as rows, while they are still open.
    return len(operations) >= expected and all(operation.get("status") != OPEN for operation in operations)


def _in_request_order(operations: list[dict], expected: int) -> list[dict | None]:
    """Operations matched to the accepted bodies by position, or all unknown when some are missing.

    Operation ids grow in the order Magento stored the operations, which is the request order,
    whether they are the request item ids or table row ids (versions differ). A list that is
    short cannot be matched safely, so no operation's result is trusted then.
    """
    if len(operations) != expected:
        return [None] * expected
    return sorted(operations, key=lambda operation: int(operation.get("id") or 0))


def _refused(uuid: str, item: dict) -> Outcome:
    if item.get("status", ACCEPTED) == ACCEPTED:
        return None
    return FatalError(f"Magento bulk {uuid}, request item {item.get('id')}, was refused "
                      f"({item.get('status')}): {item.get('error_message') or 'no message'}", system=SYSTEM)


def _outcome(uuid: str, operation: dict | None, trouble: RemoteError | None, timeout_s: float) -> Outcome:
    if operation is None or operation.get("status") == OPEN:
        return _unfinished(uuid, operation, trouble, timeout_s)
    status, name = operation.get("status"), f"Magento bulk {uuid}, operation {operation.get('id')},"
    message = str(operation.get("result_message") or "no message")
    if status == COMPLETE:
        return None
    if status == RETRIABLY_FAILED:
        return RetryableError(f"{name} failed and may be retried: {message}", system=SYSTEM)
    if status in (NOT_RETRIABLY_FAILED, REJECTED):
        verb = "was rejected" if status == REJECTED else "failed"
        return FatalError(f"{name} {verb}: {message}", system=SYSTEM)
    # A status this code does not know: the upsert is safe to send again.
    return RetryableError(f"{name} ended with unknown status {status!r}: {message}", system=SYSTEM)


def _unfinished(uuid: str, operation: dict | None, trouble: RemoteError | None, timeout_s: float) -> Outcome:
    name = f"Magento bulk {uuid}, operation {operation.get('id')}," if operation else f"Magento bulk {uuid}:"
    if trouble is not None:
        # The class of the error that stopped the wait (no access to the bulk log: AuthError).
        return type(trouble)(f"{name} its status could not be read, so the record may or may not be "
                             f"saved: {trouble}", system=SYSTEM, status=trouble.status)
    state = "still open" if operation else "not listed yet"
    return RetryableError(f"{name} {state} after {timeout_s:g}s; the record will be sent again.",
                          system=SYSTEM)
