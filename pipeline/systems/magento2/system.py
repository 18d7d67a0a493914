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
from pipeline.systems.magento2 import documents, extract, lifecycle, load, subscriptions
from pipeline.systems.magento2.auth import AdminTokenAuth, BearerAuth, OAuthCredentials, OAuthSigner
from pipeline.systems.magento2.bulk import BulkRunner
from pipeline.systems.magento2.carried import CARRIES
from pipeline.systems.magento2.client import SYSTEM, Magento2Client
from pipeline.systems.magento2.config import Magento2Config

#: What ``extract`` reads and ``load`` writes.
EXTRACTS = ("customer", "order", "product", "inventory", "invoice", "shipment", "credit_memo")
LOADS = ("customer", "product", "inventory", "invoice", "shipment", "credit_memo", "subscription")


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
    #: Its loads send their requests through ``systems.http.HttpClient``: ``preview --request`` can show them.
    http_loads = True
    #: Entity -> what ``apply_missing`` can do to its records missing from a source.
    missing_actions = lifecycle.MISSING_ACTIONS
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("entity_id", "id")
    #: Personal-data fields ``connector record`` replaces, besides the usual ones (emails, names, streets).
    personal_data = ("middlename", "taxvat", "postcode", "customer_email", "customer_firstname",
                     "customer_lastname", "customer_taxvat", "customer_dob")

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
        if entity == "product" and any(item.data.get("status") == "disabled" for item in items):
            # A product being disabled is read first, to tell the event from a plain update:
            # a bulk cannot, so those go one by one and the rest keep their bulk.
            return self._load_disabling(items)
        if self._in_bulk(entity, items):
            outcomes = load.load_in_bulk(self.bulks, entity, items)
            if outcomes is not None:
                return outcomes
        if entity == "inventory" and self.config.inventory_api == "msi":
            return load.load_source_items(self.client, items)
        return load_each(loader_for("Magento 2", entity, self._loaders()), items)

    def apply_missing(self, entity: str, keys: Sequence[str], action: str) -> list:
        """Delete or disable records a full run no longer found in the source; one outcome per key."""
        zero = self.config.disabled_stock == "zero"
        if entity == "product":
            remove = partial(lifecycle.remove_product, self.client, action=action, zero_stock=zero,
                             inventory_api=self.config.inventory_api)
        else:
            remove = partial(lifecycle.remove_customer, self.client, website_id=self.config.website_id)
        return load_each(lambda item: remove(item.key), [LoadItem(key, {}, {}) for key in keys])

    def _load_disabling(self, items: Sequence[LoadItem]) -> list:
        disabling = [index for index, item in enumerate(items) if item.data.get("status") == "disabled"]
        others = [index for index, item in enumerate(items) if item.data.get("status") != "disabled"]
        outcomes: list = [None] * len(items)
        if others:
            for index, outcome in zip(others, self.load("product", [items[i] for i in others]), strict=True):
                outcomes[index] = outcome
        loader = partial(lifecycle.load_product, self.client, zero_stock=self.config.disabled_stock == "zero",
                         inventory_api=self.config.inventory_api)
        for index, outcome in zip(disabling, load_each(loader, [items[i] for i in disabling]), strict=True):
            outcomes[index] = outcome
        return outcomes

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
                "inventory": partial(load.load_stock_item, client), **documented,
                "subscription": lambda item: subscriptions.load_subscription(client, item, website_id)}



def _signer(config: Magento2Config, client: Magento2Client):
    secrets = config.secrets
    if config.auth == "token":
        return BearerAuth(secrets["TOKEN"])
    if config.auth == "admin":
        return AdminTokenAuth(lambda: client.admin_token(secrets["USERNAME"], secrets["PASSWORD"]))
    return OAuthSigner(OAuthCredentials(secrets["CONSUMER_KEY"], secrets["CONSUMER_SECRET"],
                                        secrets["ACCESS_TOKEN"], secrets["ACCESS_TOKEN_SECRET"]))
