"""A NetSuite SuiteTalk REST emulator: token-based auth, records, transforms, SuiteQL, governance.

Answers follow CONTRACTS.md section 4: writes are ``204`` with ``Location``, lists and SuiteQL pages
carry ``hasMore``/``offset``/``totalResults``/``links``, errors are NetSuite's ``o:errorDetails``
envelope, and requests above ``Faults.max_concurrent`` get ``429`` (the per-account concurrency
limit). ``peak_in_flight`` records the most requests it ever had in flight.

>>> with NetSuiteEmulator() as emulator:
...     emulator.store.add("customer", {"email": "ada@example.com"})
'101'
"""

from __future__ import annotations

import http
import time
from urllib.parse import unquote

from pipeline.testing.netsuite import fields, oauth, suiteql
from pipeline.testing.netsuite.store import ACCOUNT_ITEMS, TAX_CODES, NsError, RecordStore
from pipeline.testing.server import Emulator, Faults, Request, Response, route

ACCOUNT = "1234567_SB1"
CONSUMER_KEY, CONSUMER_SECRET = "ck-emulator-0123456789", "cs-emulator-0123456789"
TOKEN_ID, TOKEN_SECRET = "tk-emulator-0123456789", "ts-emulator-0123456789"
RECORD = r"/services/rest/record/v1/(?P<record_type>[A-Za-z]+)"
KEY = r"/(?P<key>[^/]+)"
#: How far a request's oauth_timestamp may be from the emulator's clock.
TIMESTAMP_TOLERANCE_S = 300
MAX_LIMIT = 1000
_ERROR_TYPES = {400: "#sec10.4.1", 401: "#sec10.4.2", 404: "#sec10.4.5", 500: "#sec10.5.1"}
_INVALID_LOGIN = ("Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
                  "Setup > Users/Roles > User Management > View Login Audit Trail.")


def ns_error(status: int, code: str, detail: str, path: str | None = None) -> Response:
    """NetSuite's error envelope (``application/vnd.oracle.resource+json; type=error``)."""
    entry = {"detail": detail, "o:errorCode": code, **({"o:errorPath": path} if path else {})}
    kind = ("https://tools.ietf.org/html/rfc6585#section-4" if status == 429 else
            "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html" + _ERROR_TYPES.get(status, ""))
    body = {"type": kind, "title": http.HTTPStatus(status).phrase, "status": status,
            "o:errorDetails": [entry]}
    return Response(status, body, content_type="application/vnd.oracle.resource+json; type=error")


