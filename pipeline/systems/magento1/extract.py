"""Reading customers, orders, products and stock out of Magento 1, window by window.

* customer: ``customer.list`` rows (the customer attributes the API role may read), each with
  its ``addresses`` from ``customer_address.list`` (fetched in parallel). An address edited on its
  own does not change the customer's ``updated_at``: it travels with the next change of its customer;
* order: ``sales_order.list`` rows, each completed by ``sales_order.info`` (items, addresses,
  payment, status history), fetched in parallel up to the connection's concurrency;
* product: ``catalog_product.list`` then ``catalog_product.info`` per product: the list has no
  ``updated_at`` nor prices, so products are compared and delivered as ``info`` returns them;
* inventory: ``cataloginventory_stock_item.list`` for the SKUs (all products' when no refs are
  given): stock has no change time in Magento 1, so it is read in full each time.

Records come out typed (``values``). Refs (natural keys) are looked up with ``in`` filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pipeline.errors import NotFoundError
from pipeline.systems.base import Page
from pipeline.systems.magento1 import values, windows
from pipeline.systems.magento1.client import Magento1Client
from pipeline.systems.magento1.config import Magento1Config

#: Natural keys per ``in`` filter, and product ids per stock list call (both travel in one request).
REFS_PER_CALL = 100
STOCK_PER_CALL = 200


@dataclass(frozen=True)
class Listing:
    """A list call, its record id, its natural key and the info call that completes a row."""

    kind: str
    list_path: str
    id_field: str
    key_field: str
    info_path: str | None = None
    #: The row field ``info`` takes (an increment id, a product id), and the arguments after it.
    info_arg: str = ""
    info_extra: tuple = ()
    #: Complete rows before comparing them with the cursor (the list rows lack ``updated_at``).
    info_first: bool = False
    #: A list call per row whose result is added to the row (``customer_address.list`` -> ``addresses``).
    sublist: tuple[str, str] | None = None


LISTINGS = {
    "customer": Listing("customer", "customer.list", "customer_id", "email",
                        sublist=("customer_address.list", "addresses")),
    "order": Listing("order", "sales_order.list", "order_id", "increment_id", "sales_order.info",
                     "increment_id"),
    # identifierType "id": a numeric string is otherwise tried as a SKU first.
    "product": Listing("product", "catalog_product.list", "product_id", "sku", "catalog_product.info",
                       "product_id", (None, None, "id"), info_first=True),
}


class Extractor:
    """One system's reads: its client, its settings, and the clock that says where ``now`` is."""

    def __init__(self, client: Magento1Client, config: Magento1Config, now: Callable[[], str]) -> None:
        self.client, self.config, self.now = client, config, now
        #: Where the last incremental pull stopped (its ``now``): a recording's replay stops there too.
        self.pulled_until: str | None = None

    def changes(self, listing: Listing, *, since: str | None, page_size: int) -> Iterator[Page]:
        """Records changed since the cursor ``since`` (all when None), window by window."""
        def fetch(lower: str, upper: str) -> list[dict]:
            rows = self.client.call(listing.list_path, {"updated_at": {"from": lower, "to": upper}}) or []
            return self.complete(listing, rows) if listing.info_first else rows

        config = self.config
        previous = since
        self.pulled_until = config.end or self.now()
        for fresh, cursor in windows.pull(fetch, since, id_field=listing.id_field, now=self.pulled_until,
                                          start=config.start, window_s=config.window_s,
                                          lookback_s=config.lookback_s, target=page_size):
            records = fresh if listing.info_first else self.complete(listing, fresh)
            yield from _pages([values.convert(record, listing.kind) for record in records], page_size,
                              previous, cursor)
            previous = cursor

    def named(self, listing: Listing, refs: Sequence[str], page_size: int) -> Iterator[Page]:
        """The records whose natural keys are ``refs`` (the cursor stays where it is)."""
        for chunk in _chunks(sorted(set(refs)), REFS_PER_CALL):
            rows = self.client.call(listing.list_path, {listing.key_field: {"in": chunk}}) or []
            records = [values.convert(record, listing.kind) for record in self.complete(listing, rows)]
            yield from _pages(records, page_size, None, None)

    def complete(self, listing: Listing, rows: list[dict]) -> list[dict]:
        """Each row as its info call returns it (or with its sublist), fetched in parallel; rows
        deleted meanwhile are left out."""
        if (listing.info_path is None and listing.sublist is None) or not rows:
            return list(rows)

        def one(row: dict) -> dict | None:
            try:
                if listing.info_path is not None:
                    key = str(row[listing.info_arg])
                    return self.client.call(listing.info_path, key, *listing.info_extra)
                path, key = listing.sublist
                return {**row, key: self.client.call(path, str(row[listing.id_field])) or []}
            except NotFoundError:
                return None

        with ThreadPoolExecutor(max_workers=min(len(rows), self.config.concurrency),
                                thread_name_prefix="magento1-info") as pool:
            return [record for record in pool.map(one, rows) if record is not None]

    def stock(self, refs: Sequence[str] | None, page_size: int) -> Iterator[Page]:
        """Stock items of the refs' SKUs (``sku@source`` keys), or of every product."""
        if refs:
            products = sorted({ref.split("@", 1)[0] for ref in refs})
        else:
            products = [str(row["product_id"]) for row in self.client.call("catalog_product.list") or []]
        for chunk in _chunks(products, STOCK_PER_CALL):
            rows = self.client.call("cataloginventory_stock_item.list", chunk) or []
            yield from _pages([values.convert(row, "stock") for row in rows], page_size, None, None)


def _pages(records: list[dict], size: int, previous: str | None, cursor: str | None) -> Iterator[Page]:
    # Only the last page of a window carries its cursor: the earlier ones resume from the window before.
    if not records:
        yield Page(records=[], cursor=cursor)
        return
    chunks = list(_chunks(records, size))
    for number, chunk in enumerate(chunks, start=1):
        yield Page(records=chunk, cursor=cursor if number == len(chunks) else previous)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
