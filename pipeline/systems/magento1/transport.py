"""The standard library's XML-RPC transports, with timeouts and exactly one attempt per call.

``xmlrpc.client`` waits forever by default and, when a kept-alive connection is reset, sends the
same request a second time on its own. For a read that is harmless; for
``sales_order_invoice.create`` it is a second invoice whenever the first request did reach the
shop and only the answer was lost. So our transports send once, and the client decides what may
be repeated (reads, see ``client``) and what goes through the pipeline's retries, which check
first whether the document exists (see ``documents``).
"""

from __future__ import annotations

import http.client
import xmlrpc.client
from urllib.parse import urlsplit


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


def transport_for(url: str, timeout: float) -> xmlrpc.client.Transport:
    """The transport of ``url``'s scheme; it keeps one connection alive (one per thread: see ``client``)."""
    transport = SafeTransport() if urlsplit(url).scheme == "https" else Transport()
    transport.timeout = timeout
    return transport
