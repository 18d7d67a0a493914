"""Sending the operations of a load: directly (in parallel, within the budget) or as a batch.

Each record has a chain of operations (``operations.Operation``). All records' current
operations go out together, as one phase: more than the threshold go as one ``/batches``
batch, fewer as direct calls. Each result decides the record's next operation (``then`` after
success, ``on_missing`` after a 404) or its outcome, until no record has one left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from pipeline.errors import FatalError, NotFoundError, PipelineError
from pipeline.systems.mailchimp import payloads
from pipeline.systems.mailchimp.batches import BatchRunner
from pipeline.systems.mailchimp.client import MailchimpClient
from pipeline.systems.mailchimp.operations import Operation, order_lines_path, product_path

Outcomes = dict[int, Exception | None]
#: Mailchimp's largest page (``count``): an order's lines in one read.
MAX_COUNT = 1000


class Sender:
    """Sends phases of operations for one system.

    Args:
        client: the account's client.
        runner: sends a phase above ``threshold`` as one batch.
        threshold: the largest phase still sent as direct calls.
        parallel: direct calls in flight at once from this process (the budget caps all processes).
    """

    def __init__(self, client: MailchimpClient, runner: BatchRunner, *, threshold: int,
                 parallel: int) -> None:
        self.client, self.runner = client, runner
        self.threshold, self.parallel = threshold, parallel

    def run(self, chains: Mapping[int, Operation], keys: Sequence[str]) -> Outcomes:
        """Every chain to its end; ``keys[index]`` names record ``index`` (batch operation ids)."""
        outcomes: Outcomes = {}
        pending = dict(chains)
        while pending:
            results = self.send(pending, keys)
            following = {}
            for index, operation in pending.items():
                result = _settled(operation, results[index])
                upcoming = _next(operation, result)
                if upcoming is None:
                    outcomes[index] = result
                else:
                    following[index] = upcoming
            pending = following
        return outcomes

    def send(self, phase: Mapping[int, Operation], keys: Sequence[str]) -> Outcomes:
        if len(phase) > self.threshold:
            ids = operation_ids({index: keys[index] for index in phase})
            results = self.runner.run({ids[index]: operation for index, operation in phase.items()})
            return {index: results[ids[index]] for index in phase}
        return self._direct(phase)

    def _direct(self, phase: Mapping[int, Operation]) -> Outcomes:
        indexes = list(phase)
        with ThreadPoolExecutor(max_workers=max(1, min(len(indexes), self.parallel)),
                                thread_name_prefix="mailchimp-load") as pool:
            results = list(pool.map(lambda index: self._call(phase[index]), indexes))
        return dict(zip(indexes, results, strict=True))

    def _call(self, operation: Operation) -> Exception | None:
        try:
            self.client.call(operation.method, operation.path,
                             **({"json": operation.body} if operation.body is not None else {}))
        except PipelineError as error:
            return error
        return None


def _settled(operation: Operation, error: Exception | None) -> Exception | None:
    return None if operation.gone_ok and isinstance(error, NotFoundError) else error


def _next(operation: Operation, error: Exception | None) -> Operation | None:
    if error is None:
        return operation.then
    if isinstance(error, NotFoundError):
        return operation.on_missing
    return None


def operation_ids(keys: Mapping[int, str]) -> dict[int, str]:
    """Batch operation ids: each record's key, made unique when a load holds a key twice."""
    ids, used = {}, set()
    for index, key in keys.items():
        candidate, copy = key, 1
        while candidate in used:
            copy += 1
            candidate = f"{key}#{copy}"
        used.add(candidate)
        ids[index] = candidate
    return ids


class Catalog:
    """The store's products that order lines refer to, created when missing.

    Mailchimp wants an order's products to exist before the order. A product pushed by its own
    integration wins: a missing one is created from the line (SKU, name, price) and never
    overwritten here. Known SKUs are remembered for the life of the process.
    """

    def __init__(self, client: MailchimpClient, store_id: str) -> None:
        self.client, self.store_id = client, store_id
        self.known: set[str] = set()

    def ensure(self, lines: Sequence[dict]) -> None:
        for line in lines:
            if line["sku"] not in self.known:
                self._ensure(line)
                self.known.add(line["sku"])

    def _ensure(self, line: dict) -> None:
        if self._exists(line["sku"]):
            return
        try:
            self.client.post(product_path(self.store_id), payloads.line_product(line))
        except FatalError as error:
            # Another worker may have created it since we looked: then all is well.
            if error.status != 400 or not self._exists(line["sku"]):
                raise

    def _exists(self, sku: str) -> bool:
        try:
            self.client.get(product_path(self.store_id, sku))
        except NotFoundError:
            return False
        return True


def known_line_ids(client: MailchimpClient, store_id: str, order_ids: Sequence[str], *,
                   parallel: int) -> dict[str, set[str] | Exception]:
    """The line ids Mailchimp has for each order (empty for an order it does not have), read in parallel.

    A failed read is that order's outcome: its load cannot tell which lines to delete, so it fails
    alone instead of leaving a removed line behind.
    """
    def read(order_id: str) -> set[str] | Exception:
        try:
            page = client.get(order_lines_path(store_id, order_id), {"fields": "lines.id", "count": MAX_COUNT})
        except NotFoundError:
            return set()
        except PipelineError as error:
            return error
        return {line["id"] for line in page.get("lines") or []}

    unique = list(dict.fromkeys(order_ids))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(len(unique), parallel)),
                            thread_name_prefix="mailchimp-lines") as pool:
        return dict(zip(unique, pool.map(read, unique), strict=True))
