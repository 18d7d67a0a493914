"""The standard library's XML-RPC transports, with timeouts and exactly one attempt per call.

``xmlrpc.client`` waits forever by default and, when a kept-alive connection is reset, sends the
same request a second time on its own. For a read that is harmless; for
``sales_order_invoice.create`` it is a second invoice whenever the first request did reach the
shop and only the answer was lost. So our transports send once, and the client decides what may
be repeated (reads, see ``client``) and what goes through the pipeline's retries, which check
first whether the document exists (see ``documents``).

While ``connector record`` records, or a test replays a cassette (``pipeline.systems.http.transport``),
calls go through that block's requests session instead (``SessionTransport``), once each as well.
"""

from __future__ import annotations

import http.client
import xmlrpc.client
from urllib.parse import urlsplit

import requests


class _OneAttempt:
    timeout: float

    def make_connection(self, host) -> http.client.HTTPConnection:
        connection = super().make_connection(host)  # type: ignore[misc]
        # Read at connect time, then kept on the socket for every read of the answer.
        connection.timeout = self.timeout
        return connection

    def request(self, host, handler, request_body, verbose=False):
        return self.single_request(host, handler, request_body, verbose)  # type: ignore[attr-defined]


class Transport(_OneAttempt, xmlrpc.client.Transport):
    """HTTP, with a timeout, one attempt per request."""


class SafeTransport(_OneAttempt, xmlrpc.client.SafeTransport):
    """HTTPS, with a timeout, one attempt per request."""


class SessionTransport(xmlrpc.client.Transport):
    """Through a requests session (a recorder's or a replayer's), one attempt per request.

    Its errors are the ones the client already maps: a connection error is an ``OSError``, an
    HTTP error status a ``ProtocolError``.
    """

    def __init__(self, session: requests.Session, url: str, timeout: float) -> None:
        super().__init__()
        self.session, self.url, self.timeout = session, url, timeout

    def request(self, host, handler, request_body, verbose=False):
        response = self.session.post(self.url, data=request_body, headers={"Content-Type": "text/xml"},
                                     timeout=self.timeout, allow_redirects=False)
        if response.status_code != 200:
            raise xmlrpc.client.ProtocolError(host + handler, response.status_code, response.reason or "",
                                              dict(response.headers))
        parser, unmarshaller = self.getparser()
        parser.feed(response.content)
        parser.close()
        return unmarshaller.close()


def transport_for(url: str, timeout: float, session: requests.Session | None = None) -> xmlrpc.client.Transport:
    """The transport of ``url``'s scheme; it keeps one connection alive (one per thread: see ``client``).

    With ``session`` (see ``pipeline.systems.http.transport_session``), the transport sending through it.
    """
    if session is not None:
        return SessionTransport(session, url, timeout)
    transport = SafeTransport() if urlsplit(url).scheme == "https" else Transport()
    transport.timeout = timeout
    return transport
