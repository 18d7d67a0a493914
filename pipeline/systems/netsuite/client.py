"""The SuiteTalk REST calls we use: records (list, get, create, update, upsert, transform) and SuiteQL.

Every call goes through ``HttpClient`` (timeouts, error classes, redaction, the concurrency budget).
Writes answer ``204 No Content`` with the record's URL in ``Location``: ids are read from there
when needed (an upsert's update may come without it: its id is then read back, only if wanted).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import quote, urlsplit

import requests

from pipeline.errors import AuthError, FatalError, NotFoundError
from pipeline.systems.http import HttpClient
from pipeline.systems.read_retries import ReadRetries

logger = logging.getLogger(__name__)

RECORD_PATH = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
#: The most rows one list or SuiteQL request may ask for.
MAX_LIMIT = 1000
#: Sent with every write: a field the record does not have is refused (400) instead of dropped in
#: silence, so a mapping's misspelt or missing custom field fails its record with a clear error.
STRICT_FIELDS = {"X-NetSuite-PropertyNameValidation": "Error"}


def error_message(response: requests.Response) -> str:
    """NetSuite's error envelope as one line: ``CODE at path: detail`` for each ``o:errorDetails`` entry."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.reason or 'Error'} (not a NetSuite error body)."
    if not isinstance(body, dict):
        return f"{response.reason or 'Error'} (not a NetSuite error body)."
    details = [detail for detail in body.get("o:errorDetails") or [] if isinstance(detail, dict)]
    if not details:
        return f"{body.get('title') or response.reason or 'Error'}."
    return " ".join(_detail_line(detail) for detail in details)


def _detail_line(detail: dict) -> str:
    code = detail.get("o:errorCode") or "ERROR"
    where = f" at {detail['o:errorPath']}" if detail.get("o:errorPath") else ""
    text = str(detail.get("detail") or "").strip()
    return f"{code}{where}: {text}" if text.endswith(".") else f"{code}{where}: {text}."


def id_from_location(response: requests.Response) -> str:
    """The id a write created or touched: the last segment of its ``Location`` header."""
    location = response.headers.get("Location")
    if not location:
        raise FatalError(f"NetSuite answered HTTP {response.status_code} to {response.request.method} "
                         f"{urlsplit(response.url).path} without a Location header: the record's id is "
                         f"unknown.",
                         system="netsuite", status=response.status_code)
    return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]


def record_path(record_type: str, key: str | None = None) -> str:
    """``/services/rest/record/v1/<type>[/<id or eid:external id>]``."""
    path = f"{RECORD_PATH}/{record_type}"
    return path if key is None else f"{path}/{quote(str(key), safe=':')}"


