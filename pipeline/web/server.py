"""Serving the console with waitress, a production WSGI server (threads, no reloader, no debugger)."""

from __future__ import annotations

import ipaddress
import socket

from waitress.server import create_server

from pipeline.errors import ConfigError
from pipeline.web.application import create_app

#: Threads answering requests; each page is a few Redis round trips.
THREADS = 4


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) resolves to loopback addresses only."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def serve(app, host: str = "127.0.0.1", port: int = 8080, token: str | None = None):
    """The console's server (``run()`` it; ``effective_port`` says where it listens).

    Refuses to bind beyond loopback without an access token: the console retries and discards
    records, and shows record data.
    """
    if not is_loopback(host) and not token:
        raise ConfigError(f"Refusing to serve the console on {host}: beyond loopback it needs an access token. "
                          "Set PIPELINE_WEB_TOKEN (or --token-file), or bind to 127.0.0.1.")
    return create_server(create_app(app, token=token), host=host, port=port, threads=THREADS,
                         ident="pipeline-console", clear_untrusted_proxy_headers=True)
