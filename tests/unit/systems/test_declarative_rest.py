"""Each auth type and each pagination type of a system file, against a small API on loopback that
pages and authenticates the way each kind of real API does (the server checks, our client is not patched)."""

from __future__ import annotations

import base64
from itertools import islice
from urllib.parse import unquote

import pytest

from pipeline.errors import AuthError, FatalError, RetryableError
from pipeline.systems.base import LoadItem
from pipeline.systems.declarative import DeclaredSystem, load_system_file
from pipeline.testing.server import Emulator, Faults, Request, Response, route

RECORDS = [{"id": n, "name": f"item {n}", "updated_at": f"2024-05-01T10:00:0{n}Z"} for n in range(1, 8)]


class CatalogApi(Emulator):
    """Seven records, paged in five styles; credentials checked per auth style; tokens that expire."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens_issued: list[str] = []
        self.valid_tokens: set[str] = set()
        self.status_for_writes: int | None = None
        self.written: dict[str, dict] = {}
        self.most_in_flight = 0

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return (header == "Basic " + base64.b64encode(b"user:pa55word").decode()
                or header == "Bearer static-token" or header.removeprefix("Bearer ") in self.valid_tokens
                or request.arg("api_key") == "query-key-123")

    def dispatch(self, request: Request) -> Response:
        if request.path != "/oauth/token" and not self.authorized(request):
            return Response(401, {"error": {"message": "Unauthenticated."}})
        return super().dispatch(request)

    @route("POST", r"/oauth/token")
    def token(self, request: Request) -> Response:
        if request.headers.get("authorization") != "Basic " + base64.b64encode(b"client:s3cret").decode():
            return Response(401, {"error": "invalid_client"})
        if b"grant_type=client_credentials" not in request.body:
            return Response(400, {"error": "unsupported_grant_type"})
        token = f"token-{len(self.tokens_issued)}"
        self.tokens_issued.append(token)
        self.valid_tokens.add(token)
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    @route("GET", r"/pages")
    def by_page(self, request: Request) -> Response:
        page, size = int(request.arg("page")), int(request.arg("per_page"))
        return Response(200, {"data": RECORDS[(page - 1) * size:page * size]})

    @route("GET", r"/offsets")
    def by_offset(self, request: Request) -> Response:
        offset, limit = int(request.arg("offset")), int(request.arg("limit"))
        return Response(200, {"results": RECORDS[offset:offset + limit], "count": len(RECORDS)})

    @route("GET", r"/cursors")
    def by_cursor(self, request: Request) -> Response:
        after, size = int(request.arg("after", "0")), int(request.arg("size"))
        page = [r for r in RECORDS if r["id"] > after][:size]
        more = page and page[-1]["id"] < RECORDS[-1]["id"]
        return Response(200, {"items": page, "meta": {"next_cursor": str(page[-1]["id"]) if more else None}})

    @route("GET", r"/next")
    def by_next_url(self, request: Request) -> Response:
        start = int(request.arg("start", "0"))
        page = RECORDS[start:start + 3]
        more = start + 3 < len(RECORDS)
        return Response(200, {"items": page, "links": {"next": f"{self.url}/next?start={start + 3}" if more else None}})

    @route("GET", r"/elsewhere")
    def foreign_link(self, request: Request) -> Response:
        return Response(200, {"items": RECORDS[:1], "next": "https://attacker.example/steal?page=2"})

    @route("PUT", r"/items/(?P<key>[^/]+)")
    def put_item(self, request: Request, key: str) -> Response:
        if self.status_for_writes:
            return Response(self.status_for_writes, {"error": {"message": f"Status {self.status_for_writes}."}})
        self.written[unquote(key)] = request.json()
        with self.lock:
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        return Response(200, {})


@pytest.fixture
def api():
    with CatalogApi() as server:
        yield server


def system_file(tmp_path, auth: str, listing: str, extra: str = "") -> DeclaredSystem:
    path = tmp_path / "catalog.yaml"
    path.write_text(f"""\
base_url: "{{URL}}"
auth: {auth}
errors: {{message: error.message}}
limits: {{read_retries: 0}}
{extra}
entities:
  item:
    updated_at: updated_at
    list: {listing}
    load: {{upsert: {{method: PUT, path: "/items/{{key}}"}}, wrap: item}}
