"""An emulator of Shopify's Admin REST API (customers), after Shopify's published docs.

What it follows (shopify.dev, REST Admin API, "Make paginated requests", "REST Admin API rate
limits", the Customer resource):

* paths ``/admin/api/{version}/customers.json``, ``/customers/{id}.json``, ``/customers/search.json``;
* auth by the ``X-Shopify-Access-Token`` header; 401 ``{"errors": "[API] Invalid API key or access
  token (unrecognized login or wrong password)"}`` without it;
* cursor paging: ``limit`` (default 50, at most 250) and a ``Link`` header with ``rel="next"`` /
  ``rel="previous"`` URLs carrying an opaque ``page_info``; a request with ``page_info`` may only add
  ``limit`` and ``fields``;
* a leaky bucket per shop (40 requests, leaking 2 per second) reported in
  ``X-Shopify-Shop-Api-Call-Limit``; over it, 429 with ``Retry-After: 2.0``;
* errors as ``{"errors": "Not Found"}`` or ``{"errors": {"email": ["has already been taken"]}}`` (a
  customer's email and phone are each unique in the shop);
* writes wrapped in ``{"customer": {...}}``; times in the shop's zone (``-05:00``).

Fields Shopify does not know are ignored, as Shopify does, but recorded in ``violations``.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable

from pipeline.testing.server import Emulator, Faults, Request, Response, route

API_VERSION = "2024-01"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
#: What a customer create or update may set, and the JSON types the Customer resource gives each.
WRITABLE = {"email": (str, type(None)), "first_name": (str, type(None)), "last_name": (str, type(None)),
            "phone": (str, type(None)), "tags": (str,), "note": (str, type(None)), "verified_email": (bool,),
            "tax_exempt": (bool,), "addresses": (list,), "email_marketing_consent": (dict, type(None)),
            "send_email_invite": (bool,), "metafields": (list,), "currency": (str,), "id": (int,)}
#: Filters of the customer list; with page_info only ``limit`` and ``fields`` may be sent.
LIST_FILTERS = ("ids", "since_id", "created_at_min", "created_at_max", "updated_at_min", "updated_at_max")
SHOP_ZONE = dt.timezone(dt.timedelta(hours=-5))
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ShopifyEmulator(Emulator):
    """One shop's customers. ``bucket_size``/``leak_per_s``: the leaky bucket (None: no bucket)."""

    def __init__(self, *, token: str | None = None, faults: Faults | None = None, bucket_size: int | None = 40,
                 leak_per_s: float = 2.0, clock: Callable[[], dt.datetime] | None = None) -> None:
        super().__init__(faults=faults)
        self.token = token or "shpat_" + secrets.token_hex(16)
        self.customers: dict[int, dict] = {}
        self.violations: list[str] = []
        self.bucket_size, self.leak_per_s = bucket_size, leak_per_s
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._level, self._leaked_at = 0.0, time.monotonic()
        self._ids = itertools.count(207119551)

    @property
    def base_url(self) -> str:
        return f"{self.url}/admin/api/{API_VERSION}"

    def environ(self, connection: str = "shopify") -> dict[str, str]:
        """The ``PIPELINE_<CONNECTION>_*`` variables of systems/shopify.yaml pointing here."""
        prefix = f"PIPELINE_{connection.upper()}_"
        return {prefix + "URL": self.url, prefix + "TOKEN": self.token}

    def now(self) -> str:
        return self.clock().astimezone(SHOP_ZONE).isoformat(timespec="seconds")

    def add_customer(self, **fields) -> dict:
        with self.lock:
            return self._save(fields, None)

    # The vendor's envelopes ------------------------------------------------------------------------
    def too_many_requests(self, request: Request) -> Response:
        return Response(429, {"errors": THROTTLED}, {"Retry-After": f"{float(self.faults.retry_after_s):.1f}"})

    def server_error(self, request: Request, status: int) -> Response:
        return Response(status, {"errors": "Internal Server Error"})

    def not_found(self, request: Request) -> Response:
        return Response(404, {"errors": "Not Found"})

    def dispatch(self, request: Request) -> Response:
        prefix = f"/admin/api/{API_VERSION}"
        if not request.path.startswith(prefix + "/"):
            return self.not_found(request)
        if request.headers.get("x-shopify-access-token") != self.token:
            return Response(401, {"errors": INVALID_TOKEN})
        with self.lock:
            level = self._drip()
            if level is None:
                self._count("throttled")
                return self.too_many_requests(request)
            request = Request(request.method, request.path[len(prefix):], request.query, request.headers,
                              request.body, request.raw_path)
            response = super().dispatch(request)
        if self.bucket_size is not None:
            response.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{level}/{self.bucket_size}"
        return response

    def _drip(self) -> int | None:
        """Pour one request into the bucket: its new level, or None when it is full."""
        if self.bucket_size is None:
            return 0
        now = time.monotonic()
        self._level = max(0.0, self._level - (now - self._leaked_at) * self.leak_per_s)
        self._leaked_at = now
        if self._level + 1 > self.bucket_size:
            return None
        self._level += 1
        return int(self._level)

    # Customers ------------------------------------------------------------------------------------
    @route("GET", r"/customers\.json")
    def list_customers(self, request: Request) -> Response:
        limit = int(request.arg("limit", "50"))
        if not 1 <= limit <= 250:
            return Response(400, {"errors": {"limit": ["must be between 1 and 250"]}})
        page_info = request.arg("page_info")
        if page_info is not None:
            mixed = sorted({name for name, _ in request.query} - {"page_info", "limit", "fields"})
            if mixed:
                return Response(400, {"errors": {"page_info": [f"cannot be combined with {', '.join(mixed)}"]}})
            try:
                state = json.loads(base64.urlsafe_b64decode(page_info.encode()))
            except ValueError:
                return Response(400, {"errors": {"page_info": ["Invalid value."]}})
            filters, after = state["filters"], state["after"]
        else:
            filters, after = {name: request.arg(name) for name in LIST_FILTERS if request.arg(name)}, 0
        rows = [c for c in sorted(self.customers.values(), key=lambda c: c["id"]) if _matches(c, filters)]
        before = [c for c in rows if c["id"] <= after]
        rest = [c for c in rows if c["id"] > after]
        page, more = rest[:limit], len(rest) > limit
        links = []
        if before:
            links.append(self._link(limit, filters, before[-limit - 1]["id"] if len(before) > limit else 0, "previous"))
        if more:
            links.append(self._link(limit, filters, page[-1]["id"], "next"))
        return Response(200, {"customers": page}, {"Link": ", ".join(links)} if links else {})

    def _link(self, limit: int, filters: dict, after: int, rel: str) -> str:
        token = base64.urlsafe_b64encode(json.dumps({"filters": filters, "after": after}).encode()).decode()
        return f'<{self.base_url}/customers.json?limit={limit}&page_info={token}>; rel="{rel}"'

    @route("GET", r"/customers/search\.json")
    def search_customers(self, request: Request) -> Response:
        query = (request.arg("query") or "").strip()
        field, _, wanted = query.partition(":") if ":" in query else ("", "", query)
        wanted = wanted.strip().strip('"').lower()
        found = [c for c in self.customers.values()
                 if (field == "email" and (c.get("email") or "").lower() == wanted)
                 or (field != "email" and wanted in " ".join(str(c.get(k) or "") for k in
                                                             ("email", "first_name", "last_name")).lower())]
        return Response(200, {"customers": found[:int(request.arg("limit", "50"))]})

    @route("GET", r"/customers/(?P<customer_id>\d+)\.json")
    def get_customer(self, request: Request, customer_id: str) -> Response:
        found = self.customers.get(int(customer_id))
        return Response(200, {"customer": found}) if found else self.not_found(request)

    @route("POST", r"/customers\.json")
    def create_customer(self, request: Request) -> Response:
        body, problem = self._body(request)
        if problem:
            return problem
        return self._saved(body, None, 201)

    @route("PUT", r"/customers/(?P<customer_id>\d+)\.json")
    def update_customer(self, request: Request, customer_id: str) -> Response:
        existing = self.customers.get(int(customer_id))
        if existing is None:
            return self.not_found(request)
        body, problem = self._body(request)
        if problem:
            return problem
        return self._saved(body, existing, 200)

    def _body(self, request: Request) -> tuple[dict, Response | None]:
        try:
            body = request.json()
        except ValueError:
            return {}, Response(400, {"errors": "Bad Request: the body is not JSON."})
        customer = body.get("customer") if isinstance(body, dict) else None
        if not isinstance(customer, dict):
            return {}, Response(400, {"errors": {"customer": "Required parameter missing or invalid"}})
        unknown = sorted(set(customer) - set(WRITABLE))
        if unknown:
            self.violations.append(f"{request.method} {request.path}: unknown customer fields {unknown}.")
        mistyped = sorted(k for k, v in customer.items() if k in WRITABLE and not isinstance(v, WRITABLE[k]))
        if mistyped:
            self.violations.append(f"{request.method} {request.path}: customer fields of the wrong type {mistyped}.")
            return {}, Response(422, {"errors": {name: ["is invalid"] for name in mistyped}})
        return {k: v for k, v in customer.items() if k in WRITABLE}, None

    def _saved(self, body: dict, existing: dict | None, status: int) -> Response:
        merged = {**(existing or {}), **body}
        errors: dict[str, list[str]] = {}
        email = merged.get("email")
        if email is not None and not EMAIL.match(str(email)):
            errors["email"] = ["is invalid"]
        elif email and any(c["email"] and c["email"].lower() == str(email).lower() and c is not existing
                           for c in self.customers.values()):
            errors["email"] = ["has already been taken"]
        phone = merged.get("phone")
        if phone and any(c.get("phone") == phone and c is not existing for c in self.customers.values()):
            # A customer's phone is unique in a shop, as its email is.
            errors["phone"] = ["has already been taken"]
        if not any(merged.get(k) for k in ("email", "phone", "first_name", "last_name")):
            errors["customer"] = ["Customer must have a name, phone number or email address"]
        if errors:
            return Response(422, {"errors": errors})
        return Response(status, {"customer": self._save(body, existing)})

    def _save(self, body: dict, existing: dict | None) -> dict:
        now = self.now()
        record = existing or {"id": next(self._ids), "created_at": now, "orders_count": 0, "state": "disabled",
                              "total_spent": "0.00", "note": None, "verified_email": True, "tax_exempt": False,
                              "tags": "", "currency": "USD", "phone": None, "addresses": [], "email": None,
                              "first_name": None, "last_name": None}
        record.update({k: v for k, v in body.items() if k != "id"})
        record["updated_at"] = body.get("updated_at", now) if existing is None else now
        record["admin_graphql_api_id"] = f"gid://shopify/Customer/{record['id']}"
        self.customers[record["id"]] = record
        return record


def _matches(customer: dict, filters: dict) -> bool:
    if "ids" in filters and str(customer["id"]) not in filters["ids"].split(","):
        return False
    if "since_id" in filters and customer["id"] <= int(filters["since_id"]):
        return False
    for name, field, later in (("updated_at_min", "updated_at", True), ("updated_at_max", "updated_at", False),
                               ("created_at_min", "created_at", True), ("created_at_max", "created_at", False)):
        if name in filters:
            bound, value = _time(filters[name]), _time(customer[field])
            if (value < bound) if later else (value > bound):
                return False
    return True


def _time(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
