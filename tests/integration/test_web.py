"""The operators' page, served over HTTP from the books in a real Redis."""

from __future__ import annotations

import threading

import pytest
import requests

from pipeline.books import Books, Failure, LoadOutcomes
from pipeline.settings import Settings
from pipeline.web import serve

SECRET = "tok-9f8e7d6c5b4a"


@pytest.fixture
def books(redis_client, namespace):
    return Books(redis_client, Settings.from_env({"PIPELINE_NAMESPACE": namespace}), secrets={SECRET})


@pytest.fixture
def page(books):
    server = serve(books, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def a_run_with_failures(books: Books) -> str:
    books.runs.start("run-1", "erp_customers", "changed")
    books.extracted("run-1", 3, "b0")
    failure = Failure(key="<script>alert(1)</script>@example.com", stage="load", error_type="FatalError",
                      error=f"HTTP 400: token {SECRET} rejected <b>", record={"key": "x"})
    books.loads_done("run-1", "erp_customers", LoadOutcomes(loaded=[("a@example.com", "h1"), ("b@example.com", "h2")],
                                                            failures=[failure]), "m-1", "b0")
    books.extraction_finished("run-1", "erp_customers", None)
    return "run-1"


def test_the_runs_page_lists_runs_with_status_and_counts(books, page):
    a_run_with_failures(books)

    html = requests.get(page + "/", timeout=5).text

    assert "<a href='/runs/run-1'>run-1</a>" in html
    assert "<td class='partial'>partial</td>" in html  # finished, with a failed record
    assert "<td>3</td><td>2</td><td>0</td><td>1</td>" in html  # extracted, loaded, skipped, failed


def test_a_runs_page_shows_its_failed_records_escaped_and_without_secrets(books, page):
    a_run_with_failures(books)

    html = requests.get(page + "/runs/run-1", timeout=5).text

    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in html and "<script>" not in html
    assert "HTTP 400: token *** rejected &lt;b&gt;" in html
    assert SECRET not in html


def test_dead_letters_and_the_json_api(books, page):
    a_run_with_failures(books)

    letters = requests.get(page + "/dead-letters?integration=erp_customers", timeout=5).text
    api = requests.get(page + "/api/runs/run-1", timeout=5).json()
    missing = requests.get(page + "/api/runs/nope", timeout=5)

    assert "Dead letters (1)" in letters and "FatalError" in letters
    assert (api["status"], api["counts"]["loaded"], api["failures"][0]["stage"]) == ("partial", 2, "load")
    assert missing.status_code == 404 and missing.json() == {"error": "No run 'nope'."}