""")
    return load_system_file(path)


def build(spec, api: CatalogApi, **environ: str) -> DeclaredSystem:
    return DeclaredSystem.build(spec, "cat", {"PIPELINE_BROKER_URL": "stub://", "PIPELINE_CAT_URL": api.url,
                                              **{f"PIPELINE_CAT_{k}": v for k, v in environ.items()}})


def ids(system: DeclaredSystem, page_size: int = 3) -> list[int]:
    pages = islice(system.extract("item", since=None, refs=None, page_size=page_size), 20)
    return [record["id"] for page in pages for record in page.records]


BEARER = '{type: bearer, token: "{TOKEN}"}'


@pytest.mark.parametrize("listing", [
    "{path: /pages, records: data, pagination: {type: page_number, page_param: page, size_param: per_page}}",
    "{path: /offsets, records: results, pagination: {type: offset, offset_param: offset, size_param: limit, "
    "total: count}}",
    "{path: /cursors, records: items, pagination: {type: cursor, cursor: meta.next_cursor, cursor_param: after, "
    "size_param: size}}",
    "{path: /next, records: items, pagination: {type: next_url, next: links.next}}",
], ids=["page_number", "offset", "cursor", "next_url"])
def test_every_pagination_type_reads_every_record_once(tmp_path, api, listing):
    assert ids(build(system_file(tmp_path, BEARER, listing), api, TOKEN="static-token")) == [r["id"] for r in RECORDS]


def test_a_next_link_to_another_host_is_refused_so_credentials_stay_home(tmp_path, api):
    spec = system_file(tmp_path, BEARER, "{path: /elsewhere, records: items, pagination: {type: next_url, next: next}}")
    with pytest.raises(FatalError, match="refusing to follow a next page link to 'attacker.example'"):
        ids(build(spec, api, TOKEN="static-token"))
    assert len(api.requests) == 1


PAGES = "{path: /pages, records: data, pagination: {type: page_number, page_param: page, size_param: per_page}}"


@pytest.mark.parametrize(("auth", "environ"), [
    ('{type: basic, username: "{USERNAME}", password: "{PASSWORD}"}', {"USERNAME": "user", "PASSWORD": "pa55word"}),
    (BEARER, {"TOKEN": "static-token"}),
    ('{type: api_key, in: query, name: api_key, value: "{API_KEY}"}', {"API_KEY": "query-key-123"}),
], ids=["basic", "bearer", "api_key_in_query"])
def test_each_auth_type_is_accepted_by_the_server(tmp_path, api, auth, environ):
    assert len(ids(build(system_file(tmp_path, auth, PAGES), api, **environ))) == len(RECORDS)


def test_a_query_api_key_is_masked_in_errors(tmp_path, api):
    spec = system_file(tmp_path, '{type: api_key, in: query, name: api_key, value: "{API_KEY}"}', PAGES)
    api.status_for_writes = 400
    (outcome,) = build(spec, api, API_KEY="query-key-123").load("item", [LoadItem("a", {"name": "A"}, {})])
    assert isinstance(outcome, FatalError) and "Status 400." in str(outcome)
    assert "query-key-123" not in str(outcome)


def test_oauth2_client_credentials_fetch_a_token_once_and_again_after_a_401(tmp_path, api):
    auth = ('{type: oauth2_client_credentials, token_url: "{URL}/oauth/token", client_id: "{CLIENT_ID}", '
            'client_secret: "{CLIENT_SECRET}"}')
    system = build(system_file(tmp_path, auth, PAGES), api, CLIENT_ID="client", CLIENT_SECRET="s3cret")
    assert len(ids(system)) == len(RECORDS)
    assert api.tokens_issued == ["token-0"]
    api.valid_tokens.clear()  # revoked: the next request gets a 401, and a new token once
    assert len(ids(system)) == len(RECORDS)
    assert api.tokens_issued == ["token-0", "token-1"]


def test_oauth2_bad_client_credentials_are_an_auth_error_without_the_secret(tmp_path, api):
    auth = ('{type: oauth2_client_credentials, token_url: "{URL}/oauth/token", client_id: "{CLIENT_ID}", '
            'client_secret: "{CLIENT_SECRET}"}')
    system = build(system_file(tmp_path, auth, PAGES), api, CLIENT_ID="client", CLIENT_SECRET="wrong-secret")
    with pytest.raises(AuthError, match="refused the client credentials") as caught:
        ids(system)
    assert "wrong-secret" not in str(caught.value)


def test_the_files_retryable_statuses_decide_what_is_retried(tmp_path, api):
    spec = system_file(tmp_path, BEARER, PAGES, "errors: {message: error.message, retryable: [409, 503]}")
    spec_default = system_file(tmp_path, BEARER, PAGES)
    item = LoadItem("a", {"name": "A"}, {})
    for status, retryable in ((409, True), (503, True), (500, False)):
        api.status_for_writes = status
        (outcome,) = build(spec, api, TOKEN="static-token").load("item", [item])
        assert isinstance(outcome, RetryableError) is retryable, status
        assert str(outcome).endswith(f": Status {status}.")
    api.status_for_writes = 409
    (outcome,) = build(spec_default, api, TOKEN="static-token").load("item", [item])
    assert isinstance(outcome, FatalError)


def test_an_upsert_puts_the_wrapped_body_at_the_keys_path(tmp_path, api):
    system = build(system_file(tmp_path, BEARER, PAGES), api, TOKEN="static-token")
    assert system.load("item", [LoadItem("sku/1", {"name": "A", "note": None}, {"color": "red"})]) == [None]
    assert api.written == {"sku/1": {"item": {"name": "A", "note": None, "color": "red"}}}
    assert api.requests[-1].raw_path == "/items/sku%2F1"


def test_a_pages_records_load_in_parallel_within_the_accounts_concurrency(tmp_path, api):
    api.faults = Faults(latency_s=0.1, max_concurrent=3)  # a fourth request at once would be refused
    system = build(system_file(tmp_path, BEARER, PAGES), api, TOKEN="static-token", CONCURRENCY="3")
    items = [LoadItem(f"sku-{n}", {"name": f"item {n}"}, {}) for n in range(9)]
    assert system.load("item", items) == [None] * 9
    assert api.written == {f"sku-{n}": {"item": {"name": f"item {n}"}} for n in range(9)}
    # The first record alone, the other eight on the system's three threads, each within the budget.
    assert 2 <= api.most_in_flight <= 3 and api.counts["over_concurrency"] == 0


def test_an_oauth2_token_is_fetched_again_shortly_before_it_expires():
    from pipeline.systems.declarative.auth import EXPIRY_MARGIN_S, ClientCredentialsAuth

    now, issued = [1000.0], []

    def fetch() -> dict:
        issued.append(f"t{len(issued)}")
        return {"access_token": issued[-1], "expires_in": 600}

    auth = ClientCredentialsAuth(fetch, clock=lambda: now[0])
    assert auth.token() == "t0"
    now[0] += 600 - EXPIRY_MARGIN_S - 1
    assert auth.token() == "t0"
    now[0] += 1
    assert auth.token() == "t1" and issued == ["t0", "t1"]


def test_a_cursor_can_be_a_plain_time_and_a_bad_one_names_itself():
    from pipeline.errors import ConfigError
    from pipeline.systems.declarative.cursor import Position

    assert Position("2024-05-01 10:00:00").start.isoformat() == "2024-05-01T10:00:00+00:00"
    with pytest.raises(ConfigError, match="Invalid cursor 'yesterday': expected the JSON cursor of a pull or a date"):
        Position("yesterday")


@pytest.mark.parametrize("module_name", ["pipeline.systems.declarative.templates", "pipeline.systems.declarative.load",
                                         "pipeline.systems.declarative.carried",
                                         "pipeline.systems.declarative.limits", "pipeline.systems.declarative.nested",
                                         "pipeline.testing.recording", "pipeline.systems.http",
                                         "pipeline.testing.harness"])
def test_the_docstring_examples_of_the_authors_kit_hold(module_name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module_name))
    assert (result.failed, result.attempted > 0) == (0, True)
