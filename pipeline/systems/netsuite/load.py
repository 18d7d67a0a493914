"""Loading canonical records into NetSuite: upserts by external id, so a redelivery changes nothing.

* customer: ``PUT /customer/eid:<id>``, the id being the native ``externalId`` or derived from the
  email (``payloads.external_id``); a customer with that email but no external id yet (made in
  NetSuite before the integration) is updated and given the external id instead of duplicated.
  Two requests a customer: one SuiteQL query finds it by external id or email, then one write.
* order: ``PUT /salesOrder/eid:<id>``, the id being the native ``externalId`` or the shop's order
  number, with ``replace=item`` so that a second delivery replaces the lines instead of adding them
  again. Its customer is found by external id, else by email (one SuiteQL query for both), and
  created (by upsert) when missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from functools import partial

from pipeline.errors import FatalError, RecordError, UnknownNameError
from pipeline.systems.base import LoadItem, load_each
from pipeline.systems.netsuite import lifecycle
from pipeline.systems.netsuite.client import MAX_LIMIT, NetSuiteClient
from pipeline.systems.netsuite.config import LoadSettings
from pipeline.systems.netsuite.payloads import (
    customer_payload,
    external_id,
    order_customer_payload,
    order_payload,
)
from pipeline.systems.netsuite.suiteql import sql_string

#: Entities this system loads.
LOADABLE = ("customer", "order")


class Loader:
    """One batch's load: caches customer and item look-ups across the batch's records.

    With a ``pool``, records load on its threads at once (each request waits for a slot of the
    account's budget); a look-up the cache misses is made under a lock of its own (per customer,
    per set of SKUs), so records needing the same one make it once and others are not held up.
    """

    def __init__(self, client: NetSuiteClient, settings: LoadSettings = LoadSettings(),
                 pool: Executor | None = None) -> None:
        self.client, self.settings, self.pool = client, settings, pool
        self._locks: dict[object, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._customers: dict[str, str] = {}
        self._items: dict[str, str] = {}
        self._currencies: dict[str, str] | None = None

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        # An order goes through its lifecycle first: cancelled, closed, or edited as NetSuite allows.
        handlers: dict[str, Callable[[LoadItem], object]] = {"customer": self.customer,
                                                             "order": partial(lifecycle.load_order, self)}
        if entity not in handlers:
            # Every record would fail alike; each is reported, so the run shows why.
            return [UnknownNameError("NetSuite load entity", entity, LOADABLE)] * len(items)
        return load_each(handlers[entity], items, pool=self.pool)

    def customer(self, item: LoadItem) -> None:
        eid = external_id(item.native.get("externalId") or item.data["email"])
        payload = {**customer_payload(item.data, item.native, self.settings), "externalId": eid}
        replace = ("addressBook",) if "addressBook" in payload else ()
        rows = self._customers_by_key(eid, item.data["email"])
        if not any(row.get("externalid") == eid for row in rows):
            # A customer NetSuite had before this integration has the email but no external id:
            # it is claimed (its externalId set, so the next load finds it), not duplicated. One
            # that another integration keyed by its own external id is not ours to take.
            unclaimed = next((row["id"] for row in rows if not row.get("externalid")), None)
            if unclaimed is not None:
                self.client.update("customer", unclaimed, payload, replace=replace)
                return
        self.client.upsert("customer", eid, payload, replace=replace)

    def order(self, item: LoadItem) -> None:
        data, native = item.data, item.native
        eid = external_id(native.get("externalId") or data["order_number"])
        # A mapping may name the customer itself (``entity: {id: ...}``); then there is nothing to resolve.
        entity = native.get("entity")
        customer_id = entity.get("id") if isinstance(entity, dict) else None
        customer_id = customer_id or self.customer_for_order(data, native)
        item_ids = self.item_ids([line["sku"] for line in data.get("lines") or []], data["order_number"])
        currency = self.currency_id(data) if data.get("currency") and "currency" not in native else None
        payload = order_payload(data, native, customer_id=customer_id, item_ids=item_ids, currency_id=currency,
                                settings=self.settings)
        payload["externalId"] = eid
        self.client.upsert("salesOrder", eid, payload, replace=("item",))

    def currency_id(self, order: dict) -> str:
        """The internal id of the order's currency, by ISO code (NetSuite's ``symbol``), read once."""
        with self._lock_for("currencies"):
            if self._currencies is None:
                rows = self.client.suiteql("SELECT id, symbol FROM currency ORDER BY id", limit=MAX_LIMIT)
                self._currencies = {str(row.get("symbol", "")).upper(): str(row["id"])
                                    for row in rows.get("items") or []}
        code = str(order["currency"]).upper()
        if code not in self._currencies:
            raise RecordError(f"Order {order['order_number']!r} is in {code}, a currency the NetSuite account "
                              f"does not have (it has: {', '.join(sorted(self._currencies)) or 'none'}).",
                              {"currency": ["Not a currency of the account."]})
        return self._currencies[code]

    def customer_for_order(self, order: dict, native: dict) -> str:
        """The id of the order's customer: by external id, else by email, else a new customer."""
        email = order["customer_email"]
        with self._lock_for(("customer", email)):
            if email not in self._customers:
                eid = external_id(native.get("customerExternalId") or email)
                rows = self._customers_by_key(eid, email)
                keyed = [row["id"] for row in rows if row.get("externalid") == eid]
                customer_id = (keyed or [row["id"] for row in rows] or [None])[0]
                if customer_id is None:
                    payload = {**order_customer_payload(order, native), "externalId": eid}
                    customer_id = self.client.upsert_id("customer", eid, payload)
                self._customers[email] = str(customer_id)
            return self._customers[email]

    def _lock_for(self, lookup: object) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(lookup, threading.Lock())

    def _customers_by_key(self, eid: str, email: str) -> list[dict]:
        """``{id, externalid}`` of the customers with this external id or this email (any case), by id.

        One query for both look-ups: a record costs two requests (this and its write), not three.
        """
        query = (f"SELECT id, externalid FROM customer WHERE externalid = {sql_string(eid)} "
                 f"OR LOWER(email) = {sql_string(email.lower())} ORDER BY id")
        rows = self.client.suiteql(query, limit=MAX_LIMIT).get("items") or []
        return [{"id": str(row["id"]), "externalid": row.get("externalid")} for row in rows]

    def item_ids(self, skus: list[str], order_number: str) -> dict[str, str]:
        """Item ids by SKU (NetSuite's ``itemid``).

        Raises:
            FatalError: a SKU has no item; the message names the SKU and the line.
        """
        with self._lock_for(("items", *sorted({sku for sku in skus if sku not in self._items}))):
            wanted = sorted({sku for sku in skus if sku not in self._items})
            for start in range(0, len(wanted), MAX_LIMIT):
                chunk = ", ".join(sql_string(sku) for sku in wanted[start:start + MAX_LIMIT])
                rows = self.client.suiteql(f"SELECT id, itemid FROM item WHERE itemid IN ({chunk}) ORDER BY id",
                                           limit=MAX_LIMIT).get("items") or []
                self._items.update({row["itemid"]: str(row["id"]) for row in rows})
        for index, sku in enumerate(skus):
            if sku not in self._items:
                raise FatalError(f"Unknown NetSuite item {sku!r} in order {order_number!r} "
                                 f"(lines.{index}.sku): create the item or fix the SKU mapping.",
                                 system="netsuite")
        return {sku: self._items[sku] for sku in skus}