class NetSuiteClient:
    """Record and SuiteQL calls over one ``HttpClient``.

    Args:
        http: the transport; its ``sign`` hook adds the OAuth header, its ``limiter`` the budget.
        auth_retry_delay_s: pause before the single retry of a 401 (see ``request``).
        reads: how reads (record GETs and lists, SuiteQL) are retried in place; writes never are.
    """

    def __init__(self, http: HttpClient, *, auth_retry_delay_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep, reads: ReadRetries | None = None) -> None:
        self.http = http
        self.auth_retry_delay_s = auth_retry_delay_s
        self._sleep = sleep
        self.reads = reads or ReadRetries()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except AuthError as error:
            if error.status != 401:
                raise
            # A busy account sometimes answers INVALID_LOGIN where it means "too many requests"
            # (julbrs/netsuite-api-client#26): one retry, freshly signed, tells the two apart.
            logger.info("NetSuite answered 401 to %s %s; retrying once.", method, path)
            self._sleep(self.auth_retry_delay_s)
            return self.http.request(method, path, **kwargs)

    def read(self, method: str, path: str, **kwargs) -> requests.Response:
        """A request that changes nothing (a GET, a SuiteQL query): retried in place on retryable errors."""
        return self.reads.call(lambda: self.request(method, path, changes=False, **kwargs),
                               f"NetSuite {method} {path}")

    def list_page(self, record_type: str, *, limit: int = MAX_LIMIT, offset: int = 0) -> dict:
        """One page of a record list: id stubs in ``items``, ``hasMore``, ``offset``, ``totalResults``."""
        return self.read("GET", record_path(record_type), params={"limit": limit, "offset": offset}).json()

    def iter_ids(self, record_type: str, *, limit: int = MAX_LIMIT) -> Iterator[str]:
        """Every id of a record type, page after page (offsets stay multiples of ``limit``)."""
        offset = 0
        while True:
            page = self.list_page(record_type, limit=limit, offset=offset)
            for item in page.get("items") or []:
                yield str(item["id"])
            if not page.get("hasMore"):
                return
            offset += limit

    def get(self, record_type: str, key: str, *, expand: bool = True) -> dict:
        """A whole record; with ``expand`` its sublists (lines, addresses, packages) come inline."""
        params = {"expandSubResources": "true"} if expand else None
        return self.read("GET", record_path(record_type, key), params=params).json()

    def find(self, record_type: str, key: str, *, expand: bool = False) -> dict | None:
        """Like ``get``, but None when the record does not exist."""
        try:
            return self.get(record_type, key, expand=expand)
        except NotFoundError:
            return None

    def create(self, record_type: str, payload: dict) -> str:
        """Create a record; returns its new internal id."""
        return id_from_location(self.request("POST", record_path(record_type), json=payload,
                                             headers=STRICT_FIELDS))

    def update(self, record_type: str, key: str, payload: dict, *, replace: Sequence[str] = ()) -> None:
        """Change the given fields; sublists named in ``replace`` are replaced instead of merged."""
        self.request("PATCH", record_path(record_type, key), json=payload, params=_replace(replace),
                     headers=STRICT_FIELDS)

    def upsert(self, record_type: str, external_id: str, payload: dict, *,
               replace: Sequence[str] = ()) -> str | None:
        """Create or update the record whose external id is ``external_id``.

        Returns:
            Its internal id, or None when NetSuite's answer names none: whether an update's 204
            carries ``Location`` is not documented (CONTRACTS 4.8a), so a caller that needs the
            id uses ``upsert_id``.
        """
        response = self.request("PUT", record_path(record_type, f"eid:{external_id}"), json=payload,
                                params=_replace(replace), headers=STRICT_FIELDS)
        return id_from_location(response) if response.headers.get("Location") else None

    def upsert_id(self, record_type: str, external_id: str, payload: dict, *,
                  replace: Sequence[str] = ()) -> str:
        """``upsert``, then the record's internal id: from ``Location``, or read back by external id."""
        found = self.upsert(record_type, external_id, payload, replace=replace)
        if found is not None:
            return found
        record = self.find(record_type, f"eid:{external_id}")
        if record is None:
            raise FatalError(f"NetSuite accepted the upsert of {record_type} eid:{external_id} but has no "
                             f"such record.", system="netsuite")
        return str(record["id"])

    def transform(self, record_type: str, record_id: str, target_type: str,
                  payload: dict | None = None) -> str:
        """A record made from another (order -> fulfillment or invoice, invoice -> credit memo); its id."""
        path = f"{record_path(record_type, record_id)}/!transform/{target_type}"
        return id_from_location(self.request("POST", path, json=payload or {}, headers=STRICT_FIELDS))

    def suiteql(self, query: str, *, limit: int = MAX_LIMIT, offset: int = 0) -> dict:
        """One page of a SuiteQL query: ``items`` are rows with lower-case column names."""
        return self.read("POST", SUITEQL_PATH, params={"limit": limit, "offset": offset},
                         headers={"Prefer": "transient"}, json={"q": query}).json()


def _replace(sublists: Sequence[str]) -> dict | None:
    return {"replace": ",".join(sublists)} if sublists else None
