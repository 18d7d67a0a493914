"""The Magento 1 system: its connection settings, XML-RPC client, extracts and loads behind one class."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from urllib.parse import urlsplit

from pipeline.errors import UnknownNameError
from pipeline.systems.base import LoadItem, LoadOne, Page, load_each, loader_for
from pipeline.systems.concurrency import concurrency_budget
from pipeline.systems.magento1 import documents, load
from pipeline.systems.magento1.carried import CARRIES
from pipeline.systems.magento1.client import Magento1Client
from pipeline.systems.magento1.config import MAGENTO_TIME, Magento1Config
from pipeline.systems.magento1.extract import LISTINGS, Extractor
from pipeline.systems.magento1.faults import SYSTEM
from pipeline.systems.magento1.regions import RegionDirectory

#: What ``extract`` reads and ``load`` writes.
EXTRACTS = ("customer", "order", "product", "inventory")
LOADS = ("customer", "product", "inventory", "invoice", "shipment", "credit_memo")


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime(MAGENTO_TIME)


class Magento1System:
    """Magento 1 / OpenMage over its XML-RPC API (``login``, ``call``, ``endSession``).

    >>> system = Magento1System.from_env("shop", {
    ...     "PIPELINE_SHOP_URL": "https://shop.example.com/api/xmlrpc/", "PIPELINE_SHOP_API_USER": "sync",
    ...     "PIPELINE_SHOP_API_KEY": "k3y", "PIPELINE_BROKER_URL": "stub://"})
    >>> system.config.window_s, system.config.concurrency
    (86400, 4)

    Args:
        clock: now, as Magento's UTC ``YYYY-MM-DD HH:MM:SS`` (where incremental pulls stop).
    """

    #: entity -> canonical field -> where the load puts it (``carried``).
    CARRIES = CARRIES
    name = SYSTEM
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("customer_id", "order_id", "product_id", "entity_id", "increment_id")
    #: Personal-data fields ``connector record`` replaces, besides the usual ones (emails, names, streets).
    personal_data = ("middlename", "prefix", "suffix", "taxvat", "postcode", "fax", "customer_email",
                     "customer_firstname", "customer_middlename", "customer_lastname", "customer_taxvat",
                     "customer_dob", "remote_ip", "password_hash",
                     # An order list row's names (the sales grid's columns).
                     "billing_name", "shipping_name", "billing_firstname", "billing_lastname",
                     "shipping_firstname", "shipping_lastname")

    def __init__(self, config: Magento1Config, *, limiter: Callable[[], AbstractContextManager] | None = None,
                 clock: Callable[[], str] = utc_now) -> None:
        self.config = config
        self.client = Magento1Client(config.url, config.api_user, config.api_key, timeout_s=config.timeout_s,
                                     limiter=limiter, reads=config.reads)
        self.extractor = Extractor(self.client, config, clock)
        # Read once per country for as long as this connection lives (addresses' region_id).
        self.regions = RegionDirectory(self.client)

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> Magento1System:
        config = Magento1Config.from_env(connection, environ)
        # One budget per shop, whichever connection names it: the limit protects the server.
        # Host and port only: the URL's netloc may carry user:password@.
        parts = urlsplit(config.url)
        shop = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        return cls(config, limiter=concurrency_budget(f"magento1:{shop}", config.concurrency, environ))

    def check(self) -> str:
        """Open and close an API session: the user, key and URL work (``connector check``)."""
        self.client.sign_in()
        self.client.end_session()
        return f"signed in as API user {self.config.api_user!r}"

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        if entity == "inventory":
            return self.extractor.stock(refs, page_size)
        listing = LISTINGS.get(entity)
        if listing is None:
            raise UnknownNameError("Magento 1 entity to extract", entity, EXTRACTS)
        if refs:
            return self.extractor.named(listing, refs, page_size)
        return self.extractor.changes(listing, since=since, page_size=page_size)

    def recording_variables(self) -> dict[str, str]:
        """What a replay of ``connector record``'s cassette needs besides the connection's variables: the
        recorded pull's end, so that a replay at any later time asks for the same windows."""
        return {"END": self.extractor.pulled_until} if self.extractor.pulled_until else {}

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        return load_each(loader_for("Magento 1", entity, self._loaders()), items)

    def close(self) -> None:
        """End the API session (Magento would expire it after its timeout anyway)."""
        self.client.end_session()

    def _loaders(self) -> dict[str, LoadOne]:
        client, regions, website_id = self.client, self.regions, self.config.website_id
        # Sales documents (invoice, shipment, credit memo) share one loader, told the kind.
        documented = {entity: partial(documents.load_document, client, kind)
                      for entity, kind in documents.KINDS.items()}
        return {"customer": lambda item: load.load_customer(client, regions, item, website_id),
                "product": partial(load.load_product, client),
                "inventory": partial(load.load_stock_item, client), **documented}

