"""A generic JSON REST system, for tools whose API is "list with paging, PUT by key".

Contract (what a tool must offer, or what a small adapter in front of it offers)::

    GET  <url>/<entity>?limit=N[&updated_after=T&after_id=I]   -> {"records": [...], "has_more": bool}
         records ordered by (updated_at, id), each with both fields
    PUT  <url>/<entity>/<key>   body: the record               -> 200 or 201 (an upsert: idempotent)

Auth is ``Authorization: Bearer <PIPELINE_<CONNECTION>_TOKEN>``. Errors follow HTTP: 429 and 5xx
are retried (with Retry-After), other 4xx fail the record. ``pipeline.testing.rest`` emulates it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import quote

import requests

from pipeline.errors import ConfigError
from pipeline.systems.base import LoadItem, Page, connection_env, load_each
from pipeline.systems.http import HttpClient


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or "no details"
    return str(body.get("message") or body.get("error") or response.reason) if isinstance(body, dict) else "error"


class RestSystem:
    name = "rest"
    #: Its loads send their requests through ``systems.http.HttpClient``: ``preview --request`` can show them.
    http_loads = True
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("id",)

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> RestSystem:
        url = connection_env(connection, environ, "URL")
        token = connection_env(connection, environ, "TOKEN")
        missing = [f"PIPELINE_{connection.upper()}_{name}" for name, value in (("URL", url), ("TOKEN", token))
                   if not value]
        if missing:
            raise ConfigError(f"The rest connection {connection!r} needs {', '.join(missing)}.")

        def sign(request: requests.PreparedRequest) -> None:
            request.headers["Authorization"] = f"Bearer {token}"

        return cls(HttpClient(f"rest:{connection}", url, parse_message=_message, sign=sign))

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        position = json.loads(since) if since else None
        while True:
            params: dict[str, object] = {"limit": page_size}
            if position:
                params.update(updated_after=position["updated_at"], after_id=position["id"])
            body = self.client.request("GET", f"/{quote(entity)}", params=params).json()
            records = body["records"]
            if records:
                last = records[-1]
                position = {"updated_at": last["updated_at"], "id": last["id"]}
            yield Page(records=records, cursor=json.dumps(position) if position else since)
            if not body.get("has_more") or not records:
                return

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        def put(item: LoadItem) -> None:
            self.client.request("PUT", f"/{quote(entity)}/{quote(item.key, safe='')}",
                                json={**item.data, **item.native})

        return load_each(put, items)
