"""A stateful Magento 2 admin REST API on loopback, checked against Adobe's official schema.

Base URL: ``emulator.url + "/rest/default"`` (any store code, or none, is accepted). Every request
is routed (404 ``Request does not match any route.``), authenticated (admin tokens, bearer
integration tokens when ``integration_as_bearer``, OAuth 1.0a HMAC-SHA256), authorized (401
``The consumer isn't authorized to access %resources.``), and validated against the vendored
schema subset: an invalid body gets Magento's 400, and every problem is also appended to
``violations`` so a test can assert that a client sent nothing the real API would refuse.
Bulk requests (``/async/bulk/V1/...``, see ``bulk``) have each of their bodies validated so.

>>> with Magento2Emulator() as shop:
...     import requests
...     token = requests.post(shop.base_url + "/V1/integration/admin/token",
...                           json={"username": "admin", "password": "admin123"}, timeout=5).json()
...     requests.get(shop.base_url + "/V1/orders?searchCriteria=", timeout=5,
...                  headers={"Authorization": f"Bearer {token}"}).json()["total_count"]
0
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from urllib.parse import unquote

from pipeline.testing.magento2 import access, records, sales
from pipeline.testing.magento2.bulk import BulkQueue, BulkRoutes
from pipeline.testing.magento2.oauth import Integration, OAuthVerifier
from pipeline.testing.magento2.responses import (
    INVALID_VALUE,
    NO_ROUTE,
    NO_SUCH_FIELD,
    MagentoError,
    bad_request,
    internal_error,
    not_found,
)
from pipeline.testing.magento2.records import COLUMNS
from pipeline.testing.magento2.schema import RequestSchema
from pipeline.testing.magento2.searching import check_fields, parse, search

# _Drop is the base's way to close a connection unanswered; same package, so borrowed.
from pipeline.testing.server import Emulator, Faults, Request, Response, _Drop, route

_REST = re.compile(r"^/rest(?:/(?P<store>[^/]+?))?(?P<bulk>/async/bulk)?(?P<path>/V1/.*)$")
BAD_LOGIN = ("The account sign-in was incorrect or your account is disabled temporarily. "
             "Please wait and try again later.")
NO_PRODUCT = "The product that was requested doesn't exist. Verify the product and try again."
#: What Magento's email validator (laminas EmailAddress) accepts, near enough: one @, a dotted domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$")
DUPLICATE_EMAIL = "A customer with the same email address already exists in an associated website."
#: Tokens are 32 characters long in Magento (it checks the length before anything else).
DEFAULT_INTEGRATION = Integration(1, "ck" + "0" * 30, "cs" + "0" * 30, "at" + "0" * 30, "as" + "0" * 30)


class Magento2Emulator(BulkRoutes, Emulator):
    """Magento 2.4 admin REST (V1) for customers, orders, products, stock and sales documents.

    Products and MSI source items can also be saved through the asynchronous bulk API
    (``bulks``: a BulkQueue, with the hooks that make tests' operations fail or stay open).

    Args:
        admin_users: user name -> password accepted by ``POST /V1/integration/admin/token``.
        integrations: OAuth integrations (their access tokens also work as bearer tokens with
            ``integration_as_bearer``, Magento's ``oauth/consumer/enable_integration_as_bearer``).
        two_factor: the admin token route answers Magento_TwoFactorAuth's 401.
        put_creates_products: ``PUT /V1/products/{sku}`` creates an unknown SKU (else 404).
        clamp_pages: a page past the last one answers the last page again.
        clock: the time stamped on records (UTC).
        bulk_delay_s: how long a bulk's operations stay open before a status request runs them.
    """

    def __init__(self, *, faults: Faults | None = None, admin_users: dict[str, str] | None = None,
                 integrations: list[Integration] | None = None, integration_as_bearer: bool = False,
                 two_factor: bool = False, put_creates_products: bool = True, clamp_pages: bool = True,
                 allow_sha1: bool = False, clock: Callable[[], dt.datetime] | None = None,
                 bulk_delay_s: float = 0.05) -> None:
        super().__init__(faults=faults)
        self.admin_users = dict(admin_users or {"admin": "admin123"})
        self.integrations = list(integrations or [DEFAULT_INTEGRATION])
        self.integration_as_bearer, self.two_factor = integration_as_bearer, two_factor
        self.put_creates_products, self.clamp_pages = put_creates_products, clamp_pages
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.oauth = OAuthVerifier(self.integrations, allow_sha1=allow_sha1)
        self.schema = RequestSchema()
        self.tables = records.Tables()
        self.admin_tokens: set[str] = set()
        self.bulks = BulkQueue(self._run_bulk_operation, delay_s=bulk_delay_s, now=self.now)
        self._drop_next: list[re.Pattern] = []

    @property
    def base_url(self) -> str:
        return self.url + "/rest/default"

    def now(self) -> str:
        return self.clock().astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")

    # Seeding and test hooks -------------------------------------------------------------------
    def add_customer(self, **fields) -> dict:
        fields.setdefault("website_id", 1)
        with self.lock:
            record = records.customer_record(self.tables, fields, fields.get("updated_at") or self.now())
            self.tables.customers[record["id"]] = record
            return record

    def add_product(self, sku: str, **fields) -> dict:
        with self.lock:
            record = records.product_record(self.tables, {"sku": sku, "name": sku, "price": 10, **fields},
                                            fields.get("updated_at") or self.now())
            self.tables.products[sku] = record
            record["extension_attributes"]["stock_item"] = records.stock_item(self.tables, record)
            return record

    def add_order(self, **seed) -> dict:
        """An order from a short description; every field has a default.

        ``items`` like ``[{"sku": "A", "qty_ordered": 2, "price": 5}]``; an item with ``"child": {...}``
        is a configurable line (parent plus child sharing the SKU).
        """
        with self.lock:
            record = records.order_record(self.tables, seed, seed.get("updated_at") or self.now())
            self.tables.orders[record["entity_id"]] = record
            return record

    def set_source_item(self, sku: str, source_code: str, quantity: float, status: int = 1) -> dict:
        with self.lock:
            return self._save_source_item({"sku": sku, "source_code": source_code, "quantity": quantity,
                                           "status": status})

    def expire_admin_tokens(self) -> None:
        with self.lock:
            self.admin_tokens.clear()

    def drop_response_once(self, method: str, path_pattern: str) -> None:
        """Handle the next matching request, then close the connection without answering."""
        self._drop_next.append(re.compile(f"^{method} {path_pattern}$"))

    def environ(self, connection: str = "shop", auth: str = "admin") -> dict[str, str]:
        """The ``PIPELINE_<CONNECTION>_*`` variables of a Magento2System talking to this emulator.

        ``auth`` is ``admin`` (user name and password), ``token`` (the integration's access
        token as a bearer token) or ``oauth`` (the integration's four OAuth values).
        """
        integration = self.integrations[0]
        user, password = next(iter(self.admin_users.items()))
        values = {"admin": {"USERNAME": user, "PASSWORD": password},
                  "token": {"TOKEN": integration.access_token},
                  "oauth": {"CONSUMER_KEY": integration.consumer_key,
                            "CONSUMER_SECRET": integration.consumer_secret,
                            "ACCESS_TOKEN": integration.access_token,
                            "ACCESS_TOKEN_SECRET": integration.access_token_secret}}[auth]
        prefix = f"PIPELINE_{connection.upper()}_"
        # Only the connection's own: the broker (where concurrency budgets live) is the caller's.
        return {prefix + "URL": self.base_url,
                **{prefix + name: value for name, value in values.items()}}

    # The vendor's envelopes -------------------------------------------------------------------
    def too_many_requests(self, request: Request) -> Response:
        return Response(429, {"message": "Too Many Requests", "trace": None},
                        {"Retry-After": str(self.faults.retry_after_s)})

    def server_error(self, request: Request, status: int) -> Response:
        return internal_error(status)

    def not_found(self, request: Request) -> Response:
        return MagentoError(404, NO_ROUTE).response()

    # Routing, authentication, authorization, validation -----------------------------------------
    def dispatch(self, request: Request) -> Response:
        try:
            with self.lock:
                response = self._dispatch(request)
        except MagentoError as error:
            return error.response()
        for pattern in list(self._drop_next):
            if pattern.match(f"{request.method} {request.path}"):
                self._drop_next.remove(pattern)
                raise _Drop()
        return response

    def _dispatch(self, request: Request) -> Response:
        match = _REST.match(request.path)
        if not match:
            raise MagentoError(404, NO_ROUTE)
        path = match["path"]
        for method, pattern, handler in self._routes:
            found = pattern.match((match["bulk"] or "") + path)
            if found and method == request.method:
                access.authorize(self, request, handler.__name__)
                self.schema.check(request, path, self.violations, bulk=bool(match["bulk"]))
                return handler(request, **{k: unquote(v) for k, v in found.groupdict().items()})
        raise MagentoError(404, NO_ROUTE)

    def _list(self, request: Request, rows: list[dict], aliases: dict[str, str] | None = None, *,
              criteria_required: bool = True, table: str | None = None) -> Response:
        criteria = parse(request.query, required=criteria_required)
        if table is not None:
            # The columns a filter may name: the table's own, and any a stored row has.
            known = set(COLUMNS[table]) | set(aliases or {}) | {name for row in rows for name in row}
            try:
                check_fields(criteria, known, eav=table in ("customers", "products"))
            except MagentoError as error:
                self.violations.append(f"{request.method} {request.path}: {error.message} "
                                       f"{error.parameters or ''}".rstrip())
                if error.status == 500:
                    return internal_error(500)
                raise
        return Response(200, search(rows, criteria, aliases=aliases, clamp=self.clamp_pages))

    # Authentication and directory -------------------------------------------------------------
    @route("POST", r"/V1/integration/admin/token")
    def admin_token(self, request: Request) -> Response:
        body = request.json()
        if self.admin_users.get(body["username"]) != body["password"]:
            raise MagentoError(401, BAD_LOGIN)
        if self.two_factor:
            raise MagentoError(401, "Please use the 2fa provider-specific endpoints to obtain a token.",
                               {"active_providers": ["google"]})
        token = secrets.token_hex(16)
        self.admin_tokens.add(token)
        return Response(200, token)

    @route("GET", r"/V1/directory/countries/(?P<country>[^/]+)")
    def country(self, request: Request, country: str) -> Response:
        known = records.COUNTRIES.get(country.upper())
        if known is None:
            raise not_found("The country isn't available.")
        return Response(200, {"id": country.upper(), "two_letter_abbreviation": country.upper(),
                              "three_letter_abbreviation": known["iso3"], "full_name_locale": known["name"],
                              "full_name_english": known["name"], "available_regions": known["regions"]})

    # Customers ------------------------------------------------------------------------------------
    @route("GET", r"/V1/customers/search")
    def search_customers(self, request: Request) -> Response:
        return self._list(request, list(self.tables.customers.values()), {"entity_id": "id"}, table="customers")

    @route("GET", r"/V1/customers/(?P<customer_id>\d+)")
    def get_customer(self, request: Request, customer_id: str) -> Response:
        return Response(200, self._customer(customer_id))

    @route("POST", r"/V1/customers")
    def create_customer(self, request: Request) -> Response:
        body = request.json()["customer"]
        body.setdefault("website_id", 1)
        self._unique_email(body, None)
        record = records.customer_record(self.tables, body, self.now())
        self.tables.customers[record["id"]] = record
        return Response(200, record)

    @route("PUT", r"/V1/customers/(?P<customer_id>\d+)")
    def update_customer(self, request: Request, customer_id: str) -> Response:
        existing = self._customer(customer_id)
        body = {**request.json()["customer"], "id": existing["id"]}
        self._unique_email({**existing, **body}, existing["id"])
        record = records.customer_record(self.tables, body, self.now(), existing)
        self.tables.customers[record["id"]] = record
        return Response(200, record)

    def _customer(self, customer_id: str) -> dict:
        found = self.tables.customers.get(int(customer_id))
        if found is None:
            raise not_found(NO_SUCH_FIELD, {"fieldName": "customerId", "fieldValue": int(customer_id)})
        return found

    def _unique_email(self, customer: dict, own_id: int | None) -> None:
        email = customer.get("email")
        if not email:
            raise bad_request("The customer email is missing. Enter and try again.")
        if not _EMAIL.match(str(email)):
            # CustomerRepository::save, InputException::invalidFieldValue('email', ...).
            raise bad_request(INVALID_VALUE, {"fieldName": "email", "value": email})
        for other in self.tables.customers.values():
            if (other["id"] != own_id and other["email"].lower() == customer["email"].lower()
                    and other.get("website_id") == customer.get("website_id")):
                raise bad_request(DUPLICATE_EMAIL)

    # Orders ---------------------------------------------------------------------------------------
    @route("GET", r"/V1/orders")
    def search_orders(self, request: Request) -> Response:
        return self._list(request, list(self.tables.orders.values()), table="orders")

    @route("GET", r"/V1/orders/(?P<order_id>\d+)")
    def get_order(self, request: Request, order_id: str) -> Response:
        return Response(200, self._order(order_id))

    def _order(self, order_id: str | int) -> dict:
        found = self.tables.orders.get(int(order_id))
        if found is None:
            raise not_found()
        return found

    # Products and stock -----------------------------------------------------------------------------
    @route("GET", r"/V1/products")
    def search_products(self, request: Request) -> Response:
        return self._list(request, list(self.tables.products.values()), {"entity_id": "id"}, table="products")

    @route("GET", r"/V1/products/(?P<sku>[^/]+)")
    def get_product(self, request: Request, sku: str) -> Response:
        if sku not in self.tables.products:
            raise not_found(NO_PRODUCT)
        return Response(200, self.tables.products[sku])

    @route("POST", r"/V1/products")
    def create_product(self, request: Request) -> Response:
        return self._save_product(request.json()["product"])

    @route("PUT", r"/V1/products/(?P<sku>[^/]+)")
    def update_product(self, request: Request, sku: str) -> Response:
        if sku not in self.tables.products and not self.put_creates_products:
            raise not_found(NO_PRODUCT)
        return self._save_product({**request.json()["product"], "sku": sku})

    def _save_product(self, body: dict) -> Response:
        stock = (body.get("extension_attributes") or {}).pop("stock_item", None)
        record = records.product_record(self.tables, body, self.now(), self.tables.products.get(body["sku"]))
        self.tables.products[record["sku"]] = record
        item = records.stock_item(self.tables, record)
        if stock:
            item.update({key: stock[key] for key in ("qty", "is_in_stock") if key in stock})
        record["extension_attributes"]["stock_item"] = item
        return Response(200, record)

    @route("GET", r"/V1/stockItems/(?P<sku>[^/]+)")
    def get_stock_item(self, request: Request, sku: str) -> Response:
        if sku not in self.tables.products:
            raise not_found('The Product with the "%1" SKU doesn\'t exist.', [sku])
        return Response(200, records.stock_item(self.tables, self.tables.products[sku]))

    @route("PUT", r"/V1/products/(?P<sku>[^/]+)/stockItems/(?P<item_id>\d+)")
    def update_stock_item(self, request: Request, sku: str, item_id: str) -> Response:
        item = self.get_stock_item(request, sku).body
        if item["item_id"] != int(item_id):
            raise not_found(NO_SUCH_FIELD, {"fieldName": "itemId", "fieldValue": int(item_id)})
        item.update(request.json()["stockItem"])
        # The legacy stock item is the default source's stock under MSI.
        self.tables.source_items[(sku, "default")] = {"sku": sku, "source_code": "default",
                                                      "quantity": item["qty"],
                                                      "status": int(bool(item["is_in_stock"]))}
        return Response(200, item["item_id"])

    @route("GET", r"/V1/inventory/source-items")
    def search_source_items(self, request: Request) -> Response:
        return self._list(request, list(self.tables.source_items.values()), table="source_items")

    @route("POST", r"/V1/inventory/source-items")
    def save_source_items(self, request: Request) -> Response:
        self._save_source_items(request.json()["sourceItems"])
        return Response(200, [])

    def _save_source_items(self, items: list[dict]) -> None:
        unknown = sorted({item.get("source_code") for item in items} - self.tables.sources, key=str)
        if unknown:
            errors = [{"message": 'Source with code "%code" does not exist.', "parameters": {"code": code}}
                      for code in unknown]
            raise MagentoError(400, "Validation Failed", errors=errors)
        for item in items:
            self._save_source_item(item)

    def _save_source_item(self, item: dict) -> dict:
        record = {"sku": item["sku"], "source_code": item["source_code"], "quantity": item.get("quantity", 0),
                  "status": item.get("status", 0)}
        self.tables.source_items[(record["sku"], record["source_code"])] = record
        product = self.tables.products.get(record["sku"])
        if record["source_code"] == "default" and product is not None:
            # MSI keeps the legacy stock item of the default source in step.
            stock = records.stock_item(self.tables, product)
            stock.update(qty=record["quantity"], is_in_stock=bool(record["status"]))
        return record

    # Sales documents --------------------------------------------------------------------------------
    @route("GET", r"/V1/invoices")
    def search_invoices(self, request: Request) -> Response:
        return self._list(request, list(self.tables.invoices.values()), table="invoices")

    @route("GET", r"/V1/shipments")
    def search_shipments(self, request: Request) -> Response:
        return self._list(request, list(self.tables.shipments.values()), table="shipments")

    @route("GET", r"/V1/creditmemos")
    def search_creditmemos(self, request: Request) -> Response:
        return self._list(request, list(self.tables.creditmemos.values()), table="creditmemos")

    @route("GET", r"/V1/(?P<kind>invoices|shipment|creditmemo)/(?P<document_id>\d+)/comments")
    def document_comments(self, request: Request, kind: str, document_id: str) -> Response:
        table = {"invoices": "invoices", "shipment": "shipments", "creditmemo": "creditmemos"}[kind]
        if int(document_id) not in getattr(self.tables, table):
            raise not_found()
        comments = list(self.tables.comments[(table, int(document_id))])
        return self._list(request, comments, criteria_required=False)

    @route("POST", r"/V1/order/(?P<order_id>\d+)/invoice")
    def invoice_order(self, request: Request, order_id: str) -> Response:
        return self._create(sales.INVOICE, self._order(order_id), request)

    @route("POST", r"/V1/order/(?P<order_id>\d+)/ship")
    def ship_order(self, request: Request, order_id: str) -> Response:
        return self._create(sales.SHIPMENT, self._order(order_id), request)

    @route("POST", r"/V1/order/(?P<order_id>\d+)/refund")
    def refund_order(self, request: Request, order_id: str) -> Response:
        return self._create(sales.CREDITMEMO, self._order(order_id), request)

    @route("POST", r"/V1/invoice/(?P<invoice_id>\d+)/refund")
    def refund_invoice(self, request: Request, invoice_id: str) -> Response:
        invoice = self.tables.invoices.get(int(invoice_id))
        if invoice is None:
            raise not_found()
        return self._create(sales.CREDITMEMO, self._order(invoice["order_id"]), request, invoice)

    def _create(self, kind: sales.Kind, order: dict, request: Request,
                invoice: dict | None = None) -> Response:
        return Response(200, sales.create(self.tables, kind, order, request.json(), self.now(), invoice))
