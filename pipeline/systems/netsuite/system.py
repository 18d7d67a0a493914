"""The NetSuite system: extract entities through SuiteQL change feeds, load customers and orders."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor


from pipeline.systems.base import LoadItem, Page
from pipeline.systems.concurrency import concurrency_budget
from pipeline.systems.http import HttpClient, make_session
from pipeline.systems.netsuite.auth import realm_of, token_signer
from pipeline.systems.netsuite.carried import CARRIES
from pipeline.systems.netsuite.client import NetSuiteClient, error_message
from pipeline.systems.netsuite.config import NetSuiteSettings
from pipeline.systems.netsuite.load import Loader
from pipeline.systems.netsuite.origins import add_order_numbers
from pipeline.systems.netsuite.records import Source, location_rows, source_for
from pipeline.systems.netsuite.suiteql import changed_ids


class NetSuiteSystem:
    """NetSuite SuiteTalk REST, with token-based authentication.

    Records come out as NetSuite returns them (camelCase, sublists expanded); fulfillments,
    invoices and credit memos also carry their sales order's ``createdFromExternalId`` and
    ``createdFromTranId`` (``origins``); inventory comes out as one row per item location.
    Every request holds a slot of the account's concurrency budget, shared by all worker
    processes, so our own traffic never causes NetSuite's 429s; reads that meet a transient
    error anyway are retried in place (``READ_RETRIES``), writes never are.

    >>> system = NetSuiteSystem.from_env("erp", {
    ...     "PIPELINE_ERP_ACCOUNT": "1234567_SB1", "PIPELINE_ERP_CONSUMER_KEY": "ck",
    ...     "PIPELINE_ERP_CONSUMER_SECRET": "cs", "PIPELINE_ERP_TOKEN_ID": "t",
    ...     "PIPELINE_ERP_TOKEN_SECRET": "ts", "PIPELINE_BROKER_URL": "stub://"})
    >>> system.settings.base_url
    'https://1234567-sb1.suitetalk.api.netsuite.com'
    """

    #: entity -> canonical field -> where the load puts it (``carried``).
    CARRIES = CARRIES
    name = "netsuite"
    #: Its loads send their requests through ``systems.http.HttpClient``: ``preview --request`` can show them.
    http_loads = True
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("id",)
    #: Personal-data fields ``connector record`` replaces, besides the usual ones (emails, names, streets).
    personal_data = ("companyName", "entityId", "altPhone", "mobilePhone", "homePhone", "addr1", "addr2", "addr3",
                     "addressee", "addrPhone", "zip")

    def __init__(self, settings: NetSuiteSettings, client: NetSuiteClient) -> None:
        self.settings = settings
        self.client = client
        # The batches of this process load their records on these threads, as many as the budget's
        # slots: one record at a time, a run's last batches would keep one slot each busy and leave
        # the rest idle; more threads than slots would only queue for them.
        self._load_pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="netsuite-load")

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> NetSuiteSystem:
        settings = NetSuiteSettings.from_env(connection, environ)
        # Keyed by account, not connection: NetSuite's limit is per account, whoever sends.
        budget = concurrency_budget(f"netsuite:{realm_of(settings.account)}", settings.concurrency, environ)
        # Records of a page are fetched in parallel, up to the budget: keep that many connections.
        session = make_session(pool_size=settings.concurrency)
        http = HttpClient(cls.name, settings.base_url, parse_message=error_message,
                          sign=token_signer(settings.account, settings.credentials), session=session,
                          limiter=budget)
        return cls(settings, NetSuiteClient(http, reads=settings.reads))

    def check(self) -> str:
        """Reach the account with one cheap signed read (``connector check``)."""
        self.client.list_page("customer", limit=1)
        return f"signed in to account {self.settings.account} and listed one customer"

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        """Pages of ``entity`` changed since the cursor ``since``, oldest first.

        ``refs`` are natural keys (emails, order numbers), which are not NetSuite ids: with refs
        the pull reads every record and the pipeline keeps the ones named.
        """
        source = source_for(entity)
        limit = max(1, min(page_size, self.settings.page_size))
        for ids, cursor in changed_ids(self.client, source, since, limit=limit,
                                       lookback_s=self.settings.lookback_s):
            yield Page(records=self._fetch(source, ids), cursor=cursor)

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        """Upsert customers and orders by external id; one outcome per item."""
        return Loader(self.client, self.settings.loads, pool=self._load_pool).load(entity, items)

    def _fetch(self, source: Source, ids: list[str]) -> list[dict]:
        if not ids:
            return []
        workers = min(len(ids), self.settings.concurrency)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="netsuite-get") as pool:
            found = list(pool.map(lambda key: self.client.find(source.record_type, key, expand=True), ids))
        # None: deleted between the query and the read; nothing to pass on.
        records = [record for record in found if record is not None]
        if source.from_order:
            add_order_numbers(self.client, records)
        if source.per_location:
            return [row for record in records for row in location_rows(record)]
        return records
