"""Walking a list endpoint page by page, the five ways APIs page.

Each paginator takes the first request (path and query) and yields each page's records until the
API says there are no more: ``page_number`` and ``offset`` stop on a short or empty page, on the
``total`` the body gives, or on a page equal to the one before (Magento answers the last page
again past the end); ``cursor`` stops when the body has no next cursor; ``link_header`` and
``next_url`` stop when there is no next link. Next links are followed only under the system's
base URL: a link elsewhere would carry our credentials to another host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from pipeline.errors import FatalError
from pipeline.systems.declarative.client import DeclaredClient, json_body
from pipeline.systems.declarative.spec import Listing

#: One ``<url>; rel="next"`` of a Link header (RFC 8288); rel may be unquoted or list several.
_LINK = re.compile(r'<([^>]*)>\s*;[^,]*?\brel="?([^",;]*)"?')


def pages(client: DeclaredClient, listing: Listing, params: list[tuple[str, str]],
          page_size: int) -> Iterator[list[dict]]:
    """Yield the records of each page of ``listing``, first request's query ``params``."""
    paging = listing.pagination
    if paging.size_param:
        params = params + [(paging.size_param, str(page_size))]
    path: str | None = listing.path
    number, offset, previous, read = paging.start, 0, None, 0
    query = list(params)
    while path is not None:
        if paging.type == "page_number":
            query = params + [(paging.page_param, str(number))]
        elif paging.type == "offset":
            query = params + [(paging.offset_param, str(offset))]
        response = client.get(path, query)
        body = json_body(response)
        records = _records(listing, body, path)
        if records == previous and records:
            return
        if records:
            yield records
        read += len(records)
        path, query = _next(client, listing, response, body, path, params, records, page_size, read)
        number, offset, previous = number + 1, offset + len(records), records


def _next(client: DeclaredClient, listing: Listing, response, body, path: str, params: list,
          records: list, page_size: int, read: int) -> tuple[str | None, list]:
    paging = listing.pagination
    kind = paging.type
    if kind in ("page_number", "offset"):
        total = paging.total.search(body) if paging.total else None
        done = not records or (total is not None and read >= int(total)) or (
            total is None and paging.size_param and len(records) < page_size)
        return (None, []) if done else (path, params)
    if kind == "cursor":
        cursor = paging.cursor.search(body)
        return (None, []) if cursor in (None, "") or not records else (
            path, [p for p in params if p[0] != paging.cursor_param] + [(paging.cursor_param, str(cursor))])
    if kind == "link_header":
        return _follow(client, _link_next(response.headers.get("Link", "")))
    if kind == "next_url":
        return _follow(client, paging.next.search(body))
    return None, []


def _follow(client: DeclaredClient, url: object) -> tuple[str | None, list]:
    if not url:
        return None, []
    url = str(url)
    base = client.base_url
    if url.startswith("/") and not url.startswith("//"):
        # A path on the same host: keep only what follows the base URL's own path.
        base_path = urlsplit(base).path.rstrip("/")
        if not url.startswith(base_path):
            raise FatalError(f"{client.system}: the next page link {urlsplit(url).path!r} is outside the base "
                             f"URL's path {base_path!r}.", system=client.system)
        return url[len(base_path):], []
    if not url.startswith(base + "/") and not url.startswith(base + "?"):
        # The URL is not shown: it could carry a token in its query.
        raise FatalError(f"{client.system}: refusing to follow a next page link to {urlsplit(url).netloc!r}, "
                         "outside the system's base URL (it would receive our credentials).", system=client.system)
    # The link's query is used as it is (Shopify's page_info cannot be combined with other filters).
    return url[len(base):], []


def _link_next(header: str) -> str | None:
    for url, rels in _LINK.findall(header):
        if "next" in rels.split():
            return url
    return None


def _records(listing: Listing, body: object, path: str) -> list[dict]:
    found = listing.records.search(body)
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(record, dict) for record in found):
        raise FatalError(f"The records path {listing.records.expression!r} of {listing.path} did not give a list "
                         "of objects: check list.records in the system file.")
    return found
