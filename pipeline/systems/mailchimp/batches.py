"""Mailchimp's batch operations: submit, wait for ``finished``, read each operation's result.

``POST /batches`` takes the operations; ``GET /batches/{id}`` moves through ``pending``,
``preprocessing``, ``started``, ``finalizing`` to ``finished``; then ``response_body_url`` is a
gzip'd tar of JSON files, each a list of ``{status_code, operation_id, response}`` where
``response`` is the operation's answer as a JSON string (CONTRACTS 3.4). Each operation's result
becomes its record's outcome, and every error names the batch, so an operator can look it up.
"""

from __future__ import annotations

import io
import json
import logging
import tarfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pipeline.errors import PipelineError, RetryableError
from pipeline.systems.mailchimp.client import MailchimpClient
from pipeline.systems.mailchimp.operations import Operation
from pipeline.systems.mailchimp.problems import operation_error

logger = logging.getLogger(__name__)

#: Longest wait between two looks at a running batch.
MAX_POLL_S = 30.0
#: Attempts at downloading a finished batch's results before the load is retried as a whole.
DOWNLOAD_ATTEMPTS = 3


@dataclass
class BatchRunner:
    """Runs one batch at a time for a load.

    Args:
        client: the account's client.
        poll_s: first wait between looks at the batch, doubled each time up to MAX_POLL_S.
        timeout_s: how long to wait for ``finished`` before giving up (the batch is then stopped).
    """

    client: MailchimpClient
    poll_s: float
    timeout_s: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    #: Ids of the batches this runner submitted, oldest first (for tests and operators).
    submitted: list[str] = field(default_factory=list)

    def run(self, operations: Mapping[str, Operation]) -> dict[str, Exception | None]:
        """Send ``operations`` (by operation id) as one batch; returns each one's outcome.

        Raises:
            RetryableError: the batch could not be submitted, did not finish in time, or its
                results could not be read: the caller's load is retried as a whole, which only
                repeats upserts.
        """
        body = {"operations": [operation.as_batch(op_id) for op_id, operation in operations.items()]}
        batch_id = str(self.client.post("/batches", body)["id"])
        self.submitted.append(batch_id)
        logger.info("Submitted Mailchimp batch %r with %d operations.", batch_id, len(operations))
        status = self._wait(batch_id)
        logger.info("Mailchimp batch %r finished: %s operations, %s errored.", batch_id,
                    status.get("finished_operations"), status.get("errored_operations"))
        results = read_results(self._download(batch_id, status.get("response_body_url") or ""))
        return {op_id: _outcome(batch_id, operation, results.get(op_id))
                for op_id, operation in operations.items()}

    def _wait(self, batch_id: str) -> dict:
        deadline = self.clock() + self.timeout_s
        delay, last = self.poll_s, "unknown"
        while True:
            try:
                status = self.client.get(f"/batches/{batch_id}")
                last = status.get("status", last)
                if last == "finished":
                    return status
            except RetryableError as error:
                # One failed look is no reason to submit the whole batch again.
                logger.info("Could not read the status of Mailchimp batch %r: %s", batch_id, error)
            if self.clock() + delay > deadline:
                self._stop(batch_id)
                raise RetryableError(f"Mailchimp batch {batch_id} did not finish in {self.timeout_s:g}s "
                                     f"(last status {last!r}); it was stopped, and the load will be sent "
                                     "again.", system="mailchimp")
            self.sleep(delay)
            delay = min(delay * 2, MAX_POLL_S)

    def _stop(self, batch_id: str) -> None:
        # Batches run one at a time per account: a forgotten one would hold up the next.
        try:
            self.client.call("DELETE", f"/batches/{batch_id}")
        except PipelineError as error:
            logger.warning("Could not stop Mailchimp batch %r: %s", batch_id, error)

    def _download(self, batch_id: str, url: str) -> bytes:
        if not url:
            raise RetryableError(f"Mailchimp batch {batch_id} finished without a response_body_url.",
                                 system="mailchimp")
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                return self.client.download(url)
            except RetryableError:
                if attempt == DOWNLOAD_ATTEMPTS:
                    raise
                self.sleep(self.poll_s)
        raise AssertionError("unreachable")


def read_results(archive: bytes) -> dict[str, dict]:
    """Operation id -> ``{status_code, operation_id, response}`` from a results archive.

    Raises:
        RetryableError: the archive is not a gzip'd tar of JSON lists (a truncated download).
    """
    results: dict[str, dict] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar.getmembers():
                if not (member.isfile() and member.name.endswith(".json")):
                    continue
                for result in json.load(tar.extractfile(member)):
                    results[str(result.get("operation_id"))] = result
    except (tarfile.TarError, OSError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise RetryableError(f"Unreadable Mailchimp batch results ({type(error).__name__}).",
                             system="mailchimp") from None
    return results


def _outcome(batch_id: str, operation: Operation, result: dict | None) -> Exception | None:
    if result is None:
        return RetryableError(f"Mailchimp batch {batch_id} has no result for {operation.method} "
                              f"{operation.path}.", system="mailchimp")
    status = int(result.get("status_code") or 0)
    if 200 <= status < 300:
        return None
    return operation_error(status, str(result.get("response") or ""), batch_id=batch_id,
                           method=operation.method, path=operation.path)
