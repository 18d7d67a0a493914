"""A stateful Magento 1 XML-RPC API on loopback: ``login``, ``call``, ``multiCall``, ``endSession``.

Endpoint: ``emulator.url + "/api/xmlrpc/"`` (``/index.php/api/xmlrpc/`` too). Requests and answers
are XML-RPC, read and written with ``xmlrpc.client.loads``/``dumps``; faults come with HTTP 200 as
Magento sends them, and the base ``Emulator``'s fault injection (5xx, 429, dropped connections,
latency) applies before and after each call. Calls are dispatched as
``Mage_Api_Model_Server_Handler_Abstract::call`` does it: session check (fault 5), ``resource.method``
split (fault 3), aliases and the resource catalogue vendored from OpenMage's api.xml files
(fault 3 for unknown paths), ACL (fault 2 for ``denied`` paths), then the resource, whose faults
are the catalogue's codes and messages. Every value in an answer is a string, as PHP reads it
from MySQL.

>>> import xmlrpc.client
>>> with Magento1Emulator() as shop:
...     proxy = xmlrpc.client.ServerProxy(shop.endpoint)
...     session = proxy.login("sync", "s3cret-api-key-0001")
...     proxy.call(session, "customer.list", [{}])
[]
"""

from __future__ import annotations

import datetime as dt
import inspect
import secrets
import xmlrpc.client
from collections.abc import Callable
from xml.parsers.expat import ExpatError

from pipeline.systems.magento1.catalogue import ALIASES, RESOURCES

# Registers the resources' handlers (the imports are for that side effect).
from pipeline.testing.magento1 import addresses, catalog, directory, sales, store  # noqa: F401
from pipeline.testing.magento1.api import HANDLERS, ApiFault, fault

# _Drop is the base's way to close a connection unanswered; same package, so borrowed.
from pipeline.testing.server import Emulator, Faults, Request, Response, _Drop, route

API_USER, API_KEY = "sync", "s3cret-api-key-0001"
#: Magento's default API session timeout (System > Configuration > Magento Core API).
DEFAULT_SESSION_TTL_S = 3600.0
_HTML = "text/html; charset=UTF-8"


