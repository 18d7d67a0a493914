"""Magento's asynchronous bulk API in the emulator: queued operations, run later, and their statuses.

``POST /async/bulk/V1/products`` and ``POST /async/bulk/V1/inventory/source-items`` take a JSON
array of the synchronous route's bodies, each validated against the official schema as the
synchronous route's body is (one bad body refuses the whole request, as Magento's input
resolver does). The answer is 202 ``{bulk_uuid, request_items, errors}`` (CONTRACTS 1.7), and
each accepted body becomes an open operation.

Operations run lazily, like Magento's ``async.operations.all`` consumer but without a thread:
the first status request at least ``delay_s`` after the submission runs every open operation
through the synchronous route's logic. A Magento error there leaves the operation "not
retriably failed" (3) with the filled-in message, as the consumer records a LocalizedException.

Status answers follow the official schema (``asynchronous-operations-data-detailed-bulk-operations-
status-interface``, ``...-bulk-operations-status-interface``, an integer count); unset values are
null, as Magento sends them. Operation ids are the request item ids, or table row ids with
``row_ids``: Magento versions differ there, and a client must cope with both.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import time
import uuid as uuids
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.testing.magento2.responses import NO_ROUTE, MagentoError, not_found
from pipeline.testing.magento2.schema import describe
from pipeline.testing.server import Request, Response, route

COMPLETE, RETRIABLY_FAILED, NOT_RETRIABLY_FAILED, OPEN, REJECTED = 1, 2, 3, 4, 5
#: Synchronous route -> the queue topic of its asynchronous form.
TOPICS = {
    "/V1/products": "async.magento.catalog.api.productrepositoryinterface.save.post",
    "/V1/inventory/source-items": "async.magento.inventoryapi.api.sourceitemssaveinterface.execute.post",
}
NO_BULK = "Bulk uuid %bulkUuid not exist"
#: ``user_type`` of the bulk's author (3 customer and 4 guest cannot use these routes).
USER_TYPES = {"integration": 1, "admin": 2}

#: Runs one operation: (synchronous route, body) -> its result, or raises MagentoError.
Runner = Callable[[str, dict], object]


@dataclass
class Operation:
    id: int
    sku: str
    body: dict
    status: int = OPEN
    result_message: str | None = None
    error_code: int | None = None
    result: str | None = None

    def short(self) -> dict:
        return {"id": self.id, "status": self.status, "result_message": self.result_message,
                "error_code": self.error_code}

    def detailed(self, bulk: Bulk) -> dict:
        # Magento stores the encoded message inside this envelope (OperationRepository).
        serialized = {"entity_id": None, "entity_link": "", "meta_information": json.dumps(self.body)}
        return {"id": self.id, "bulk_uuid": bulk.uuid, "topic_name": bulk.topic,
                "serialized_data": json.dumps(serialized), "result_serialized_data": self.result,
                **{key: value for key, value in self.short().items() if key != "id"}}


@dataclass
class Bulk:
    uuid: str
    route: str
    topic: str
    user_type: int
    start_time: str
    created: float
    operations: list[Operation] = field(default_factory=list)

    def summary(self, operations: list[dict]) -> dict:
        return {"operations_list": operations, "user_type": self.user_type, "bulk_id": self.uuid,
                "description": f"Topic {self.topic}", "start_time": self.start_time, "user_id": 1,
                "operation_count": len(self.operations)}


class BulkQueue:
    """The bulks submitted to one emulator, and the hooks tests use to steer their operations.

    Args:
        run: runs one operation through the synchronous route's logic.
        delay_s: how long operations stay open after submission.
        now: the emulator's time stamp (``start_time``).
    """

    def __init__(self, run: Runner, *, delay_s: float, now: Callable[[], str],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.run, self.delay_s, self.now, self.clock = run, delay_s, now, clock
        self.bulks: dict[str, Bulk] = {}
        #: False: the bulk routes answer 404, as on a shop without Magento_WebapiAsync.
        self.enabled = True
        #: Operation ids are table row ids (counting across bulks), not request item ids.
        self.row_ids = False
        self.failures: dict[str, tuple[int, str]] = {}
        self.held: set[str] = set()
        self.refused: dict[str, str] = {}
        self._rows = itertools.count(1)

    # Test hooks ------------------------------------------------------------------------------
    def fail(self, sku: str, status: int, message: str) -> None:
        """Operations for ``sku`` end with ``status`` (2, 3 or 5) and ``message``, changing nothing."""
        assert status in (RETRIABLY_FAILED, NOT_RETRIABLY_FAILED, REJECTED), f"Not a failed status: {status}."
        self.failures[sku] = (status, message)

    def hold(self, sku: str) -> None:
        """Operations for ``sku`` stay open."""
        self.held.add(sku)

    def refuse(self, sku: str, message: str) -> None:
        """Bodies for ``sku`` are refused on submission: a ``rejected`` request item, no operation."""
        self.refused[sku] = message

    # The API ---------------------------------------------------------------------------------
    def submit(self, route: str, bodies: list[dict], user_type: int) -> dict:
        if not self.enabled:
            raise MagentoError(404, NO_ROUTE)
        bulk = Bulk(str(uuids.uuid4()), route, TOPICS[route], user_type, self.now(), self.clock())
        items = [self._item(bulk, index, body) for index, body in enumerate(bodies)]
        self.bulks[bulk.uuid] = bulk
        return {"bulk_uuid": bulk.uuid, "request_items": items,
                "errors": any(item["status"] != "accepted" for item in items)}

    def _item(self, bulk: Bulk, index: int, body: dict) -> dict:
        sku = _sku(bulk.route, body)
        item = {"id": index, "data_hash": hashlib.sha256(json.dumps(body).encode()).hexdigest()}
        if sku in self.refused:
            return {**item, "status": "rejected", "error_message": self.refused[sku], "error_code": 0}
        bulk.operations.append(Operation(next(self._rows) if self.row_ids else index, sku, body))
        return {**item, "status": "accepted"}

    def status(self, bulk_uuid: str, detailed: bool) -> dict:
        bulk = self._ready(bulk_uuid)
        operations = [op.detailed(bulk) if detailed else op.short() for op in bulk.operations]
        return bulk.summary(operations)

    def count(self, bulk_uuid: str, status: int) -> int:
        return sum(1 for op in self._ready(bulk_uuid).operations if op.status == status)

    def _ready(self, bulk_uuid: str) -> Bulk:
        bulk = self.bulks.get(bulk_uuid)
        if bulk is None:
            raise not_found(NO_BULK, {"bulkUuid": bulk_uuid})
        if self.clock() - bulk.created >= self.delay_s:
            for operation in bulk.operations:
                if operation.status == OPEN and operation.sku not in self.held:
                    self._execute(bulk.route, operation)
        return bulk

    def _execute(self, route: str, operation: Operation) -> None:
        if operation.sku in self.failures:
            operation.status, operation.result_message = self.failures[operation.sku]
            operation.error_code = 0
            return
        try:
            result = self.run(route, operation.body)
        except MagentoError as error:
            operation.status, operation.result_message = NOT_RETRIABLY_FAILED, describe(error)
            operation.error_code = 0
            return
        operation.status = COMPLETE
        operation.result = None if result is None else json.dumps(result)


def _sku(route: str, body: dict) -> str:
    if route == "/V1/products":
        return str(body["product"].get("sku"))
    return str(next(iter(body["sourceItems"]), {}).get("sku"))


class BulkRoutes:
    """The bulk routes of Magento2Emulator (a mixin: they run the emulator's own saves)."""

    # What the emulator provides.
    bulks: BulkQueue
    admin_tokens: set[str]
    _save_product: Callable[[dict], Response]
    _save_source_items: Callable[[list[dict]], None]

    @route("POST", r"/async/bulk/V1/products")
    def bulk_save_products(self, request: Request) -> Response:
        return self._submit_bulk(request, "/V1/products")

    @route("POST", r"/async/bulk/V1/inventory/source-items")
    def bulk_save_source_items(self, request: Request) -> Response:
        return self._submit_bulk(request, "/V1/inventory/source-items")

    @route("GET", r"/V1/bulk/(?P<bulk_uuid>[^/]+)/detailed-status")
    def bulk_detailed_status(self, request: Request, bulk_uuid: str) -> Response:
        return Response(200, self.bulks.status(bulk_uuid, detailed=True))

    @route("GET", r"/V1/bulk/(?P<bulk_uuid>[^/]+)/status")
    def bulk_status(self, request: Request, bulk_uuid: str) -> Response:
        return Response(200, self.bulks.status(bulk_uuid, detailed=False))

    @route("GET", r"/V1/bulk/(?P<bulk_uuid>[^/]+)/operation-status/(?P<status>\d+)")
    def bulk_operation_count(self, request: Request, bulk_uuid: str,
                             status: str) -> Response:
        return Response(200, self.bulks.count(bulk_uuid, int(status)))

    def _submit_bulk(self, request: Request, route_: str) -> Response:
        # Not access.caller(): it would check an OAuth nonce a second time, and refuse it as reused.
        token = request.headers.get("authorization", "")[7:].strip()
        user_type = USER_TYPES["admin"] if token in self.admin_tokens else USER_TYPES["integration"]
        return Response(202, self.bulks.submit(route_, request.json(), user_type))

    def _run_bulk_operation(self, route_: str, body: dict) -> object:
        if route_ == "/V1/products":
            # A copy: the save takes extension_attributes.stock_item out of the body it is given.
            return self._save_product(copy.deepcopy(body["product"])).body
        self._save_source_items(body["sourceItems"])
        return None
