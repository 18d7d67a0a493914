"""Magento 1's XML-RPC session protocol: ``login``, ``call``, ``endSession``.

One session serves every thread of a worker: it is created on first use, and a call answered
with fault 5 (the session expired) logs in again and is sent once more, on the new session. The
first thread to see a session expire logs in; the others, whose calls were in flight on it, find
the new session and send their calls there (one login per expiry). No call starts on a session
known to be dead, and ``end_session`` waits for the calls in flight on it before ending it. The
session id is a credential like the API key: it appears in no message and no log line.

Each thread has its own ``ServerProxy`` (a transport keeps one connection and is not safe to
share), and every request holds a slot of the shop's concurrency budget.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
import xmlrpc.client
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from xml.parsers.expat import ExpatError

from pipeline.errors import AuthError
from pipeline.systems.http import transport_session
from pipeline.systems.magento1 import faults
from pipeline.systems.magento1.transport import transport_for
from pipeline.systems.read_retries import ReadRetries

logger = logging.getLogger(__name__)

#: Methods that change nothing, so that they may be sent again after any retryable error.
READS = frozenset({"list", "info", "items"})


def is_read(api_path: str) -> bool:
    return api_path.rsplit(".", 1)[-1] in READS


class Magento1Client:
    """Calls against one shop's XML-RPC endpoint.

    Args:
        url: the endpoint, e.g. ``https://shop.example.com/api/xmlrpc/``.
        api_user, api_key: the Web Services user's credentials.
        timeout_s: seconds to connect, and to wait for each answer.
        limiter: a context manager factory held around each request (a concurrency budget).
        reads: how reads are retried in place.
    """

    def __init__(self, url: str, api_user: str, api_key: str, *, timeout_s: float = 60,
                 limiter: Callable[[], AbstractContextManager] | None = None,
                 reads: ReadRetries | None = None) -> None:
        self.url = url
        self.reads = reads or ReadRetries()
        self._user, self._key = api_user, api_key
        self.timeout_s = timeout_s
        self.limiter = limiter or nullcontext
        self._local = threading.local()
        # Worker threads share one session: one login at a time, not one per thread. The condition
        # also counts the calls in flight per session, so that ending one waits for them.
        self._lock = threading.Condition()
        self._session: str | None = None
        self._in_flight: Counter[str] = Counter()
        #: Every session id handed out to this client: credentials a recording masks.
        self._issued: set[str] = set()
        # Built inside ``http.transport(recorder)``: every thread's proxy sends through the recorder.
        self._recorded = transport_session()

    def __repr__(self) -> str:
        return f"Magento1Client({faults.redact_url(self.url)!r}, api_user={self._user!r})"

    def call(self, api_path: str, *args: Any) -> Any:
        """``call(session, api_path, [args...])``; a session that expired is renewed once.

        Reads (``list``, ``info``) that meet a retryable error are retried in place (``reads``);
        writes never are: the pipeline retries them after checking whether the first one took effect.
        """
        if is_read(api_path):
            return self.reads.call(lambda: self._call(api_path, args), f"Magento 1 {api_path}")
        return self._call(api_path, args)

    @property
    def secrets(self) -> set[str]:
        """The API key and every session id this client was given (``connector record`` masks them)."""
        return {secret for secret in (self._key, *self._issued) if secret}

    def login(self) -> str:
        """A new session id (``login(apiUser, apiKey)``); fault 2 when the credentials are wrong."""
        session = str(self.reads.call(lambda: self._once("login", "login", (self._user, self._key)),
                                      "Magento 1 login"))
        self._issued.add(session)
        return session

    def sign_in(self) -> None:
        """Open the session now rather than on the first call (``connector check``)."""
        self._current_session()

    def end_session(self) -> None:
        """End the current session, if any (``endSession``), once the calls in flight on it are done.

        New calls meanwhile log in again: none is sent on the session being ended.
        """
        with self._lock:
            session, self._session = self._session, None
            if session is not None:
                self._lock.wait_for(lambda: not self._in_flight[session], timeout=self.timeout_s)
        if session is not None:
            self._once("endSession", "endSession", (session,))

    def _call(self, api_path: str, args: tuple) -> Any:
        session, fresh = self._current_session(), False
        while True:
            try:
                return self._on(session, api_path, args)
            except faults.SessionExpiredError as error:
                # Magento checks the session before anything else: the call did nothing, and a write
                # may be sent again as safely as a read.
                if fresh:
                    raise AuthError(f"{error} It expired again right after a new login: check the shop's API "
                                    "session timeout (System > Configuration > Magento Core API).",
                                    system=faults.SYSTEM, status=error.status) from None
                # Another thread's newer session (``fresh`` False) may be past its time too by now:
                # then the next expiry logs in for this call, and only that one is final.
                session, fresh = self._renew(session)

    def _on(self, session: str, api_path: str, args: tuple) -> Any:
        """One call on ``session``, counted in flight (see ``end_session``)."""
        try:
            return self._once("call", api_path, (session, api_path, list(args)))
        finally:
            with self._lock:
                self._in_flight[session] -= 1
                if not self._in_flight[session]:
                    del self._in_flight[session]
                    self._lock.notify_all()

    def _current_session(self) -> str:
        """The live session, counted in flight for the caller's call (``_on`` uncounts it)."""
        with self._lock:
            if self._session is None:
                self._session = self.login()
            self._in_flight[self._session] += 1
            return self._session

    def _renew(self, stale: str) -> tuple[str, bool]:
        """The session after ``stale`` expired (counted in flight for the caller's retry), and
        whether this call logged it in."""
        with self._lock:
            # Another thread may have logged in again already: its session is as good as ours.
            fresh = self._session in (None, stale)
            if fresh:
                logger.info("Magento 1 session at %s expired; logging in again.", faults.redact_url(self.url))
                self._session = self.login()
            self._in_flight[self._session] += 1
            return self._session, fresh

    def _once(self, method: str, api_path: str, params: tuple) -> Any:
        proxy = self._proxy()
        started = time.monotonic()
        # A budget's slot counts what its request got (systems.concurrency): an XML-RPC fault is an
        # answer (HTTP 200), an HTTP error its status, a dropped connection none.
        with self.limiter() as slot:
            count = slot.answered if slot is not None else (lambda status: None)
            try:
                result = getattr(proxy, method)(*params)
            except xmlrpc.client.Fault as fault:
                count(200)
                raise faults.error_for_fault(fault, api_path, self._secrets()) from None
            except xmlrpc.client.ProtocolError as error:
                count(error.errcode)
                raise faults.error_for_status(error, api_path, self.url) from None
            except (OSError, http.client.HTTPException) as error:
                count(None)
                self._local.proxy = None  # a fresh connection next time
                raise faults.error_for_connection(error, api_path, self.url) from None
            except (ExpatError, xmlrpc.client.ResponseError):
                count(200)
                self._local.proxy = None
                raise faults.error_for_body(api_path, self.url) from None
            count(200)
        logger.debug("Magento 1 %s took %.3fs.", api_path, time.monotonic() - started)
        return result

    def _proxy(self) -> xmlrpc.client.ServerProxy:
        proxy = getattr(self._local, "proxy", None)
        if proxy is None:
            proxy = xmlrpc.client.ServerProxy(
                self.url, transport=transport_for(self.url, self.timeout_s, self._recorded), allow_none=True)
            self._local.proxy = proxy
        return proxy

    def _secrets(self) -> list[str]:
        return [secret for secret in (self._key, self._session) if secret]
