"""The one place HTTP clients are built: timeouts, error classes, Retry-After, redaction.

Every vendor client sends its requests through ``HttpClient.request``, so that every system
maps statuses the same way (429 and 5xx retryable, 401/403 auth, 404 not found, other 4xx
fatal), never waits forever, and never logs a secret.

Building a request (``prepare``: URL, body, signature) and sending it (``send``) are two steps,
so that ``connector preview --request`` can show the exact request a load would send without
sending it: within ``capture_changes()``, a request that changes something is recorded instead of
sent, and the loader is stopped there (``RequestCaptured``). Reads (and a POST that only reads,
such as a SuiteQL query or a token request: ``changes=False``) go out as usual.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from pipeline.errors import AuthError, FatalError, NotFoundError, RemoteError, RetryableError
from pipeline.redaction import redact_url

logger = logging.getLogger(__name__)

#: (connect, read) seconds; requests waits forever by default.
DEFAULT_TIMEOUT = (5.0, 60.0)
#: Longest Retry-After we honour as a delay; past it, backoff takes over.
MAX_RETRY_AFTER_S = 3600.0

#: Turns an error response into a readable message (vendor envelopes differ), never with secrets.
MessageParser = Callable[[requests.Response], str]
#: Methods that change nothing at the other end.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class CapturedRequest:
    """A request exactly as it would have been sent (signed): not redacted, so never log it as it is."""

    system: str
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


class RequestCaptured(BaseException):  # noqa: N818 (not an error: it stops a loader, like GeneratorExit)
    """Raised instead of sending a change within ``capture_changes()``.

    A BaseException, so that loaders, which turn their records' errors into outcomes, do not
    swallow it: the load stops at its first change.
    """

    def __init__(self, captured: CapturedRequest) -> None:
        super().__init__(f"{captured.method} {redact_url(captured.url)} captured, not sent.")
        self.captured = captured


class _Capture:
    """What ``capture_changes`` collects; one per process at a time (the preview command's)."""

    lock = threading.Lock()
    changes: list[CapturedRequest] | None = None
    reads: list[str] = []


@contextmanager
def capture_changes() -> Iterator[tuple[list[CapturedRequest], list[str]]]:
    """Within the block, requests that change something are recorded and not sent (the loader stops
    with ``RequestCaptured``); reads go out. Yields (changes captured, reads sent as "METHOD url")."""
    with _Capture.lock:
        if _Capture.changes is not None:
            raise RuntimeError("capture_changes() is already on in this process.")
        _Capture.changes, _Capture.reads = [], []
    try:
        yield _Capture.changes, _Capture.reads
    finally:
        _Capture.changes = None


#: The transport of the sessions made in a ``transport(...)`` block instead of the network's.
_TRANSPORT: ContextVar[BaseAdapter | None] = ContextVar("pipeline_http_transport", default=None)


def make_session(user_agent: str = "pipeline-connectors", *, pool_size: int = 10) -> requests.Session:
    """A session for one client; ``pool_size`` connections are kept open (at least 10).

    Inside ``with transport(adapter):`` the session sends through ``adapter`` instead.
    """
    session = requests.Session()
    # Proxies and netrc from the environment would be a surprise in a worker: configuration is explicit.
    session.trust_env = False
    session.headers["User-Agent"] = user_agent
    adapter = _TRANSPORT.get() or HTTPAdapter(pool_maxsize=max(10, pool_size))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def transport_session() -> requests.Session | None:
    """A session sending through the enclosing ``transport(...)`` block's adapter, or None outside one.

    For a client that does not send with requests otherwise (Magento 1's XML-RPC): it goes through
    the recorder or the replayer while one is active, and over its own transport the rest of the time.
    """
    return make_session() if _TRANSPORT.get() is not None else None


@contextmanager
def transport(adapter: BaseAdapter) -> Iterator[BaseAdapter]:
    """Systems built in this block send every request through ``adapter`` (recording, replaying).

    Every client of every system gets its session from ``make_session``, so this reaches the
    Python systems' clients as well as the declared ones', with no hook per system. Only the
    building needs to be inside the block: a session keeps its adapter.

    >>> from pipeline.systems.recording import Recorder
    >>> with transport(Recorder()) as recorder:
    ...     session = make_session()
    >>> session.get_adapter("https://example.com") is recorder
    True
    """
    token = _TRANSPORT.set(adapter)
    try:
        yield adapter
    finally:
        _TRANSPORT.reset(token)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    # RFC 9110 says whole seconds; Shopify sends "2.0", which is no HTTP date either.
    if value.replace(".", "", 1).isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (now if now is not None else time.time())
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def error_for(system: str, response: requests.Response, message: str) -> RemoteError:
    """The error class of an HTTP error response."""
    status = response.status_code
    where = f"{response.request.method} {redact_url(response.url)}" if response.request else redact_url(response.url)
    text = f"{system} answered HTTP {status} to {where}: {message}"
    if status == 429 or status >= 500:
        return RetryableError(text, system=system, status=status,
                              retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        return AuthError(text, system=system, status=status)
    if status == 404:
        return NotFoundError(text, system=system, status=status)
    return FatalError(text, system=system, status=status)


class HttpClient:
    """A base URL, a session and an auth hook, sending requests with our error classes.

    Args:
        system: the system's name, for messages.
        base_url: prefix of every path.
        parse_message: vendor-specific reader of error bodies.
        sign: adds authentication to a prepared request (OAuth signatures, tokens).
        limiter: a context manager factory held around each request (a concurrency budget).
    """

    def __init__(self, system: str, base_url: str, *, parse_message: MessageParser,
                 sign: Callable[[requests.PreparedRequest], None] | None = None,
                 session: requests.Session | None = None, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 limiter: Callable[[], AbstractContextManager] | None = None) -> None:
        self.system, self.base_url = system, base_url.rstrip("/")
        self.parse_message, self.sign = parse_message, sign
        self.session = session or make_session()
        self.timeout = timeout
        self.limiter = limiter or nullcontext

    def request(self, method: str, path: str, *, changes: bool | None = None, **kwargs) -> requests.Response:
        """Send a request; return the response of a 2xx/3xx, raise our error class otherwise.

        ``changes``: whether it changes anything at the other end (default: any method but GET,
        HEAD and OPTIONS); a POST that only reads says ``changes=False``.
        """
        prepared = self.prepare(method, path, **kwargs)
        return self.send(prepared, changes=method.upper() not in SAFE_METHODS if changes is None else changes)

    def prepare(self, method: str, path: str, **kwargs) -> requests.PreparedRequest:
        """The request as it would go out: URL, headers, body, and its signature."""
        request = requests.Request(method, self.base_url + path, **kwargs)
        prepared = self.session.prepare_request(request)
        if self.sign:
            self.sign(prepared)
        return prepared

    def send(self, prepared: requests.PreparedRequest, *, changes: bool = True) -> requests.Response:
        """Send a prepared request (see ``request``)."""
        method = prepared.method or ""
        if _Capture.changes is not None:
            if changes:
                body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
                headers = {name: value.decode("latin-1") if isinstance(value, bytes) else value
                           for name, value in prepared.headers.items()}
                captured = CapturedRequest(self.system, method, prepared.url or "", headers, body)
                _Capture.changes.append(captured)
                raise RequestCaptured(captured)
            _Capture.reads.append(f"{method} {redact_url(prepared.url or '')}")
        with self.limiter() as slot:
            try:
                response = self.session.send(prepared, timeout=self.timeout, allow_redirects=False)
            except (requests.Timeout, requests.ConnectionError) as error:
                if slot is not None:  # a budget's slot counts what its request got (see systems.concurrency)
                    slot.unanswered()
                raise RetryableError(f"{self.system}: {method} {redact_url(prepared.url)} failed: "
                                     f"{type(error).__name__}.", system=self.system) from None
            if slot is not None:
                # Counted while the slot is still held: on a 429 the budget sees how many were in flight.
                slot.answered(response.status_code)
        logger.debug("%s %s %s -> %s", self.system, method, redact_url(prepared.url), response.status_code)
        if response.status_code >= 400:
            raise error_for(self.system, response, self.parse_message(response))
        return response