class Magento1Emulator(Emulator):
    """Magento 1.9 / OpenMage XML-RPC for customers, products, stock, orders and sales documents.

    Args:
        api_users: Web Services user -> API key.
        session_ttl_s: seconds a session lives after its login (then fault 5).
        denied: ``resource.method`` or ``resource`` paths the API role may not call (fault 2).
        clock: the time stamped on records and sessions (UTC).
    """

    def __init__(self, *, faults: Faults | None = None, api_users: dict[str, str] | None = None,
                 session_ttl_s: float = DEFAULT_SESSION_TTL_S, denied: set[str] | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        super().__init__(faults=faults)
        self.api_users = dict(api_users or {API_USER: API_KEY})
        self.session_ttl_s = session_ttl_s
        self.denied = set(denied or ())
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.tables = store.Tables()
        #: session id -> (user, login time).
        self.sessions: dict[str, tuple[str, dt.datetime]] = {}
        #: Every ``call`` that reached a resource: (path with aliases resolved, args).
        self.calls: list[tuple[str, list]] = []
        self.logins = 0
        self.counts["sessions_expired"] = 0
        #: Calls on a session already ended (``endSession``) or already answered "expired": a
        #: client should have stopped using it. Ended ones are violations too: no race excuses them.
        self.counts["client_errors"] = 0
        self.ended_sessions: set[str] = set()
        self.expired_sessions: set[str] = set()
        self._drop_after: list[str] = []
        self._scripted: dict[str, list[tuple[int, str]]] = {}

    @property
    def endpoint(self) -> str:
        return self.url + "/api/xmlrpc/"

    def now(self) -> str:
        return self.clock().astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")

    # Seeding and test hooks -------------------------------------------------------------------
    def add_customer(self, email: str, **fields) -> dict:
        with self.lock:
            record = store.customer_row(self.tables, {"email": email, "firstname": "Jane", "lastname": "Doe",
                                                      **fields}, fields.get("updated_at") or self.now())
            self.tables.customers[int(record["entity_id"])] = record
            return record

    def add_product(self, sku: str, **fields) -> dict:
        with self.lock:
            record = store.product_row(self.tables, sku, fields, fields.get("updated_at") or self.now())
            self.tables.products[sku] = record
            return record

    def add_order(self, **seed) -> dict:
        """An order from a short description (see ``store.order_row``); every field has a default."""
        with self.lock:
            record = store.order_row(self.tables, seed, self.now())
            self.tables.orders[int(record["entity_id"])] = record
            return record

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    def drop_after_once(self, api_path: str) -> None:
        """Run the next call of ``api_path``, then close the connection without answering."""
        self._drop_after.append(api_path)

    def fault_next(self, api_path: str, code: int, message: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``api_path`` with this fault instead of running them."""
        self._scripted.setdefault(api_path, []).extend([(code, message)] * times)

    def calls_of(self, api_path: str) -> list[list]:
        return [args for path, args in self.calls if path == api_path]

    def environ(self, connection: str = "shop") -> dict[str, str]:
        """The ``PIPELINE_<CONNECTION>_*`` variables of a Magento1System talking to this emulator.

        Only the connection's own: the broker (and so where concurrency budgets live) is the
        caller's to choose, ``PIPELINE_BROKER_URL=stub://`` for an in-process one.
        """
        user, key = next(iter(self.api_users.items()))
        prefix = f"PIPELINE_{connection.upper()}_"
        return {prefix + "URL": self.endpoint, prefix + "API_USER": user, prefix + "API_KEY": key}

    # The vendor's envelopes -------------------------------------------------------------------
    def server_error(self, request: Request, status: int) -> Response:
        return Response(status, b"<html><body><h1>Service Temporarily Unavailable</h1></body></html>",
                        content_type=_HTML)

    def too_many_requests(self, request: Request) -> Response:
        return Response(429, b"<html><body><h1>Too Many Requests</h1></body></html>",
                        {"Retry-After": str(self.faults.retry_after_s)}, content_type=_HTML)

    def not_found(self, request: Request) -> Response:
        return Response(404, b"<html><body><h1>404 Not Found</h1></body></html>", content_type=_HTML)

    # XML-RPC ------------------------------------------------------------------------------------
    @route("POST", r"(?:/index\.php)?/api/xmlrpc/?")
    def xmlrpc(self, request: Request) -> Response:
        try:
            params, method = xmlrpc.client.loads(request.body, use_builtin_types=True)
        except (ExpatError, ValueError):
            return self._answer(xmlrpc.client.Fault(630, "Unable to parse request"))
        handler = {"login": self.login, "call": self.call, "multiCall": self.multi_call,
                   "endSession": self.end_session}.get(method or "")
        if handler is None:
            return self._answer(xmlrpc.client.Fault(620, f'Method "{method}" does not exist'))
        try:
            with self.lock:
                result = handler(*params)
        except ApiFault as error:
            return self._answer(xmlrpc.client.Fault(error.code, error.message))
        except _ArgumentCountError:
            # PHP's fatal error, which no catch(Exception) sees: an HTML 500 from the web server.
            return Response(500, b"<html><body>PHP Fatal error: Uncaught ArgumentCountError</body></html>",
                            content_type=_HTML)
        path = str(params[1]) if method == "call" and len(params) > 1 else method
        if path in self._drop_after or _resolved(path) in self._drop_after:
            self._drop_after.remove(path if path in self._drop_after else _resolved(path))
            raise _Drop()
        return self._answer((result,))

    @staticmethod
    def _answer(payload) -> Response:
        body = xmlrpc.client.dumps(payload, methodresponse=True, allow_none=True, encoding="UTF-8")
        return Response(200, body.encode("utf-8"), content_type="text/xml; charset=UTF-8")

    def login(self, user=None, key=None) -> str:
        if not user or not key:
            raise fault(None, "invalid_request_param")
        if self.api_users.get(str(user)) != str(key):
            raise fault(None, "access_denied")
        session = secrets.token_hex(16)
        self.sessions[session] = (str(user), self.clock())
        self.logins += 1
        return session

    def end_session(self, session=None) -> bool:
        self.sessions.pop(str(session), None)
        self.ended_sessions.add(str(session))
        return True

    def call(self, session, api_path, args=None):
        self._check_session(session)
        path = self._path(api_path)
        self.calls.append((path, args if isinstance(args, list) else [args]))
        if self._scripted.get(path):
            raise ApiFault(*self._scripted[path].pop(0))
        handler = HANDLERS[path]
        positional = args if isinstance(args, list) else ([] if args is None else [args])
        _check_arity(handler, positional, path, self.violations)
        return handler(self, *positional)

    def multi_call(self, session, calls=(), options=None):
        self._check_session(session)
        results = []
        for one in calls or []:
            try:
                path = self._path(one[0] if one else "")
                args = one[1] if len(one) > 1 else []
                results.append(HANDLERS[path](self, *(args if isinstance(args, list) else [args])))
            except ApiFault as error:
                results.append({"isFault": True, "faultCode": error.code, "faultMessage": error.message})
                if (options or {}).get("break"):
                    break
        return results

    def _check_session(self, session) -> None:
        session = str(session)
        if session in self.ended_sessions or session in self.expired_sessions:
            # Magento knows it no more (fault 5 again); the client was told, or ended it itself.
            self.counts["client_errors"] += 1
            if session in self.ended_sessions:
                self.violations.append("A call on a session the client had ended (endSession).")
            raise fault(None, "session_expired")
        found = self.sessions.get(session)
        if found is None or (self.clock() - found[1]).total_seconds() > self.session_ttl_s:
            self.sessions.pop(session, None)
            self.expired_sessions.add(session)
            self.counts["sessions_expired"] += 1
            raise fault(None, "session_expired")

    def _path(self, api_path) -> str:
        resource, _, method = str(api_path).partition(".")
        resource = ALIASES.get(resource, resource)
        if not resource or not method or method not in RESOURCES.get(resource, {}).get("methods", {}):
            self.violations.append(f"{api_path}: not a Magento 1 API path.")
            raise fault(None, "resource_path_invalid")
        path = f"{resource}.{method}"
        if path in self.denied or resource in self.denied:
            raise fault(None, "access_denied")
        if path not in HANDLERS:
            self.violations.append(f"{path}: not emulated.")
            raise fault(None, "resource_path_not_callable")
        return path


def _resolved(api_path: str) -> str:
    resource, _, method = api_path.partition(".")
    return f"{ALIASES.get(resource, resource)}.{method}"


class _ArgumentCountError(Exception):
    """Too few or too many arguments for the PHP method."""


def _check_arity(handler: Callable, args: list, path: str, violations: list[str]) -> None:
    try:
        inspect.signature(handler).bind(None, *args)
    except TypeError:
        violations.append(f"{path}: {len(args)} arguments do not fit {path}'s signature.")
        raise _ArgumentCountError() from None
