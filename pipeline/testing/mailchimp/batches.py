"""Batch operations: accepted at once, run later through the emulator's own routes, one batch at a time.

A batch goes ``pending`` -> ``preprocessing`` -> ``started`` -> ``finalizing`` -> ``finished``
(CONTRACTS 3.4), spending ``delay_s`` before it starts. Its results are a real gzip'd tar of JSON
files (``chunk`` results each), each result ``{status_code, operation_id, response}`` with the
operation's answer as a JSON *string*; the archive is served from loopback at ``response_body_url``.
"""

from __future__ import annotations

import io
import json
import queue
import secrets
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Executes one operation (``{method, path, params, body}``) -> (HTTP status, answer as JSON text).
Execute = Callable[[dict], tuple[int, str]]


@dataclass
class Batch:
    id: str
    operations: list[dict]
    submitted_at: str
    status: str = "pending"
    finished_operations: int = 0
    errored_operations: int = 0
    completed_at: str = ""
    response_body_url: str = ""
    stopped: bool = False
    results: list[dict] = field(default_factory=list)

    def view(self) -> dict:
        """The batch as ``GET /batches/{id}`` answers it."""
        return {"id": self.id, "status": self.status, "total_operations": len(self.operations),
                "finished_operations": self.finished_operations,
                "errored_operations": self.errored_operations, "submitted_at": self.submitted_at,
                "completed_at": self.completed_at,
                "response_body_url": self.response_body_url, "_links": []}


class BatchQueue:
    """The account's batches, run in order on one thread (Mailchimp runs one at a time per account).

    Args:
        execute: runs one operation through the emulator's routes.
        archive_url: the download URL of an archive name.
        now: the emulator's clock, as Mailchimp writes times.
        delay_s: time a batch waits before it starts (and between its last states).
        chunk: results per JSON file of an archive.
    """

    def __init__(self, execute: Execute, archive_url: Callable[[str], str], now: Callable[[], str], *,
                 delay_s: float, chunk: int) -> None:
        self.execute, self.archive_url, self.now = execute, archive_url, now
        self.delay_s, self.chunk = delay_s, chunk
        self.batches: dict[str, Batch] = {}
        #: Archive name -> gzip'd tar bytes.
        self.archives: dict[str, bytes] = {}
        self._queue: queue.Queue[Batch | None] = queue.Queue()
        # Waits end early when the emulator stops, so that stopping never waits out a slow batch.
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="MailchimpBatches", daemon=True)
        self._thread.start()

    def submit(self, operations: list[dict]) -> Batch:
        batch = Batch(id=secrets.token_hex(5), operations=operations, submitted_at=self.now())
        self.batches[batch.id] = batch
        self._queue.put(batch)
        return batch

    def stop(self, batch_id: str) -> None:
        self.batches[batch_id].stopped = True

    def close(self) -> None:
        self._closing.set()
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while (batch := self._queue.get()) is not None:
            if not (batch.stopped or self._closing.is_set()):
                self._run(batch)

    def _run(self, batch: Batch) -> None:
        for state in ("preprocessing", "started"):
            if self._closing.wait(self.delay_s / 2):
                return
            batch.status = state
        for operation in batch.operations:
            if batch.stopped:
                return
            status, answer = self.execute(operation)
            batch.results.append({"status_code": status, "operation_id": operation.get("operation_id"),
                                  "response": answer})
            batch.errored_operations += status >= 400
            batch.finished_operations += 1
        batch.status = "finalizing"
        if self._closing.wait(self.delay_s / 2):
            return
        name = f"{batch.id}-{secrets.token_hex(8)}.tar.gz"  # unguessable, as a signed storage URL is
        self.archives[name] = archive(batch.id, batch.results, self.chunk)
        batch.response_body_url, batch.completed_at = self.archive_url(name), self.now()
        batch.status = "finished"


def archive(batch_id: str, results: list[dict], chunk: int) -> bytes:
    """A gzip'd tar holding the results as JSON lists of at most ``chunk`` results per file."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for number, start in enumerate(range(0, len(results), chunk) or [0]):
            data = json.dumps(results[start:start + chunk]).encode()
            info = tarfile.TarInfo(f"{batch_id}/{number}.json")
            info.size, info.mtime = len(data), int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