class NetSuiteEmulator(Emulator):
    """One NetSuite account on loopback; ``store`` holds its records, ``env()`` points a system at it."""

    def __init__(self, *, account: str = ACCOUNT, consumer_key: str = CONSUMER_KEY,
                 consumer_secret: str = CONSUMER_SECRET, token_id: str = TOKEN_ID,
                 token_secret: str = TOKEN_SECRET, faults: Faults | None = None, vat: bool = False) -> None:
        self.peak_in_flight = 0
        super().__init__(faults=faults)
        self.account = account
        self.realm = account.upper().replace("-", "_")
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.token_id, self.token_secret = token_id, token_secret
        #: A VAT account: lines need a tax code (``store.TAX_CODES``), NetSuite computes their tax.
        self.vat = vat
        self.store = RecordStore(vat=vat)
        #: Accepted ``Authorization: Bearer`` tokens (OAuth 2.0), none by default.
        self.bearer_tokens: set[str] = set()
        #: Why each rejected request was rejected (NetSuite itself only ever says INVALID_LOGIN).
        self.auth_failures: list[str] = []
        #: SuiteQL's row cap per query; tests lower it to reach it cheaply.
        self.suiteql_max_rows = 100_000
        #: Whether an upsert that updates answers with ``Location`` (undocumented: CONTRACTS 4.8a).
        self.location_on_update = True
        self._nonces: set[tuple[str, str]] = set()

    # The base class counts requests in flight in ``_in_flight`` under its lock; recording the
    # peak in the setter catches every increment, so the peak is exact.
    @property
    def _in_flight(self) -> int:
        return self.__dict__.get("_in_flight_now", 0)

    @_in_flight.setter
    def _in_flight(self, value: int) -> None:
        self.__dict__["_in_flight_now"] = value
        self.peak_in_flight = max(self.peak_in_flight, value)

    def environ(self, connection: str = "netsuite") -> dict[str, str]:
        """The ``PIPELINE_<CONNECTION>_*`` variables of a NetSuite connection to this emulator.

        Named like the other emulators' ``environ``; ``env`` is the older name of the same thing.
        """
        return self.env(connection)

    def env(self, connection: str = "netsuite") -> dict[str, str]:
        """The ``PIPELINE_<CONNECTION>_*`` variables of a NetSuite connection to this emulator."""
        prefix = f"PIPELINE_{connection.upper()}_"
        ships = ",".join(f"{name}={iid}" for iid, name in ACCOUNT_ITEMS["shipItem"].items())
        return {prefix + "ACCOUNT": self.account, prefix + "CONSUMER_KEY": self.consumer_key,
                prefix + "CONSUMER_SECRET": self.consumer_secret, prefix + "TOKEN_ID": self.token_id,
                prefix + "TOKEN_SECRET": self.token_secret, prefix + "URL": self.url,
                # The account's own items and custom fields for what loads carry (store.ACCOUNT_ITEMS).
                prefix + "DISCOUNT_ITEM": "11", prefix + "TAX_ITEM": "12", prefix + "SHIP_METHODS": ships,
                prefix + "DOB_FIELD": "custentity_birthdate", prefix + "GENDER_FIELD": "custentity_gender",
                **self._tax_env(prefix)}

    def _tax_env(self, prefix: str) -> dict[str, str]:
        if not self.vat:
            return {}
        codes = ",".join(f"{rate}={cid}" for cid, (_, rate) in TAX_CODES.items())
        return {prefix + "TAX_MODE": "code", prefix + "TAX_CODES": codes}

    def dispatch(self, request: Request) -> Response:
        problem = self._auth_problem(request)
        if problem:
            with self.lock:
                self.auth_failures.append(problem)
            return ns_error(401, "INVALID_LOGIN", _INVALID_LOGIN)
        try:
            with self.lock:
                return super().dispatch(request)
        except NsError as error:
            return ns_error(error.status, error.code, error.detail, error.path)

    def too_many_requests(self, request: Request) -> Response:
        # [unverified] the REST code; the status is documented. NetSuite sends no Retry-After.
        return ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Too many concurrent requests.")

    def server_error(self, request: Request, status: int) -> Response:
        return ns_error(status, "UNEXPECTED_ERROR", "An unexpected error occurred.")

    def not_found(self, request: Request) -> Response:
        return ns_error(404, "NONEXISTENT_ID", f"No resource at {request.path}.")

    @route("GET", RECORD)
    def list_records(self, request: Request, record_type: str) -> Response:
        record_type = self.store.record_type(record_type)
        if request.arg("q") is not None:
            raise NsError(400, "INVALID_PARAMETER", "The emulator does not filter record lists with q.")
        limit, offset = self._paging(request)
        if offset % limit:
            raise NsError(400, "INVALID_PARAMETER", "The offset must be a multiple of the limit.", None)
        ids = sorted(self.store.records[record_type], key=int)
        href = f"{self._base(request)}/services/rest/record/v1/{record_type}"
        items = [{"links": [{"rel": "self", "href": f"{href}/{rid}"}], "id": rid}
                 for rid in ids[offset:offset + limit]]
        return self._collection(href, items, limit, offset, len(ids))

    @route("GET", RECORD + KEY)
    def get_record(self, request: Request, record_type: str, key: str) -> Response:
        expand = (request.arg("expandSubResources") or "").lower() == "true"
        body = self.store.render(record_type, unquote(key), expand=expand, base_url=self._base(request))
        return Response(200, body, content_type="application/vnd.oracle.resource+json; type=singular")

    @route("POST", RECORD)
    def create_record(self, request: Request, record_type: str) -> Response:
        body = self._record_body(request, record_type)
        return self._written(request, record_type, self.store.create(record_type, body))

    @route("PATCH", RECORD + KEY)
    def update_record(self, request: Request, record_type: str, key: str) -> Response:
        self.store.update(record_type, unquote(key), self._record_body(request, record_type),
                          self._replace(request))
        return Response(204)

    @route("PUT", RECORD + KEY)
    def upsert_record(self, request: Request, record_type: str, key: str) -> Response:
        key = unquote(key)
        if not key.startswith("eid:"):
            raise NsError(400, "INVALID_PARAMETER", "PUT is only supported with an external id (eid:...).")
        existed = self.store.exists(record_type, key)
        record_id = self.store.upsert(record_type, key[4:], self._record_body(request, record_type),
                                      self._replace(request))
        if existed and not self.location_on_update:
            return Response(204)
        return self._written(request, record_type, record_id)

    @route("POST", RECORD + KEY + r"/!transform/(?P<target>[A-Za-z]+)")
    def transform_record(self, request: Request, record_type: str, key: str, target: str) -> Response:
        body = self._record_body(request, target, empty_ok=True)
        record_id = self.store.transform(record_type, unquote(key), target, body)
        return self._written(request, target, record_id)

    @route("POST", r"/services/rest/query/v1/suiteql")
    def run_suiteql(self, request: Request) -> Response:
        if "transient" not in request.headers.get("prefer", ""):
            raise NsError(400, "INVALID_PARAMETER", "SuiteQL requests need the header 'Prefer: transient'.")
        limit, offset = self._paging(request)
        if offset >= self.suiteql_max_rows:
            raise NsError(400, "INVALID_PARAMETER", f"Search results are limited to {self.suiteql_max_rows} "
                                                    f"rows; offset {offset} is past them.")
        body = self._body(request)
        try:
            rows = suiteql.run(self.store, body.get("q") or "")
        except suiteql.SqlError as error:
            raise NsError(400, "INVALID_PARAMETER", f"Invalid search query. Detailed unprocessed description "
                                                    f"follows. Search error occurred: {error}") from None
        visible = rows[:self.suiteql_max_rows]
        href = f"{self._base(request)}/services/rest/query/v1/suiteql"
        items = [{"links": [], **row} for row in visible[offset:offset + limit]]
        return self._collection(href, items, limit, offset, len(visible))

    def _auth_problem(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            return None if header[7:].strip() in self.bearer_tokens else "unknown bearer token"
        params = oauth.parse_authorization(header)
        if params is None:
            return "no OAuth Authorization header"
        expected = {"realm": self.realm, "oauth_consumer_key": self.consumer_key,
                    "oauth_token": self.token_id, "oauth_signature_method": "HMAC-SHA256"}
        for name, value in expected.items():
            if params.get(name) != value:
                return f"{name} is {params.get(name)!r}, expected {value!r}"
        return self._replay_problem(params) or self._signature_problem(request, params)

    def _replay_problem(self, params: dict[str, str]) -> str | None:
        nonce, timestamp = params.get("oauth_nonce", ""), params.get("oauth_timestamp", "")
        if len(nonce) < 6:
            return "oauth_nonce shorter than 6 characters"
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TIMESTAMP_TOLERANCE_S:
            return f"oauth_timestamp {timestamp!r} is not within {TIMESTAMP_TOLERANCE_S}s of now"
        with self.lock:
            if (nonce, timestamp) in self._nonces:
                return "nonce_used"
            self._nonces.add((nonce, timestamp))
        return None

    def _signature_problem(self, request: Request, params: dict[str, str]) -> str | None:
        signed = [(k, v) for k, v in params.items() if k not in ("realm", "oauth_signature")] + request.query
        url = f"http://{request.headers.get('host', '')}{request.path}"
        base = oauth.base_string(request.method, url, signed)
        if params.get("oauth_signature") != oauth.hmac_sha256(base, self.consumer_secret, self.token_secret):
            return f"signature mismatch over {base}"
        return None

    @staticmethod
    def _paging(request: Request) -> tuple[int, int]:
        try:
            limit, offset = int(request.arg("limit") or MAX_LIMIT), int(request.arg("offset") or 0)
        except ValueError:
            raise NsError(400, "INVALID_PARAMETER", "limit and offset must be whole numbers.") from None
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise NsError(400, "INVALID_PARAMETER",
                          f"Invalid paging: limit {limit} (1-{MAX_LIMIT}), offset {offset}.")
        return limit, offset

    @staticmethod
    def _collection(href: str, items: list[dict], limit: int, offset: int, total: int) -> Response:
        has_more = offset + len(items) < total
        last = max(0, (total - 1) // limit * limit)
        pages = {"previous": offset - limit if offset else None, "first": 0,
                 "next": offset + limit if has_more else None, "last": last, "self": offset}
        links = [{"rel": rel, "href": f"{href}?limit={limit}&offset={at}"}
                 for rel, at in pages.items() if at is not None]
        body = {"links": links, "count": len(items), "hasMore": has_more, "offset": offset,
                "totalResults": total, "items": items}
        return Response(200, body, content_type="application/vnd.oracle.resource+json; type=collection")

    def _written(self, request: Request, record_type: str, record_id: str) -> Response:
        record_type = self.store.record_type(record_type)
        location = f"{self._base(request)}/services/rest/record/v1/{record_type}/{record_id}"
        return Response(204, None, {"Location": location})

    @staticmethod
    def _base(request: Request) -> str:
        return f"http://{request.headers.get('host', '')}"

    @staticmethod
    def _body(request: Request, empty_ok: bool = False) -> object:
        if not request.body and empty_ok:
            return {}
        try:
            return request.json()
        except ValueError:
            raise NsError(400, "INVALID_CONTENT", "The request body is not valid JSON.") from None

    def _record_body(self, request: Request, record_type: str, empty_ok: bool = False) -> object:
        """The body of a write, its fields checked against the record type's (``fields``)."""
        body = self._body(request, empty_ok=empty_ok)
        if not isinstance(body, dict):
            raise NsError(400, "INVALID_CONTENT", "The request body must be a JSON object.")
        record_type = self.store.record_type(record_type)
        strict = request.headers.get("x-netsuite-propertynamevalidation", "").lower() == "error"
        unknown = fields.check(record_type, body, strict=strict)
        if unknown:
            # NetSuite drops them without a word: the client loses those values.
            self.violations.append(f"{request.method} {request.path}: not fields of {record_type} (ignored by "
                                   f"NetSuite): {', '.join(unknown)}.")
        return body

    @staticmethod
    def _replace(request: Request) -> list[str]:
        return [name for name in (request.arg("replace") or "").split(",") if name]
