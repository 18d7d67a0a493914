"""Reading a declared entity: its list endpoint, page by page, with the incremental filter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pipeline.systems.base import Page
from pipeline.systems.declarative.client import DeclaredClient
from pipeline.systems.declarative.cursor import Position, format_time, parse_time
from pipeline.systems.declarative.paging import pages
from pipeline.systems.declarative.spec import EntitySpec


def extract(client: DeclaredClient, entity: EntitySpec, *, since: str | None, refs: Sequence[str] | None,
            page_size: int) -> Iterator[Page]:
    """Records changed since the cursor ``since`` (all when None, or when the API has no filter), or
    the records named by ``refs`` (natural keys)."""
    listing = entity.listing
    assert listing is not None, "checked by DeclaredSystem.extract"
    if refs:
        yield from _named(client, entity, list(refs), page_size)
        return
    incremental = listing.incremental
    position = Position(since if incremental else None)
    params = list(listing.params.items())
    if incremental and position.start is not None:
        params += [(incremental.param, format_time(position.start, incremental.format))]
        params += list(incremental.params.items())
    for records in pages(client, listing, params, page_size):
        fresh = [record for record in records
                 if position.is_new(_when(entity, record), str(entity.id.search(record)))]
        if fresh:
            yield Page(records=fresh, cursor=position.cursor() if incremental else None)


def _named(client: DeclaredClient, entity: EntitySpec, refs: list[str], page_size: int) -> Iterator[Page]:
    # Without a filter for keys, the whole listing is read; with a key path, only the named records
    # leave here (the pipeline filters by natural key again, after mapping).
    listing = entity.listing
    wanted = set(refs)
    queries = [list(listing.params.items())]
    if listing.refs is not None:
        named = listing.refs
        queries = [list(listing.params.items()) + [(named.param, named.separator.join(refs[i:i + named.per_request]))]
                   + list(named.params.items()) for i in range(0, len(refs), named.per_request)]
    for params in queries:
        for records in pages(client, listing, params, page_size):
            if entity.key is not None:
                records = [record for record in records if str(entity.key.search(record)) in wanted]
            if records:
                yield Page(records=records)


def _when(entity: EntitySpec, record: dict):
    return parse_time(entity.updated_at.search(record)) if entity.updated_at else None
