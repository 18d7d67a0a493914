"""A stateful Mailchimp Marketing API v3 on loopback: audiences, e-commerce stores, batches.

Base URL: ``emulator.url + "/3.0"``. Every request is authenticated (HTTP Basic, any user name,
the API key as password; a key of another data center is refused with Mailchimp's 401 "API Key
Invalid"), routed, and its body checked against the vendored OpenAPI schemas (400 "Invalid
Resource" with Mailchimp's ``errors`` list). Errors are problem+json documents with all five
fields. More than 10 requests in flight get 429 (Mailchimp's 10 connections per user), and the
base ``Faults`` (5xx, 429, dropped connections, latency) apply as in every emulator.

>>> with MailchimpEmulator() as mailchimp:
...     import requests
...     answer = requests.put(mailchimp.base_url + f"/lists/{mailchimp.list_id}/members/"
...                           "62eeb292278cc15f5817cb78f7790b08", auth=("any", mailchimp.api_key), timeout=5,
...                           json={"email_address": "Urist.McVankab@freddiesjokes.com",
...                                 "status_if_new": "subscribed"})
...     answer.json()["status"], answer.json()["id"]
('subscribed', '62eeb292278cc15f5817cb78f7790b08')
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable
from urllib.parse import unquote

from pipeline.testing.mailchimp import validation
from pipeline.testing.mailchimp.batches import BatchQueue
from pipeline.testing.mailchimp.ecommerce import Store
from pipeline.testing.mailchimp.lifecycle import MemberRemovalRoutes
from pipeline.testing.mailchimp.members import Audience, subscriber_hash
from pipeline.testing.mailchimp.problems import (
    JSON_PARSE,
    Problem,
    internal,
    key_invalid,
    key_missing,
    not_found,
    too_many,
)
from pipeline.testing.server import Emulator, Faults, Request, Response, route

DEFAULT_KEY = "0123456789abcdef0123456789abcdef"
DEFAULT_LIST = "57afe96172"
DEFAULT_STORE = "magento2-default"
#: Mailchimp's limit of simultaneous connections per user (CONTRACTS 3.7).
MAX_CONNECTIONS = 10
#: Mailchimp's largest ``count`` (CONTRACTS 3.7).
MAX_COUNT = 1000
_ARCHIVES = "/_archives/"


class MailchimpEmulator(MemberRemovalRoutes, Emulator):
    """Mailchimp for audience members, store products, customers and orders, and batch operations.

    Args:
        dc: the data center this emulator plays (``us6``): keys must end with ``-<dc>``.
        api_keys: keys accepted (default: one key of this data center, ``api_key``).
        batch_delay_s: how long a batch waits before it runs (batches run one at a time).
        archive_chunk: results per JSON file of a batch's result archive.
        clock: the time stamped on records (UTC).
    """

    def __init__(self, *, faults: Faults | None = None, dc: str = "us6", api_keys: list[str] | None = None,
                 list_id: str = DEFAULT_LIST, store_id: str = DEFAULT_STORE, batch_delay_s: float = 0.05,
                 archive_chunk: int = 500, clock: Callable[[], dt.datetime] | None = None) -> None:
        faults = faults or Faults()
        if faults.max_concurrent is None:
            faults = dataclasses.replace(faults, max_concurrent=MAX_CONNECTIONS)
        super().__init__(faults=faults)
        self.dc = dc
        self.api_keys = list(api_keys or [f"{DEFAULT_KEY}-{dc}"])
        self.list_id, self.store_id = list_id, store_id
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.audiences = {list_id: Audience(list_id)}
        self.stores = {store_id: Store(store_id, list_id)}
        #: Most requests in flight at once (the 429s are counted in ``counts["over_concurrency"]``).
        self.peak_in_flight = 0
        self.batches = BatchQueue(self._execute, self._archive_url, self.now, delay_s=batch_delay_s,
                                  chunk=archive_chunk)

    @property
    def base_url(self) -> str:
        return self.url + "/3.0"

    @property
    def api_key(self) -> str:
        return self.api_keys[0]

    def now(self) -> str:
        return self.clock().astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()

    def stop(self) -> None:
        self.batches.close()
        super().stop()

    # Seeding and test hooks -------------------------------------------------------------------
    def audience(self, list_id: str | None = None) -> Audience:
        return self.audiences[list_id or self.list_id]

    def store(self, store_id: str | None = None) -> Store:
        return self.stores[store_id or self.store_id]

    def add_member(self, email: str, *, status: str = "subscribed", merge_fields: dict | None = None,
                   list_id: str | None = None) -> dict:
        with self.lock:
            body = {"email_address": email, "status_if_new": status, "merge_fields": merge_fields or {}}
            return self.audience(list_id).upsert(subscriber_hash(email), body, self.now())

    def add_product(self, product_id: str, *, title: str | None = None, price: float = 10.0,
                    store_id: str | None = None) -> dict:
        variant = {"id": product_id, "title": title or product_id, "sku": product_id, "price": price}
        body = {"id": product_id, "title": title or product_id, "variants": [variant]}
        with self.lock:
            return self.store(store_id).create_product(body, self.now())

    def reject_email(self, *emails: str) -> None:
        """Have Mailchimp refuse these addresses (400 "... looks fake or invalid ...")."""
        with self.lock:
            self.audience().rejected_emails.update(email.lower() for email in emails)

    def environ(self, connection: str = "mailchimp") -> dict[str, str]:
        """The ``PIPELINE_<CONNECTION>_*`` variables of a MailchimpSystem talking to this emulator.

        Only the connection's own: the broker (and so where concurrency budgets live) is the
        caller's to choose, ``PIPELINE_BROKER_URL=stub://`` for an in-process one.
        """
        prefix = f"PIPELINE_{connection.upper()}_"
        return {prefix + "API_KEY": self.api_key,
                prefix + "URL": self.base_url, prefix + "LIST_ID": self.list_id,
                prefix + "STORE_ID": self.store_id,
                # Emulated batches finish in milliseconds: look often.
                prefix + "BATCH_POLL_S": "0.02"}

    # The vendor's envelopes -------------------------------------------------------------------
    def too_many_requests(self, request: Request) -> Response:
        return too_many().response(self.dc, {"Retry-After": str(self.faults.retry_after_s)})

    def server_error(self, request: Request, status: int) -> Response:
        return internal(status).response(self.dc)

    def not_found(self, request: Request) -> Response:
        return not_found().response(self.dc)

    # Routing, authentication, validation ------------------------------------------------------
    def _respond(self, request: Request, over_concurrency: bool) -> Response:
        with self.lock:
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        return super()._respond(request, over_concurrency)

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith(_ARCHIVES):
            return self._archive(request.path[len(_ARCHIVES):])
        try:
            if not request.path.startswith("/3.0/"):
                raise not_found()
            self._authenticate(request)
            return self._route(request, request.path[len("/3.0"):])
        except Problem as problem:
            return problem.response(self.dc)

    def _authenticate(self, request: Request) -> None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or not value.strip():
            raise key_missing()
        try:
            key = base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            raise key_invalid() from None
        # Any user name; the key must be known and belong to this data center.
        if key not in self.api_keys or key.rsplit("-", 1)[-1] != self.dc:
            raise key_invalid()

    def _route(self, request: Request, path: str) -> Response:
        for method, pattern, handler in self._routes:
            found = pattern.match(path)
            if found and method == request.method:
                # An action without a body (delete-permanent) has no schema and nothing to parse.
                bodiless = not request.body and validation.operation_for(request.method, path) is None
                if request.method in ("POST", "PUT", "PATCH") and not bodiless:
                    self._validate(request, path)
                elif request.method in ("GET", "DELETE") and request.body:
                    # 3.0.55 gives no GET or DELETE a request body: whatever it says is lost.
                    with self.lock:
                        self.violations.append(f"{request.method} {path}: a body, which the operation has not")
                with self.lock:
                    return handler(request, **{k: unquote(v) for k, v in found.groupdict().items()})
        raise not_found()

    def _validate(self, request: Request, path: str) -> None:
        try:
            body = request.json()
        except ValueError:
            raise Problem(400, "JSON Parse Error", JSON_PARSE) from None
        try:
            validation.check(request.method, path, body)
        except Problem as problem:
            # Refused as Mailchimp refuses it, and noted: the client broke the contract.
            fields = "; ".join(f"{error['field']}: {error['message']}" for error in problem.errors or [])
            with self.lock:
                self.violations.append(f"{request.method} {path}: {fields}")
            raise

    def _execute(self, operation: dict) -> tuple[int, str]:
        """One batch operation through the routes (authenticated with its batch).

        ``faults.error_rate`` applies to each operation too: its result is then a 5xx problem.
        """
        if self.chance(self.faults.error_rate):
            self._count("errors")
            problem = internal(self.faults.error_status)
            return problem.status, json.dumps(problem.document(str(uuid.uuid4())))
        path = operation["path"]
        query = list((operation.get("params") or {}).items())
        body = (operation.get("body") or "").encode()
        request = Request(operation["method"], "/3.0" + path, query, {}, body, raw_path=path)
        try:
            response = self._route(request, path)
        except Problem as problem:
            response = problem.response(self.dc)
        except Exception as error:  # noqa: BLE001 (an emulator bug: the operation's result is a 500)
            self.record_fault(f"batch operation {operation['method']} {path}", error)
            response = internal(500).response(self.dc)
        return response.status, "" if response.body is None else json.dumps(response.body)

    def _archive_url(self, name: str) -> str:
        return self.url + _ARCHIVES + name

    def _archive(self, name: str) -> Response:
        data = self.batches.archives.get(name)
        if data is None:
            return Response(404, b"NoSuchKey", content_type="text/plain")
        return Response(200, data, content_type="application/x-gzip")

    # Audiences and members --------------------------------------------------------------------
    def _audience(self, list_id: str) -> Audience:
        if list_id not in self.audiences:
            raise not_found()
        return self.audiences[list_id]

    @route("GET", r"/lists/(?P<list_id>[^/]+)")
    def get_list(self, request: Request, list_id: str) -> Response:
        return Response(200, self._audience(list_id).info())

    @route("GET", r"/lists/(?P<list_id>[^/]+)/members")
    def list_members(self, request: Request, list_id: str) -> Response:
        query = dict(request.query)
        if int(query.get("count") or 10) > MAX_COUNT:
            self.violations.append(f"GET /lists/{list_id}/members: count {query['count']} is over "
                                   f"{MAX_COUNT}.")
            query["count"] = str(MAX_COUNT)
        return Response(200, self._audience(list_id).listing(query))

    @route("GET", r"/lists/(?P<list_id>[^/]+)/members/(?P<member>[^/]+)")
    def get_member(self, request: Request, list_id: str, member: str) -> Response:
        return Response(200, self._audience(list_id).member(_hash_of(member)))

    @route("PUT", r"/lists/(?P<list_id>[^/]+)/members/(?P<member>[^/]+)")
    def put_member(self, request: Request, list_id: str, member: str) -> Response:
        self.refuse_forgotten(list_id, request.json())
        return Response(200, self._audience(list_id).upsert(member, request.json(), self.now()))

    @route("PATCH", r"/lists/(?P<list_id>[^/]+)/members/(?P<member>[^/]+)")
    def patch_member(self, request: Request, list_id: str, member: str) -> Response:
        self.refuse_forgotten(list_id, request.json())
        return Response(200, self._audience(list_id).patch(_hash_of(member), request.json(), self.now()))

    @route("POST", r"/lists/(?P<list_id>[^/]+)/members/(?P<member>[^/]+)/tags")
    def set_tags(self, request: Request, list_id: str, member: str) -> Response:
        self._audience(list_id).set_tags(_hash_of(member), request.json()["tags"], self.now())
        return Response(204)

    # E-commerce -------------------------------------------------------------------------------
    def _store(self, store_id: str) -> Store:
        if store_id not in self.stores:
            raise not_found()
        return self.stores[store_id]

    @route("GET", r"/ecommerce/stores/(?P<store_id>[^/]+)")
    def get_store(self, request: Request, store_id: str) -> Response:
        return Response(200, self._store(store_id).info())

    @route("GET", r"/ecommerce/stores/(?P<store_id>[^/]+)/(?P<kind>products|orders|customers)")
    def list_store_records(self, request: Request, store_id: str, kind: str) -> Response:
        count, offset = int(request.arg("count") or 10), int(request.arg("offset") or 0)
        return Response(200, self._store(store_id).listing(kind, min(count, MAX_COUNT), offset))

    @route("GET", r"/ecommerce/stores/(?P<store_id>[^/]+)/(?P<kind>products|orders|customers)/(?P<key>[^/]+)")
    def get_store_record(self, request: Request, store_id: str, kind: str, key: str) -> Response:
        return Response(200, self._store(store_id).get(kind, key))

    @route("POST", r"/ecommerce/stores/(?P<store_id>[^/]+)/products")
    def create_product(self, request: Request, store_id: str) -> Response:
        return Response(200, self._store(store_id).create_product(request.json(), self.now()))

    @route("PATCH", r"/ecommerce/stores/(?P<store_id>[^/]+)/products/(?P<key>[^/]+)")
    def change_product(self, request: Request, store_id: str, key: str) -> Response:
        return Response(200, self._store(store_id).change_product(key, request.json(), self.now()))

    @route("PUT", r"/ecommerce/stores/(?P<store_id>[^/]+)/products/(?P<key>[^/]+)"
                  r"/variants/(?P<variant>[^/]+)")
    def put_variant(self, request: Request, store_id: str, key: str, variant: str) -> Response:
        return Response(200, self._store(store_id).upsert_variant(key, variant, request.json()))

    @route("PUT", r"/ecommerce/stores/(?P<store_id>[^/]+)/customers/(?P<key>[^/]+)")
    def put_customer(self, request: Request, store_id: str, key: str) -> Response:
        return Response(200, self._store(store_id).upsert_customer(key, request.json(), self.now()))

    @route("POST", r"/ecommerce/stores/(?P<store_id>[^/]+)/orders")
    def create_order(self, request: Request, store_id: str) -> Response:
        return Response(200, self._store(store_id).create_order(request.json(), self.now()))

    @route("PATCH", r"/ecommerce/stores/(?P<store_id>[^/]+)/orders/(?P<key>[^/]+)")
    def change_order(self, request: Request, store_id: str, key: str) -> Response:
        return Response(200, self._store(store_id).change_order(key, request.json(), self.now()))

    _LINES = r"/ecommerce/stores/(?P<store_id>[^/]+)/orders/(?P<key>[^/]+)/lines"

    @route("POST", _LINES)
    def add_order_line(self, request: Request, store_id: str, key: str) -> Response:
        return Response(200, self._store(store_id).add_line(key, request.json(), self.now()))

    @route("GET", _LINES)
    def list_order_lines(self, request: Request, store_id: str, key: str) -> Response:
        # getEcommerceStoresIdOrdersIdLines: count (default 10, at most 1000) and offset page the lines.
        lines = self._store(store_id).get("orders", key)["lines"]
        count, offset = int(request.arg("count") or 10), int(request.arg("offset") or 0)
        if count > MAX_COUNT:
            self.violations.append(f"GET {request.path}: count {count} is over {MAX_COUNT}.")
            count = MAX_COUNT
        return Response(200, {"store_id": store_id, "order_id": key, "lines": lines[offset:offset + count],
                              "total_items": len(lines), "_links": []})

    @route("GET", _LINES + r"/(?P<line>[^/]+)")
    def get_order_line(self, request: Request, store_id: str, key: str, line: str) -> Response:
        found = [one for one in self._store(store_id).get("orders", key)["lines"] if one.get("id") == line]
        if not found:
            raise not_found()
        return Response(200, found[0])

    @route("PATCH", _LINES + r"/(?P<line>[^/]+)")
    def change_order_line(self, request: Request, store_id: str, key: str, line: str) -> Response:
        return Response(200, self._store(store_id).change_line(key, line, request.json(), self.now()))

    @route("DELETE", _LINES + r"/(?P<line>[^/]+)")
    def delete_order_line(self, request: Request, store_id: str, key: str, line: str) -> Response:
        # deleteEcommerceStoresIdOrdersIdLinesId: 204 and no body; 404 for a line the order lacks.
        self._store(store_id).delete_line(key, line, self.now())
        return Response(204)

    # Batches ----------------------------------------------------------------------------------
    @route("POST", r"/batches")
    def create_batch(self, request: Request) -> Response:
        return Response(200, self.batches.submit(request.json()["operations"]).view())

    @route("GET", r"/batches")
    def list_batches(self, request: Request) -> Response:
        views = [batch.view() for batch in self.batches.batches.values()]
        return Response(200, {"batches": views, "total_items": len(views), "_links": []})

    @route("GET", r"/batches/(?P<batch_id>[^/]+)")
    def get_batch(self, request: Request, batch_id: str) -> Response:
        if batch_id not in self.batches.batches:
            raise not_found()
        return Response(200, self.batches.batches[batch_id].view())

    @route("DELETE", r"/batches/(?P<batch_id>[^/]+)")
    def delete_batch(self, request: Request, batch_id: str) -> Response:
        if batch_id not in self.batches.batches:
            raise not_found()
        self.batches.stop(batch_id)
        return Response(204)


def _hash_of(member: str) -> str:
    # The path takes the subscriber hash or the address itself (CONTRACTS 3.2).
    return subscriber_hash(member) if "@" in member else member.lower()
