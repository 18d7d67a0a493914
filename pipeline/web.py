"""A read-only web page for operators: recent runs, one run's progress and failures, dead letters.

    connector web --port 8080

A WSGI app (the standard library's ``wsgiref`` serves it; any WSGI server can). Pages refresh
themselves every few seconds; ``/api/...`` gives the same as JSON. Everything shown comes from the
books, where errors are already masked; every value is HTML-escaped.
"""

from __future__ import annotations

import json
import re
import time
from html import escape
from urllib.parse import parse_qs

from pipeline.books import Books
from pipeline.books.runs import RunSummary

STYLE = """body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}
.failed{color:#b00020}.complete{color:#1b5e20}.running,.waiting{color:#0d47a1}nav a{margin-right:1em}
.bar{background:#eee;width:160px;height:10px}.bar div{background:#4caf50;height:10px}code{font-size:12px}"""


def _when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp)) if timestamp else "-"


def _page(title: str, body: str, refresh: bool = True) -> str:
    meta = '<meta http-equiv="refresh" content="5">' if refresh else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'>{meta}<title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><nav><a href='/'>Runs</a><a href='/dead-letters'>Dead letters</a>"
            f"</nav><h1>{escape(title)}</h1>{body}</body></html>")


def _bar(summary: RunSummary) -> str:
    total = summary.counts["extracted"]
    share = 100 if summary.finished_at else (100 * summary.processed // total if total else 0)
    return f"<div class='bar'><div style='width:{share}%'></div></div>"


class OperatorApp:
    """The WSGI application over a ``Books``."""

    def __init__(self, books: Books) -> None:
        self.books = books
        self.routes = [
            (re.compile(r"^/$"), self.runs_page),
            (re.compile(r"^/runs/(?P<run_id>[\w.:-]+)$"), self.run_page),
            (re.compile(r"^/dead-letters$"), self.dead_letters_page),
            (re.compile(r"^/api/runs$"), self.runs_api),
            (re.compile(r"^/api/runs/(?P<run_id>[\w.:-]+)$"), self.run_api),
        ]

    def __call__(self, environ, start_response):
        path, query = environ.get("PATH_INFO", "/"), parse_qs(environ.get("QUERY_STRING", ""))
        for pattern, handler in self.routes:
            match = pattern.match(path)
            if match:
                status, content_type, body = handler(query, **match.groupdict())
                break
        else:
            status, content_type, body = "404 Not Found", "text/html", _page("Not found", "", refresh=False)
        payload = body.encode()
        start_response(status, [("Content-Type", f"{content_type}; charset=utf-8"),
                                ("Content-Length", str(len(payload))), ("Cache-Control", "no-store")])
        return [payload]

    def runs_page(self, query):
        integration = (query.get("integration") or [None])[0]
        rows = "".join(
            f"<tr><td><a href='/runs/{escape(s.run_id)}'>{escape(s.run_id)}</a></td><td>{escape(s.integration)}</td>"
            f"<td>{escape(s.mode)}</td><td class='{s.status}'>{s.status}</td><td>{_bar(s)}</td>"
            + "".join(f"<td>{s.counts[name]}</td>" for name in ("extracted", "loaded", "skipped", "failed"))
            + f"<td>{_when(s.started_at)}</td></tr>"
            for s in self.books.runs.recent(50, integration))
        head = "".join(f"<th>{name}</th>" for name in ("run", "integration", "mode", "status", "progress",
                                                        "extracted", "loaded", "skipped", "failed", "started"))
        return "200 OK", "text/html", _page("Runs", f"<table><tr>{head}</tr>{rows}</table>")

    def run_page(self, query, run_id: str):
        summary = self.books.runs.get(run_id)
        if summary is None:
            return "404 Not Found", "text/html", _page(f"No run {run_id}", "", refresh=False)
        facts = {"integration": summary.integration, "mode": summary.mode, "status": summary.status,
                 "started": _when(summary.started_at), "finished": _when(summary.finished_at),
                 **summary.counts, "messages": ", ".join(f"{k} {v}" for k, v in (summary.states or {}).items()),
                 "run error": summary.error or "-"}
        table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in facts.items())
        failures = "".join(f"<tr><td>{escape(f.key)}</td><td>{escape(f.stage)}</td><td>{escape(f.error_type)}</td>"
                           f"<td>{escape(f.error)}</td></tr>" for f in self.books.runs.failures(run_id))
        body = (f"{_bar(summary)}<table>{table}</table><h2>Failed records</h2><table><tr><th>record</th>"
                f"<th>stage</th><th>error type</th><th>error</th></tr>{failures}</table>")
        return "200 OK", "text/html", _page(f"Run {run_id}", body, refresh=summary.finished_at is None)

    def dead_letters_page(self, query):
        first = {name: (query.get(name) or [None])[0] for name in ("integration", "run", "error_type")}
        letters = self.books.dead_letters.list(integration=first["integration"], run_id=first["run"],
                                               error_type=first["error_type"], limit=200)
        rows = "".join(
            f"<tr><td>{_when(d.failed_at)}</td><td>{escape(d.integration)}</td><td>{escape(d.failure.key)}</td>"
            f"<td>{escape(d.failure.stage)}</td><td>{d.attempts}</td><td>{escape(d.failure.error_type)}</td>"
            f"<td>{escape(d.failure.error)}</td><td><a href='/runs/{escape(d.run_id)}'>{escape(d.run_id)}</a></td></tr>"
            for d in letters)
        head = "".join(f"<th>{name}</th>" for name in ("failed", "integration", "record", "stage", "attempts",
                                                        "error type", "error", "run"))
        hint = "<p>Retry with <code>connector dead-letters retry KEY --integration NAME</code>.</p>"
        return "200 OK", "text/html", _page(f"Dead letters ({len(letters)})",
                                            f"{hint}<table><tr>{head}</tr>{rows}</table>")

    def runs_api(self, query):
        integration = (query.get("integration") or [None])[0]
        return "200 OK", "application/json", json.dumps(
            [s.as_dict() for s in self.books.runs.recent(50, integration)], default=str)

    def run_api(self, query, run_id: str):
        summary = self.books.runs.get(run_id)
        if summary is None:
            return "404 Not Found", "application/json", json.dumps({"error": f"No run {run_id!r}."})
        failures = [vars(f) for f in self.books.runs.failures(run_id)]
        return "200 OK", "application/json", json.dumps({**summary.as_dict(), "failures": failures}, default=str)


def serve(books: Books, host: str = "127.0.0.1", port: int = 8080):
    """A threaded WSGI server for the page (``serve_forever()`` it; ``server_port`` says where)."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class ThreadingServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):  # access lines would drown the workers' log
            pass

    return make_server(host, port, OperatorApp(books), server_class=ThreadingServer, handler_class=QuietHandler)
