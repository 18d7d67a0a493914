"""The Mailchimp system: audience members (entity ``customer``), store products and store orders."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from urllib.parse import quote

from pipeline.errors import ConfigError, NotFoundError, PipelineError, RetryableError, UnknownNameError
from pipeline.systems.base import LoadItem, Page, load_each
from pipeline.systems.concurrency import concurrency_budget
from pipeline.systems.lifecycle import Applied
from pipeline.systems.mailchimp import email_changes, extract, lifecycle, operations, payloads
from pipeline.systems.mailchimp.batches import BatchRunner
from pipeline.systems.mailchimp.carried import CARRIES
from pipeline.systems.mailchimp.client import MailchimpClient
from pipeline.systems.mailchimp.config import MailchimpConfig
from pipeline.systems.mailchimp.load import Catalog, Sender, known_line_ids
from pipeline.systems.mailchimp.problems import SYSTEM

#: What ``extract`` reads and ``load`` writes.
#: ``subscription`` reads the same members, for what the shop needs of them: still subscribed or not.
EXTRACTS = ("customer", "subscription")
LOADS = ("customer", "order", "product")


class MailchimpSystem:
    """Mailchimp Marketing API v3: upserts that are safe to repeat, and batches for big loads.

    * ``customer``: audience members, ``PUT`` by subscriber hash (then their tags), a member whose
      customer's email changed moved to the new address first (``email_changes``); read back
      incrementally by ``last_changed``;
    * ``product``, ``order``: the store's, ``PATCH``, or ``POST`` when Mailchimp answers 404; an
      order's customer rides inside the order, its missing products are created first, and the
      lines of an order that exists change through the order-line endpoints (a line the order
      no longer has is deleted there).

    >>> system = MailchimpSystem.from_env("mailchimp", {
    ...     "PIPELINE_MAILCHIMP_API_KEY": "0123456789abcdef0123456789abcdef-us6",
    ...     "PIPELINE_BROKER_URL": "stub://"})
    >>> system.config.base_url, system.config.status_if_new
    ('https://us6.api.mailchimp.com/3.0', 'pending')
    """

    #: entity -> canonical field -> where the load puts it (``carried``).
    CARRIES = CARRIES
    name = SYSTEM
    #: Its loads send their requests through ``systems.http.HttpClient``: ``preview --request`` can show them.
    http_loads = True
    #: Entity -> what ``apply_missing`` can do to its records gone from the source.
    missing_actions = lifecycle.MISSING_ACTIONS
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("id",)
    #: Entities whose load needs the key sent before for the same source record: an anonymised
    #: customer's member is the one of the address sent before, and a customer whose email changed
    #: moves that member to the new address (``pipeline.flow.previous_keys``).
    previous_keys_of = ("customer",)
    #: Personal-data fields ``connector record`` replaces, besides the usual ones (emails, names, streets).
    #: A member's ``id`` is the MD5 of its email: as telling as the email.
    personal_data = ("email_address", "fname", "lname", "addr1", "addr2", "zip", "full_name", "ip_signup", "ip_opt",
                     "id", "unique_email_id", "contact_id")
    #: Query parameters taken from the clock (the pull's upper bound): a replay does not match on them.
    clock_params = ("before_last_changed",)

    def __init__(self, config: MailchimpConfig, *,
                 limiter: Callable[[], AbstractContextManager] | None = None) -> None:
        self.config = config
        self.client = MailchimpClient(config.base_url, config.api_key, limiter=limiter,
                                      pool_size=config.concurrency)
        self.batches = BatchRunner(self.client, config.batch_poll_s, config.batch_timeout_s)
        self.sender = Sender(self.client, self.batches, threshold=config.batch_threshold,
                             parallel=config.concurrency)
        self._checked: set[str] = set()
        self._catalog: Catalog | None = None

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> MailchimpSystem:
        config = MailchimpConfig.from_env(connection, environ)
        # Mailchimp's limit is per user, whichever connection or list sends: keyed by the key, hashed
        # so that no secret becomes a Redis key name.
        account = hashlib.sha256(config.api_key.encode()).hexdigest()[:16]
        budget = concurrency_budget(f"mailchimp:{config.data_center}:{account}", config.concurrency, environ)
        return cls(config, limiter=budget)

    def check(self) -> str:
        """Reach the account with one cheap authenticated read of its audience or store (``connector check``)."""
        setting = "list_id" if self.config.list_id or not self.config.store_id else "store_id"
        self._ready(setting)
        return f"authenticated and found the {'audience' if setting == 'list_id' else 'e-commerce store'}"

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        if entity not in EXTRACTS:
            raise UnknownNameError("Mailchimp entity to extract", entity, EXTRACTS)
        list_id = self._ready("list_id")
        return extract.extract_members(self.client, list_id, since=since, refs=refs, page_size=page_size,
                                       lookback_s=self.config.lookback_s)

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        """Upsert each item; one outcome per item. Above the threshold, through one batch per phase.

        Raises:
            RetryableError: nothing of the load is known to have happened (the audience check, or a
                batch's submission, wait or results failed): the load is to be retried whole,
                which only repeats upserts.
        """
        if entity not in LOADS:
            raise UnknownNameError("Mailchimp entity to load", entity, LOADS)
        try:
            target = self._ready("list_id" if entity == "customer" else "store_id")
        except RetryableError:
            raise  # nothing was sent: the load is retried whole, not record by record
        except PipelineError as error:
            return [error] * len(items)
        outcomes: list[Exception | None] = [None] * len(items)
        # An order's lines removed in the shop are deleted in Mailchimp: which ones it has is read first.
        numbers = [str(item.data.get("order_number") or item.key) for item in items]
        known = (known_line_ids(self.client, target, numbers, parallel=self.config.concurrency)
                 if entity == "order" else {})
        chains = {}
        for index, item in enumerate(items):
            if entity == "customer" and item.data.get("anonymised"):
                outcomes[index] = self._erase_anonymised(target, item)
                continue
            try:
                if entity == "customer" and item.previous_key:
                    email_changes.move_member(self.client, target, item.previous_key, item.data["email"])
                chains[index] = self._chain(entity, target, item, known.get(numbers[index]))
            except PipelineError as error:
                outcomes[index] = error
        for index, outcome in self.sender.run(chains, [item.key for item in items]).items():
            outcomes[index] = outcome
        if entity == "customer":
            self._unsubscribe(target, items, outcomes)
        return outcomes

    def _erase_anonymised(self, list_id: str, item: LoadItem) -> Exception | Applied:
        """An anonymised customer's member deleted for good: found by the address sent before, if any."""
        email = item.previous_key or item.data["email"]
        try:
            return lifecycle.remove_member(self.client, list_id, email, permanent=True)
        except PipelineError as error:
            return error

    def _unsubscribe(self, list_id: str, items: Sequence[LoadItem], outcomes: list) -> None:
        """Members upserted whose customer left the newsletter in the shop: unsubscribed, one by one."""
        leaving = [index for index, item in enumerate(items)
                   if outcomes[index] is None and item.data.get("is_subscribed") is False]
        results = load_each(lambda item: lifecycle.unsubscribe(self.client, list_id, item.data["email"]),
                            [items[index] for index in leaving])
        for index, result in zip(leaving, results, strict=True):
            outcomes[index] = result

    def apply_missing(self, entity: str, keys: Sequence[str], action: str) -> list:
        """Archive (or permanently delete) the members of customers gone from the shop; one outcome each."""
        try:
            list_id = self._ready("list_id")
        except RetryableError:
            raise
        except PipelineError as error:
            return [error] * len(keys)
        permanent = action == "erase" or self.config.delete_mode == "permanent"
        return load_each(lambda item: lifecycle.remove_member(self.client, list_id, item.key, permanent),
                         [LoadItem(key, {}, {}) for key in keys])

    def _chain(self, entity: str, target: str, item: LoadItem,
               known_lines: set[str] | Exception | None = None) -> operations.Operation:
        if entity == "customer":
            body, tags = payloads.member(item, self.config.status_if_new)
            return operations.member_upsert(target, body, tags)
        if entity == "product":
            return operations.product_upsert(target, payloads.product(item))
        if isinstance(known_lines, Exception):
            raise known_lines
        body = payloads.order(item)
        self._products(target).ensure(item.data.get("lines") or [])
        kept = {line["id"] for line in body["lines"]}
        stale = sorted((known_lines or set()) - kept)
        return operations.order_upsert(target, body, payloads.order_changes(body), stale)

    def _products(self, store_id: str) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(self.client, store_id)
        return self._catalog

    def _ready(self, setting: str) -> str:
        """The audience or store id, checked once per process to exist (one clear error, not N 404s)."""
        value = self.config.require(setting)
        if setting in self._checked:
            return value
        kind, path = (("audience", f"/lists/{quote(value, safe='')}") if setting == "list_id"
                      else ("e-commerce store", f"/ecommerce/stores/{quote(value, safe='')}"))
        try:
            self.client.get(path)
        except NotFoundError:
            raise ConfigError(f"The Mailchimp {kind} {value!r} (PIPELINE_{self.config.connection.upper()}_"
                              f"{setting.upper()}) does not exist in the account of data center "
                              f"{self.config.data_center}.") from None
        self._checked.add(setting)
        return value
