"""Reading entities out of Magento 2, page by page, as Magento returns them.

Incremental entities are read by ``updated_at`` (see ``cursor``), sorted by ``updated_at`` then
entity id so that pages are stable. Stock has no change time in Magento, so ``inventory`` is read
in full each time, from MSI source items or from the legacy stock items.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pipeline.errors import NotFoundError
from pipeline.systems.base import Page
from pipeline.systems.magento2.client import Magento2Client
from pipeline.systems.magento2.cursor import Cursor, Window
from pipeline.systems.magento2.search import SearchCriteria, chunks, pages

#: Natural keys per ``in`` filter: they travel in the URL.
REFS_PER_REQUEST = 50


@dataclass(frozen=True)
class Listing:
    """A getList endpoint and the names of its fields."""

    path: str
    #: The record's id, as returned.
    id_field: str
    #: The same id as a searchCriteria field (EAV collections call it entity_id).
    sort_field: str
    #: The natural key that ``refs`` name.
    key_field: str


LISTINGS = {
    "customer": Listing("/V1/customers/search", "id", "entity_id", "email"),
    "order": Listing("/V1/orders", "entity_id", "entity_id", "increment_id"),
    "product": Listing("/V1/products", "id", "entity_id", "sku"),
    "invoice": Listing("/V1/invoices", "entity_id", "entity_id", "increment_id"),
    "shipment": Listing("/V1/shipments", "entity_id", "entity_id", "increment_id"),
    "credit_memo": Listing("/V1/creditmemos", "entity_id", "entity_id", "increment_id"),
}


def extract_changes(client: Magento2Client, listing: Listing, *, since: str | None,
                    refs: Sequence[str] | None, page_size: int, lookback_s: int) -> Iterator[Page]:
    """Records changed since the cursor ``since`` (all when None), each version delivered once."""
    window = Window(Cursor.parse(since), lookback_s)
    criteria = SearchCriteria(page_size=page_size)
    if window.start:
        criteria = criteria.where("updated_at", window.start, "gteq")
    criteria = criteria.order_by("updated_at").order_by(listing.sort_field)
    for query in _with_refs(criteria, listing.key_field, refs):
        for items in pages(client.get, listing.path, query):
            fresh = [record for record in items if window.is_new(record, listing.id_field)]
            if fresh:
                yield Page(records=fresh, cursor=window.cursor())


def extract_source_items(client: Magento2Client, *, refs: Sequence[str] | None,
                         page_size: int) -> Iterator[Page]:
    """MSI source items (``sku``, ``source_code``, ``quantity``, ``status``): all, or the refs' SKUs."""
    criteria = SearchCriteria(page_size=page_size).order_by("sku").order_by("source_code")
    for query in _with_refs(criteria, "sku", _skus(refs)):
        for items in pages(client.get, "/V1/inventory/source-items", query):
            yield Page(records=items)


def extract_stock_items(client: Magento2Client, *, refs: Sequence[str] | None,
                        page_size: int) -> Iterator[Page]:
    """Legacy stock items, each with its product's ``sku`` added (a stock item only names its product id)."""
    if refs:
        found = [item for item in (_stock_item(client, sku) for sku in _skus(refs)) if item is not None]
        for start in range(0, len(found), page_size):
            yield Page(records=found[start:start + page_size])
        return
    criteria = SearchCriteria(page_size=page_size).order_by("entity_id")
    for products in pages(client.get, "/V1/products", criteria):
        records = []
        for product in products:
            stock = (product.get("extension_attributes") or {}).get("stock_item")
            records.append({"sku": product["sku"], **stock} if stock else _stock_item(client, product["sku"]))
        yield Page(records=[record for record in records if record is not None])


def _stock_item(client: Magento2Client, sku: str) -> dict | None:
    try:
        return {"sku": sku, **client.get(f"/V1/stockItems/{quote(sku, safe='')}")}
    except NotFoundError:
        return None


def _skus(refs: Sequence[str] | None) -> list[str] | None:
    # Inventory keys read "sku@source_code"; Magento filters by SKU.
    return sorted({ref.split("@", 1)[0] for ref in refs}) if refs else None


def _with_refs(criteria: SearchCriteria, key_field: str,
               refs: Sequence[str] | None) -> Iterator[SearchCriteria]:
    if not refs:
        yield criteria
        return
    for chunk in chunks(list(refs), REFS_PER_REQUEST):
        yield criteria.where(key_field, chunk, "in")
