"""The console's Flask application: views, JSON API, metrics, guards, error pages."""

from __future__ import annotations

import logging

import redis
from flask import Flask, g, jsonify, make_response, redirect, render_template, request
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from pipeline.redaction import redact_url
from pipeline.web import dead_letters, integrations, metrics, queues, runs, security
from pipeline.web.console import Console
from pipeline.web.formats import FILTERS

logger = logging.getLogger(__name__)


def create_app(app, *, token: str | None = None) -> Flask:
    """The console over ``app`` (a ``pipeline.app.App``, as the command line builds it; see ``Console``).

    ``token``: the access token every request must carry (required beyond loopback, see ``serve``).
    """
    web = Flask(__name__)
    console = Console(app)
    web.config.update(console=console, metrics_registry=metrics.registry_for(console), token=token)
    # Jinja escapes every value in .html templates; keep it so (third parties write our record data).
    web.jinja_env.autoescape = True
    web.jinja_env.filters.update(FILTERS)
    for module in (integrations, runs, dead_letters, queues, metrics):
        web.register_blueprint(module.blueprint)
    security.install(web, token)

    @web.context_processor
    def page_context():
        # Every page carries the banner: a queue with work and no worker is the first thing to see
        # (not on error pages: Redis may be what failed).
        stranded = []
        if g.get("authorized") and not g.get("failed"):
            stranded = console.stranded_queues(console.queues())
        return {"csrf_token": g.get("csrf_token", ""), "stranded_queues": stranded}

    @web.get("/login")
    def login_form():
        return render_template("login.html", failed=False)

    @web.post("/login")
    def login():
        if not security.same(request.form.get("token"), token or ""):
            return make_response(render_template("login.html", failed=True), 401)
        response = redirect("/")
        response.set_cookie(security.TOKEN_COOKIE, token, httponly=True, samesite="Strict")
        return response

    @web.errorhandler(redis.RedisError)
    def redis_down(exception: redis.RedisError):
        where = redact_url(console.settings.redis_url)
        logger.warning("The console could not read Redis at %s: %s", where, type(exception).__name__)
        return error(ServiceUnavailable(f"Redis at {where} does not answer ({type(exception).__name__}): "
                                        "the console shows what Redis keeps. Check REDIS_URL and the server."))

    @web.errorhandler(HTTPException)
    def error(exception: HTTPException):
        g.failed = True
        if request.path.startswith("/api/") or request.path == "/metrics" or request.is_json:
            return jsonify({"error": exception.description}), exception.code
        return render_template("error.html", code=exception.code, name=exception.name,
                               description=exception.description), exception.code

    return web
