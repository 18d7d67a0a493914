"""The console's guards: an access token, CSRF on every state change, and strict response headers.

- **Access token.** Bound to anything but loopback, the console refuses to start without one
  (``pipeline.web.server``), and checks it on every request: ``Authorization: Bearer <token>``
  (scripts, Prometheus' ``authorization`` setting) or the HttpOnly cookie set by ``/login``.
- **CSRF.** State changes are POSTs only, and each must carry the per-browser token of the
  ``console_csrf`` cookie back in an ``X-CSRF-Token`` header or a ``csrf_token`` form field
  (double submit: another site can make a browser send the cookie, not read it). A POST whose
  ``Origin`` is another site is refused as well.
- **Host.** Without a token (loopback only), a request must name a loopback host: a page of
  another site whose name was re-pointed at 127.0.0.1 (DNS rebinding) is same-origin to the
  browser, so only the Host header tells it apart.
- **Headers.** ``nosniff``, a Content-Security-Policy that allows only the console's own script
  and style files (no inline script, so injected markup cannot run), no framing, no referrer.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, g, request

CSRF_COOKIE = "console_csrf"
TOKEN_COOKIE = "console_token"
#: Reachable without the access token: the login form itself and the static files it uses.
OPEN_ENDPOINTS = {"login", "login_form", "static"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def loopback_host(host: str) -> bool:
    """Whether a Host header (``name[:port]``) names this machine's loopback."""
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def install(app: Flask, token: str | None) -> None:
    """Add the guards to ``app``; ``token`` None means loopback only, unauthenticated."""

    @app.before_request
    def check_host():
        if token is None and not loopback_host(request.host):
            abort(403, f"Refused: this console answers only to a loopback address, not {request.host!r}.")

    @app.before_request
    def check_token():
        g.authorized = token is None
        if token is None or request.endpoint in OPEN_ENDPOINTS:
            return None
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else request.cookies.get(TOKEN_COOKIE)
        if not same(given, token):
            abort(401, "This console needs its access token: log in at /login, or send "
                       "'Authorization: Bearer <token>'.")
        g.authorized = True
        return None

    @app.before_request
    def check_csrf():
        g.csrf_token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            abort(403, f"Refused: a request from another site ({origin}).")
        # The login form comes before any cookie; it is CSRF-checked by the token it carries.
        if request.endpoint == "login":
            return None
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
        if not (request.cookies.get(CSRF_COOKIE) and same(sent, request.cookies[CSRF_COOKIE])):
            abort(403, "Refused: missing or wrong CSRF token. Reload the page and try again.")
        return None

    @app.after_request
    def headers(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        # Not "no-referrer": Chromium then sends "Origin: null" with the console's own form posts.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        fresh = g.get("csrf_token")
        if fresh and request.cookies.get(CSRF_COOKIE) != fresh:
            response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="Strict")
        return response
