"""The operators' console: integrations, runs, a run's failures, dead letters, queues and workers.

    connector web                 # http://127.0.0.1:8080/
    PIPELINE_WEB_TOKEN=... connector web --host 0.0.0.0

A Flask application (``application.create_app``) served by waitress (``server.serve``). Every view
has a JSON twin under ``/api/``; ``/metrics`` speaks Prometheus. Values come from the books, where
errors are already masked; payloads are masked again on the way out, and every value is escaped.
Retry and discard go through the same operations as ``connector dead-letters``.
"""

from pipeline.web.application import create_app
from pipeline.web.server import serve

__all__ = ["create_app", "serve"]
