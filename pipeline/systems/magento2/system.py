"""The Magento 2 system: its connection settings, client, extracts and loads behind one class."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from urllib.parse import urlsplit

import requests

from pipeline.errors import UnknownNameError
from pipeline.systems.base import LoadItem, LoadOne, Page, load_each, loader_for
from pipeline.systems.concurrency import concurrency_budget
from pipeline.systems.magento2 import documents, extract, load
from pipeline.systems.magento2.auth import AdminTokenAuth, BearerAuth, OAuthCredentials, OAuthSigner
from pipeline.systems.magento2.bulk import BulkRunner
from pipeline.systems.magento2.carried import CARRIES
from pipeline.systems.magento2.client import SYSTEM, Magento2Client
from pipeline.systems.magento2.config import Magento2Config

#: What ``extract`` reads and ``load`` writes.
EXTRACTS = ("customer", "order", "product", "inventory", "invoice", "shipment", "credit_memo")
LOADS = ("customer", "product", "inventory", "invoice", "shipment", "credit_memo")


class Magento2System:
    """Magento 2 / Adobe Commerce over its admin REST API (V1).

    >>> system = Magento2System.from_env("shop", {
    ...     "PIPELINE_SHOP_URL": "https://shop.example.com/rest/default", "PIPELINE_SHOP_TOKEN": "t0ken",
    ...     "PIPELINE_BROKER_URL": "stub://"})
    >>> system.config.auth, system.config.inventory_api
    ('token', 'msi')
    """

    #: entity -> canonical field -> where the load puts it (``carried``).
    CARRIES = CARRIES
    name = SYSTEM
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("entity_id", "id")

    def __init__(self, config: Magento2Config, *, limiter: Callable[[], AbstractContextManager] | None = None,
                 session: requests.Session | None = None) -> None:
        self.config = config
        self.client = Magento2Client(config.base_url, limiter=limiter, session=session, reads=config.reads)
        self.client.signer = _signer(config, self.client)
        self.regions = load.RegionDirectory(self.client)
        self.bulks = BulkRunner(self.client, config.bulk_poll_s, config.bulk_timeout_s)

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> Magento2System:
        config = Magento2Config.from_env(connection, environ)
        # One budget per shop, whichever connection names it: the limit protects the server.
        # Host and port only: the URL's netloc may carry user:password@.
        parts = urlsplit(config.base_url)
        shop = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        budget = concurrency_budget(f"magento2:{shop}", config.concurrency, environ)
        return cls(config, limiter=budget)

    def check(self) -> str:
        """Reach the shop with one cheap authenticated read (``connector check``)."""
        self.client.get("/V1/customers/search", [("searchCriteria[pageSize]", "1"),
                                                 ("searchCriteria[currentPage]", "1")])
        return f"signed in ({self.config.auth}) and read one page of customers"

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        size = self.config.page_size or page_size
        if entity == "inventory":
            if self.config.inventory_api == "legacy":
                return extract.extract_stock_items(self.client, refs=refs, page_size=size)
            return extract.extract_source_items(self.client, refs=refs, page_size=size)
        listing = extract.LISTINGS.get(entity)
        if listing is None:
            raise UnknownNameError("Magento 2 entity to extract", entity, EXTRACTS)
        return extract.extract_changes(self.client, listing, since=since, refs=refs, page_size=size,
                                       lookback_s=self.config.lookback_s)

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        """Upsert each item; one outcome per item. Big product and MSI stock loads go in one bulk.

        Raises:
            RetryableError: a bulk could not be submitted (nothing is known to have happened):
                the load is to be retried whole, which only repeats upserts.
        """
        if self._in_bulk(entity, items):
            outcomes = load.load_in_bulk(self.bulks, entity, items)
            if outcomes is not None:
                return outcomes
        if entity == "inventory" and self.config.inventory_api == "msi":
            return load.load_source_items(self.client, items)
        return load_each(loader_for("Magento 2", entity, self._loaders()), items)

    def _in_bulk(self, entity: str, items: Sequence[LoadItem]) -> bool:
        threshold = self.config.bulk_threshold
        # The legacy stock API has no call that takes many stock items: it stays one by one.
        bulky = entity == "product" or (entity == "inventory" and self.config.inventory_api == "msi")
        return bulky and 0 < threshold < len(items)

    def _loaders(self) -> dict[str, LoadOne]:
        client = self.client
        # Sales documents (invoice, shipment, credit memo) share one loader, told the kind.
        documented = {entity: partial(documents.load_document, client, kind)
                      for entity, kind in documents.KINDS.items()}
        regions, website_id = self.regions, self.config.website_id
        return {"customer": lambda item: load.load_customer(client, regions, item, website_id),
                "product": partial(load.load_product, client),
                "inventory": partial(load.load_stock_item, client), **documented}



def _signer(config: Magento2Config, client: Magento2Client):
    secrets = config.secrets
    if config.auth == "token":
        return BearerAuth(secrets["TOKEN"])
    if config.auth == "admin":
        return AdminTokenAuth(lambda: client.admin_token(secrets["USERNAME"], secrets["PASSWORD"]))
    return OAuthSigner(OAuthCredentials(secrets["CONSUMER_KEY"], secrets["CONSUMER_SECRET"],
                                        secrets["ACCESS_TOKEN"], secrets["ACCESS_TOKEN_SECRET"]))
