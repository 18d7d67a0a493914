"""Upserts of customers, products and stock into Magento 2, each safe to repeat.

* customer: found by email within the website (search), then ``PUT /V1/customers/{id}`` over the
  stored customer (fields we do not map are kept, addresses keep their ids) or ``POST /V1/customers``;
* product: ``PUT /V1/products/{sku}`` (Magento creates an unknown SKU there; ``POST /V1/products``
  when an install answers 404 instead);
* inventory: MSI ``POST /V1/inventory/source-items`` for the whole batch (one by one when Magento
  rejects the batch, so each record gets its own outcome), or the legacy stock item of the SKU;
* in bulk (loads above ``BULK_THRESHOLD``): products and MSI source items through Magento's
  asynchronous bulk API (``bulk``), one operation per record; the direct calls above when the
  shop refuses the bulk as a whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from urllib.parse import quote

from pipeline.errors import AuthError, FatalError, NotFoundError, PipelineError, RecordError
from pipeline.systems.base import LoadItem
from pipeline.systems.magento2 import payloads
from pipeline.systems.magento2.bulk import BulkRunner
from pipeline.systems.magento2.client import Magento2Client
from pipeline.systems.magento2.search import SearchCriteria

logger = logging.getLogger(__name__)

#: Address fields that tell two addresses of a customer apart.
ADDRESS_IDENTITY = ("firstname", "lastname", "street", "city", "postcode", "country_id")


class RegionDirectory:
    """Country regions from ``GET /V1/directory/countries/{id}``, read once per country.

    Magento needs ``region_id`` for countries with a region list (US states, ...); canonical
    addresses carry a region name or code.
    """

    def __init__(self, client: Magento2Client) -> None:
        self.client = client
        self._regions: dict[str, list[dict]] = {}

    def resolve(self, country: str, region: str | None) -> dict | None:
        if not region:
            return None
        if country not in self._regions:
            try:
                info = self.client.get(f"/V1/directory/countries/{quote(country)}")
            except NotFoundError:
                info = {}
            self._regions[country] = list(info.get("available_regions") or [])
        wanted = region.strip().lower()
        for known in self._regions[country]:
            if wanted in (str(known.get("code", "")).lower(), str(known.get("name", "")).lower()):
                return {"region_code": known["code"], "region": known["name"], "region_id": int(known["id"])}
        # A free-text region: what Magento itself stores for countries without a region list.
        return {"region_code": region, "region": region, "region_id": 0}


def website_of(item: LoadItem, default: int) -> int:
    """The target website: the mapping's ``website_id``, a numeric canonical ``website``, or the setting."""
    if item.native.get("website_id") is not None:
        return int(item.native["website_id"])
    website = str(item.data.get("website") or "")
    return int(website) if website.isdigit() else default


def load_customer(client: Magento2Client, regions: RegionDirectory, item: LoadItem,
                  default_website: int) -> None:
    """Create or update the customer with this email in the target website."""
    website = website_of(item, default_website)
    body = payloads.customer(item.data, website)
    if item.data.get("addresses") is not None:
        body["addresses"] = [payloads.address(one, regions.resolve(one["country_code"], one.get("region")))
                             for one in item.data["addresses"]]
    body = payloads.merge_native(body, item.native)
    existing = find_customer(client, item.data["email"], website)
    if existing is None:
        client.post("/V1/customers", {"customer": body})
        return
    client.put(f"/V1/customers/{existing['id']}", {"customer": _over_existing(existing, body)})


def find_customer(client: Magento2Client, email: str, website_id: int) -> dict | None:
    """The stored customer with this email in this website (Magento's own uniqueness rule), or None."""
    criteria = SearchCriteria(page_size=1).where("email", email).where("website_id", website_id)
    found = client.get("/V1/customers/search", criteria.params(current_page=1)).get("items") or []
    return found[0] if found else None


def _over_existing(existing: dict, body: dict) -> dict:
    merged = {**existing, **body, "id": existing["id"]}
    merged["custom_attributes"] = payloads.merge_attributes(existing.get("custom_attributes") or [],
                                                            body.get("custom_attributes") or [])
    if "addresses" in body:
        stored = existing.get("addresses") or []
        merged["addresses"] = _keep_address_ids(stored, body["addresses"], existing["id"])
        # The addresses' own default flags decide; the stored ids could name a replaced address.
        merged.pop("default_billing", None)
        merged.pop("default_shipping", None)
    return merged


