"""Loading canonical records into NetSuite: upserts by external id, so a redelivery changes nothing.

* customer: ``PUT /customer/eid:<id>``, the id being the native ``externalId`` or derived from the
  email (``payloads.external_id``); a customer with that email but no external id yet (made in
  NetSuite before the integration) is updated and given the external id instead of duplicated.
* order: ``PUT /salesOrder/eid:<id>``, the id being the native ``externalId`` or the shop's order
  number, with ``replace=item`` so that a second delivery replaces the lines instead of adding them
  again. Its customer is found by external id, then by email, and created (by upsert) when missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.errors import FatalError, RecordError, UnknownNameError
from pipeline.systems.base import LoadItem, load_each
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
    """One batch's load: caches customer and item look-ups across the batch's records."""

    def __init__(self, client: NetSuiteClient, settings: LoadSettings = LoadSettings()) -> None:
        self.client, self.settings = client, settings
        self._customers: dict[str, str] = {}
        self._items: dict[str, str] = {}
        self._currencies: dict[str, str] | None = None

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        handlers: dict[str, Callable[[LoadItem], None]] = {"customer": self.customer, "order": self.order}
        if entity not in handlers:
            # Every record would fail alike; each is reported, so the run shows why.
            return [UnknownNameError("NetSuite load entity", entity, LOADABLE)] * len(items)
        return load_each(handlers[entity], items)

    def customer(self, item: LoadItem) -> None:
        eid = external_id(item.native.get("externalId") or item.data["email"])
        payload = {**customer_payload(item.data, item.native, self.settings), "externalId": eid}
        replace = ("addressBook",) if "addressBook" in payload else ()
        if self.client.find("customer", f"eid:{eid}") is None:
            # A customer NetSuite had before this integration has the email but no external id:
            # it is claimed (its externalId set, so the next load finds it), not duplicated.
            unclaimed = self._unclaimed_customer_by_email(item.data["email"])
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
        """The id of the order's customer: by external id, then by email, else a new customer."""
        email = order["customer_email"]
        if email not in self._customers:
            eid = external_id(native.get("customerExternalId") or email)
            found = self.client.find("customer", f"eid:{eid}")
            customer_id = found["id"] if found else self._customer_by_email(email)
            if customer_id is None:
                payload = {**order_customer_payload(order, native), "externalId": eid}
                customer_id = self.client.upsert_id("customer", eid, payload)
            self._customers[email] = str(customer_id)
        return self._customers[email]

    def _customer_by_email(self, email: str) -> str | None:
        query = f"SELECT id FROM customer WHERE LOWER(email) = {sql_string(email.lower())} ORDER BY id"
        rows = self.client.suiteql(query, limit=1).get("items") or []
        return str(rows[0]["id"]) if rows else None

    def _unclaimed_customer_by_email(self, email: str) -> str | None:
        query = (f"SELECT id, externalid FROM customer WHERE LOWER(email) = {sql_string(email.lower())} "
                 f"ORDER BY id")
        rows = self.client.suiteql(query, limit=MAX_LIMIT).get("items") or []
        # One that another integration keyed by its own external id is not ours to take.
        return next((str(row["id"]) for row in rows if not row.get("externalid")), None)

    def item_ids(self, skus: list[str], order_number: str) -> dict[str, str]:
        """Item ids by SKU (NetSuite's ``itemid``).

        Raises:
            FatalError: a SKU has no item; the message names the SKU and the line.
        """
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
