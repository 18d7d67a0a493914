"""The base of every vendor emulator: a threaded HTTP server on loopback, routes, fault injection.

A vendor emulator subclasses ``Emulator``, declares routes with ``@route(method, pattern)`` and keeps
its state in plain attributes. Faults (``Faults``) are decided per request before (or, for
``drop_after_rate``, after) the handler runs, so tests can make a vendor slow, flaky or throttled.

>>> class Echo(Emulator):
...     @route("GET", r"/echo/(?P<word>\\w+)")
...     def echo(self, request, word):
...         return Response(200, {"word": word})
>>> with Echo() as server:
...     import requests
...     requests.get(server.url + "/echo/hi", timeout=5).json()
{'word': 'hi'}
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Faults:
    """What an emulator does wrong, on purpose; rates are fractions of requests (0 to 1)."""

    #: Answered with ``error_status`` (a 5xx) before the handler runs.
    error_rate: float = 0.0
    error_status: int = 503
    #: Answered 429 with ``Retry-After: retry_after_s``.
    throttle_rate: float = 0.0
    retry_after_s: int = 1
    #: Connection closed without an answer, before the handler runs.
    drop_rate: float = 0.0
    #: Connection closed without an answer *after* the handler ran (the change happened, the client
    #: does not know): the case that makes non-idempotent clients create duplicates.
    drop_after_rate: float = 0.0
    #: The least time every request takes (the work of answering it included).
    latency_s: float = 0.0
    #: Requests in flight above this get 429 (NetSuite's per-account concurrency governance).
    max_concurrent: int | None = None
    seed: int | None = None


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    #: The raw path with its query string, as sent (signatures are computed over it).
    raw_path: str = ""

    def json(self):
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        return next((value for key, value in self.query if key == name), default)


@dataclass
class Response:
    status: int = 200
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class _Drop(Exception):
    """Close the connection without answering."""


def route(method: str, pattern: str):
    """Declare an emulator method as the handler of ``method`` requests whose path matches ``pattern``."""
    def mark(handler):
        handler.__route__ = (method, re.compile(f"^{pattern}$"))
        return handler
    return mark


class Emulator:
    """A stateful HTTP server on 127.0.0.1 (a free port), started and stopped by ``with``."""

    def __init__(self, *, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self.counts = {"throttled": 0, "errors": 0, "dropped": 0, "over_concurrency": 0}
        #: Requests the real API would refuse, or accept only by luck: a client's breaches of the
        #: vendor's contract (each emulator adds what its spec lets it see).
        self.violations: list[str] = []
        #: Exceptions raised inside a handler: the emulator's own bugs, answered 500 (never a dropped
        #: connection, which a client rightly retries and so hides).
        self.emulator_faults: list[str] = []
        self._in_flight = 0
        self._random = random.Random(self.faults.seed)
        self._routes = [getattr(self, name).__route__ + (getattr(self, name),)
                        for name in dir(type(self)) if hasattr(getattr(type(self), name), "__route__")]
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0, host: str = "127.0.0.1") -> Emulator:
        """Serve on ``host:port`` (default: a free loopback port, as tests want; ``connector emulate`` fixes it)."""
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: tests read emulator.requests instead
                pass

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm meets the
                # client's delayed ACK and every response waits ~40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self):
                emulator._serve(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        # A short poll, so stop() returns at once (the default half second adds up across a suite).
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def contract_problems(self) -> list[str]:
        """The client's contract breaches and the emulator's own faults seen so far."""
        with self.lock:
            return [*self.violations, *(f"emulator fault: {fault}" for fault in self.emulator_faults)]

    def assert_contract_kept(self) -> None:
        """Fail (AssertionError) when a client broke the vendor's contract or the emulator failed.

        The published fixtures call this at teardown; a test that breaks the contract on purpose
        clears ``violations`` once it has checked them.
        """
        problems = self.contract_problems()
        if problems:
            raise AssertionError(f"{type(self).__name__} saw {len(problems)} contract problem(s):\n  "
                                 + "\n  ".join(problems))

    def record_fault(self, where: str, error: Exception) -> None:
        """Note an exception raised inside the emulator (answered 500 by the caller)."""
        with self.lock:
            self.emulator_faults.append(f"{where}: {type(error).__name__}: {error}")

    def chance(self, rate: float) -> bool:
        with self.lock:
            return rate > 0 and self._random.random() < rate

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        parts = urlsplit(handler.path)
        request = Request(handler.command, parts.path, parse_qsl(parts.query, keep_blank_values=True),
                          {k.lower(): v for k, v in handler.headers.items()}, handler.rfile.read(length),
                          raw_path=handler.path)
        with self.lock:
            self.requests.append(request)
            self._in_flight += 1
            over = self.faults.max_concurrent is not None and self._in_flight > self.faults.max_concurrent
        started = time.monotonic()
        try:
            try:
                response = self._respond(request, over)
            finally:
                self._take_latency(started)
        except _Drop:
            handler.close_connection = True
            return
        finally:
            with self.lock:
                self._in_flight -= 1
        self._write(handler, response)

    def _take_latency(self, started: float) -> None:
        # ``latency_s`` is the time a request takes in all, as a vendor's response time is: the work
        # done answering it counts towards it, so a busy test machine does not slow the vendor down.
        remaining = self.faults.latency_s - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)

    def _respond(self, request: Request, over_concurrency: bool) -> Response:
        faults = self.faults
        if over_concurrency:
            self._count("over_concurrency")
            return self.too_many_requests(request)
        if self.chance(faults.drop_rate):
            self._count("dropped")
            raise _Drop()
        if self.chance(faults.throttle_rate):
            self._count("throttled")
            return self.too_many_requests(request)
        if self.chance(faults.error_rate):
            self._count("errors")
            return self.server_error(request, faults.error_status)
        try:
            response = self.dispatch(request)
        except _Drop:
            raise
        except Exception as error:  # noqa: BLE001 (any bug of ours must answer, and be seen)
            self.record_fault(f"{request.method} {request.path}", error)
            return self.server_error(request, 500)
        if self.chance(faults.drop_after_rate):
            self._count("dropped")
            raise _Drop()
        return response

    def dispatch(self, request: Request) -> Response:
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                return handler(request, **match.groupdict())
        return self.not_found(request)

    def _count(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1

    # The vendor's own envelopes: subclasses override these.
    def too_many_requests(self, request: Request) -> Response:
        return Response(429, {"message": "Too many requests."}, {"Retry-After": str(self.faults.retry_after_s)})

    def server_error(self, request: Request, status: int) -> Response:
        return Response(status, {"message": "Internal error."})

    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": f"No route for {request.method} {request.path}."})

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, response: Response) -> None:
        if isinstance(response.body, (bytes, bytearray)):
            payload = bytes(response.body)
        elif response.body is None:
            payload = b""
        else:
            payload = json.dumps(response.body).encode()
        handler.send_response(response.status)
        if payload:
            handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