def _keep_address_ids(stored: list[dict], wanted: list[dict], customer_id: int) -> list[dict]:
    # Matching addresses keep their ids: Magento deletes addresses missing from the list and
    # creates those without an id, so a repeated load would otherwise churn them.
    free = list(stored)
    out = []
    for address in wanted:
        identity = [address.get(name) for name in ADDRESS_IDENTITY]
        match = next((old for old in free if [old.get(name) for name in ADDRESS_IDENTITY] == identity), None)
        if match is not None:
            free.remove(match)
            address = {**address, "id": match["id"], "customer_id": customer_id}
        out.append(address)
    return out


def load_product(client: Magento2Client, item: LoadItem) -> None:
    """Create or update the product with this SKU."""
    body = product_body(item)
    try:
        client.put(f"/V1/products/{quote(item.data['sku'], safe='')}", body)
    except NotFoundError:
        client.post("/V1/products", body)


def product_body(item: LoadItem) -> dict:
    """The body of ``PUT /V1/products/{sku}``, and of one operation of a product bulk."""
    return {"product": payloads.merge_native(payloads.product(item.data), item.native)}


def source_items_body(item: LoadItem) -> dict:
    """One record's body of a source items bulk: one item per operation, so one result per record."""
    return {"sourceItems": [payloads.merge_native(payloads.source_item(item.data), item.native)]}


#: Entity -> (the synchronous route whose bulk form loads it, the body of one record).
BULK: dict[str, tuple[str, Callable[[LoadItem], dict]]] = {
    "product": ("/V1/products", product_body),
    "inventory": ("/V1/inventory/source-items", source_items_body),
}


def load_in_bulk(runner: BulkRunner, entity: str, items: Sequence[LoadItem]) -> list[Exception | None] | None:
    """Load ``items`` as one bulk, one outcome per item; None when Magento refused the bulk as a whole.

    Raises:
        RetryableError: the bulk could not be submitted; the load is retried whole, which only
            repeats upserts.
    """
    route, body = BULK[entity]
    outcomes: list[Exception | None] = [None] * len(items)
    bodies: dict[int, dict] = {}
    for index, item in enumerate(items):
        try:
            bodies[index] = body(item)
        except RecordError as error:
            outcomes[index] = error
    if not bodies:
        return outcomes
    try:
        results = runner.run(route, list(bodies.values()))
    except AuthError as error:
        results = [error] * len(bodies)
    except FatalError as error:
        # No bulk API (Magento_WebapiAsync disabled: 404), or one body that Magento cannot read
        # fails the whole request (400): direct calls give each record its own outcome.
        logger.warning("Magento refused the bulk of %d %s records (%s); loading them directly.",
                       len(bodies), entity, error)
        return None
    for index, result in zip(bodies, results, strict=True):
        outcomes[index] = result
    return outcomes


def load_stock_item(client: Magento2Client, item: LoadItem) -> None:
    """Set the legacy stock item (default source) of the SKU."""
    source = item.data.get("source_code") or "default"
    if source != "default":
        raise RecordError(f"Inventory record {item.key!r} names source {source!r}, but the legacy stock "
                          "API (INVENTORY_API=legacy) has only the default source.",
                          {"source_code": ["Not 'default'."]})
    sku = quote(item.data["sku"], safe="")
    stock = client.get(f"/V1/stockItems/{sku}")
    body = {"stockItem": payloads.merge_native(payloads.stock_item(item.data), item.native)}
    client.put(f"/V1/products/{sku}/stockItems/{stock['item_id']}", body)


def load_source_items(client: Magento2Client, items: Sequence[LoadItem]) -> list[Exception | None]:
    """Save MSI source items, one outcome per item."""
    outcomes: list[Exception | None] = [None] * len(items)
    bodies: dict[int, dict] = {}
    for index, item in enumerate(items):
        try:
            bodies[index] = payloads.merge_native(payloads.source_item(item.data), item.native)
        except RecordError as error:
            outcomes[index] = error
    if not bodies:
        return outcomes
    try:
        client.post("/V1/inventory/source-items", {"sourceItems": list(bodies.values())})
    except PipelineError as error:
        one_bad = isinstance(error, FatalError) and not isinstance(error, (AuthError, NotFoundError))
        for index, body in bodies.items():
            # Magento validates a batch as a whole: a rejected batch is sent again one by one,
            # so that only the culprits fail.
            outcomes[index] = _outcome(client, body) if one_bad and len(bodies) > 1 else error
    return outcomes


def _outcome(client: Magento2Client, body: dict) -> Exception | None:
    try:
        client.post("/V1/inventory/source-items", {"sourceItems": [body]})
    except PipelineError as error:
        return error
    return None
