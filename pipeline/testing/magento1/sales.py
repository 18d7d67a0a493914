"""Orders and their documents: ``sales_order.*``, ``sales_order_invoice.*``, ``sales_order_shipment.*``,
``sales_order_creditmemo.*``, with the order's quantities kept in step.

``create`` follows the PHP resources: order not found is the resource's ``order_not_exists``, an
order that cannot take the document is ``data_invalid`` "Cannot do invoice for order." (or
``cannot_create_creditmemo``), empty quantities mean everything that remains, and a quantity above
what remains is the item model's exception, which surfaces as fault 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pipeline.testing.magento1 import store
from pipeline.testing.magento1.api import api, fault, internal
from pipeline.testing.magento1.filters import FilterError, matches
from pipeline.testing.magento1.store import amount

#: Carriers ``addTrack`` accepts: "custom" always, and the core carriers with tracking.
CARRIERS = ("custom", "dhl", "fedex", "ups", "usps")
ORDER_COLUMNS = frozenset({
    "entity_id", "increment_id", "state", "status", "customer_id", "customer_email", "customer_firstname",
    "customer_lastname", "store_id", "created_at", "updated_at", "grand_total", "order_currency_code",
})


@dataclass(frozen=True)
class Kind:
    """A document type: its resource, id alias, table and the order item quantity it moves."""

    resource: str
    id_alias: str
    table: str
    qty_field: str
    #: [unverified] the item models' texts (``Mage_Sales_Model_Order_*_Item::setQty``).
    too_many: str


INVOICE = Kind("sales_order_invoice", "invoice_id", "invoices", "qty_invoiced",
               'Invalid qty to invoice item "{}"')
SHIPMENT = Kind("sales_order_shipment", "shipment_id", "shipments", "qty_shipped",
                'Invalid qty to ship for item "{}"')
CREDITMEMO = Kind("sales_order_creditmemo", "creditmemo_id", "creditmemos", "qty_refunded",
                  'Invalid qty to refund item "{}"')


def _order(shop, increment_id, resource: str = "sales_order", name: str = "not_exists") -> dict:
    found = shop.tables.order_by_increment(increment_id)
    if found is None:
        raise fault(resource, name)
    return found


def _order_fields(order: dict) -> dict:
    return {("order_id" if k == "entity_id" else k): v for k, v in order.items()
            if not isinstance(v, (dict, list))}


@api("sales_order.list")
def order_list(shop, filters=None):
    try:
        rows = [order for order in shop.tables.orders.values()
                if matches(order, filters or {}, {"order_id": "entity_id"})]
    except FilterError as error:
        raise fault("sales_order", "filters_invalid", str(error)) from None
    unknown = [name for name in filters or {} if name not in ORDER_COLUMNS | {"order_id"}]
    if unknown:
        # A flat table: an unknown column is MySQL's error, which no one catches.
        raise internal(f"SQLSTATE[42S22]: Column not found: 1054 Unknown column '{unknown[0]}' in "
                       "'where clause'")
    out = []
    for order in rows:
        billing, shipping = order["billing_address"], order["shipping_address"]
        out.append({**_order_fields(order), "billing_firstname": billing["firstname"],
                    "billing_lastname": billing["lastname"], "shipping_firstname": shipping["firstname"],
                    "shipping_lastname": shipping["lastname"],
                    "billing_name": f"{billing['firstname']} {billing['lastname']}",
                    "shipping_name": f"{shipping['firstname']} {shipping['lastname']}"})
    return out


@api("sales_order.info")
def order_info(shop, increment_id):
    order = _order(shop, increment_id)
    # Mage_Sales_Model_Order_Api's attribute maps: entity_id is address_id, payment_id.
    address = {"entity_id": "address_id"}
    return {**_order_fields(order),
            "shipping_address": _renamed(order["shipping_address"], address),
            "billing_address": _renamed(order["billing_address"], address),
            "items": [dict(item) for item in order["items"]],
            "payment": _renamed(order["payment"], {"entity_id": "payment_id"}),
            "status_history": [dict(entry) for entry in order["status_history"]]}


def _renamed(record: dict, names: dict) -> dict:
    return {names.get(k, k): v for k, v in record.items()}


# Documents ---------------------------------------------------------------------------------------

def _documents(shop, kind: Kind) -> dict[int, dict]:
    return getattr(shop.tables, kind.table)


def _document(shop, kind: Kind, increment_id) -> dict:
    found = next((d for d in _documents(shop, kind).values() if d["increment_id"] == str(increment_id)), None)
    if found is None:
        raise fault(kind.resource, "not_exists")
    return found


def _list(shop, kind: Kind, filters) -> list[dict]:
    try:
        rows = [d for d in _documents(shop, kind).values()
                if matches(d, filters or {}, {kind.id_alias: "entity_id"})]
    except FilterError as error:
        raise fault(kind.resource, "filters_invalid", str(error)) from None
    return [{kind.id_alias: d["entity_id"], **{k: v for k, v in d.items() if k not in ("entity_id", "items",
                                                                                   "comments", "tracks")}}
            for d in rows]


def _info(shop, kind: Kind, increment_id) -> dict:
    document = _document(shop, kind, increment_id)
    order = shop.tables.orders[int(document["order_id"])]
    out = {kind.id_alias: document["entity_id"], **{k: v for k, v in document.items() if k != "entity_id"},
           "order_increment_id": order["increment_id"]}
    lists = {k: [dict(one) for one in document[k]] for k in ("items", "comments", "tracks") if k in document}
    return {**out, **lists}


def _quantities(order: dict, kind: Kind, requested) -> dict[str, Decimal]:
    """``{order item id: qty}`` to take; empty means everything that remains."""
    if isinstance(requested, list):  # the credit memo's old shape, or an empty XML-RPC array
        requested = {str(q["order_item_id"]): q["qty"] for q in requested if isinstance(q, dict)}
    remaining = {item["item_id"]: _remaining(order, item, kind) for item in order["items"]
                 if not item["parent_item_id"]}
    if not requested:
        return {item_id: qty for item_id, qty in remaining.items() if qty > 0}
    out = {}
    for item_id, qty in dict(requested).items():
        item = next((i for i in order["items"] if i["item_id"] == str(item_id)), None)
        if item is None:
            continue  # Magento skips ids that are not on the order
        if amount(qty) > remaining.get(item["item_id"], Decimal(0)):
            raise internal(kind.too_many.format(item["name"]))
        out[item["item_id"]] = amount(qty)
    return out


def _remaining(order: dict, item: dict, kind: Kind) -> Decimal:
    ordered = amount(item["qty_ordered"]) - amount(item["qty_canceled"])
    if kind is CREDITMEMO:
        return amount(item["qty_invoiced"]) - amount(item["qty_refunded"])
    return ordered - amount(item[kind.qty_field]) - (amount(item["qty_refunded"]) if kind is SHIPMENT else 0)


def _create(shop, kind: Kind, order: dict, quantities: dict[str, Decimal], comment, extra: dict) -> dict:
    tables, now = shop.tables, shop.now()
    entity_id = tables.next_id(kind.table)
    items, total = [], Decimal(0)
    for item in order["items"]:
        qty = quantities.get(item["item_id"]) or quantities.get(item["parent_item_id"] or "")
        if not qty:
            continue
        item[kind.qty_field] = store.text(kind.qty_field, amount(item[kind.qty_field]) + qty)
        if not item["parent_item_id"]:
            price = amount(item["price"])
            total += price * qty
            items.append(store.row({"item_id": tables.next_id(f"{kind.table}_item"), "parent_id": entity_id,
                                    "order_item_id": item["item_id"], "sku": item["sku"],
                                    "name": item["name"],
                                    "qty": qty, "price": price, "row_total": price * qty}))
    document = store.row({"entity_id": entity_id, "increment_id": tables.increment_id(kind.table),
                          "order_id": order["entity_id"], "store_id": 1, "state": 2, "created_at": now,
                          "updated_at": now, "order_currency_code": order["order_currency_code"],
                          "total_qty": sum(quantities.values(), Decimal(0)), **extra})
    document["grand_total"] = store.text("grand_total", total + amount(document.get("grand_total")))
    document["items"], document["comments"] = items, []
    if comment not in (None, ""):
        document["comments"].append(store.row({"comment_id": tables.next_id("comment"),
                                                "parent_id": entity_id, "comment": str(comment),
                                                "is_customer_notified": 0, "created_at": now}))
    _documents(shop, kind)[entity_id] = document
    order["updated_at"] = now
    return document


@api("sales_order_invoice.list")
def invoice_list(shop, filters=None):
    return _list(shop, INVOICE, filters)


@api("sales_order_invoice.info")
def invoice_info(shop, increment_id):
    return _info(shop, INVOICE, increment_id)


@api("sales_order_invoice.create")
def invoice_create(shop, order_increment_id, items_qty=None, comment=None, email=False,
                   include_comment=False):
    order = _order(shop, order_increment_id, INVOICE.resource, "order_not_exists")
    quantities = _quantities(order, INVOICE, items_qty)
    if order["state"] in ("canceled", "closed", "holded") or not quantities:
        raise fault(INVOICE.resource, "data_invalid", "Cannot do invoice for order.")
    first = amount(order["total_invoiced"]) == 0
    document = _create(shop, INVOICE, order, quantities, comment,
                       {"grand_total": amount(order["shipping_amount"]) if first else 0})
    for name in ("total_invoiced", "total_paid"):
        order[name] = store.text(name, amount(order[name]) + amount(document["grand_total"]))
    return document["increment_id"]


@api("sales_order_shipment.list")
def shipment_list(shop, filters=None):
    return _list(shop, SHIPMENT, filters)


@api("sales_order_shipment.info")
def shipment_info(shop, increment_id):
    return _info(shop, SHIPMENT, increment_id)


@api("sales_order_shipment.create")
def shipment_create(shop, order_increment_id, items_qty=None, comment=None, email=False,
                    include_comment=False):
    order = _order(shop, order_increment_id, SHIPMENT.resource, "order_not_exists")
    quantities = _quantities(order, SHIPMENT, items_qty)
    if order["state"] in ("canceled", "closed", "holded") or not quantities:
        raise fault(SHIPMENT.resource, "data_invalid", "Cannot do shipment for order.")
    document = _create(shop, SHIPMENT, order, quantities, comment, {})
    document["tracks"] = []
    return document["increment_id"]


@api("sales_order_shipment.addTrack")
def shipment_add_track(shop, shipment_increment_id, carrier, title, track_number, weight=None):
    shipment = _document(shop, SHIPMENT, shipment_increment_id)
    if carrier not in CARRIERS:
        raise fault(SHIPMENT.resource, "data_invalid", "Invalid carrier specified.")
    track = store.row({"track_id": shop.tables.next_id("track"), "parent_id": shipment["entity_id"],
                       "order_id": shipment["order_id"], "track_number": track_number, "title": title,
                       "carrier_code": carrier, "weight": weight, "created_at": shop.now(),
                       "updated_at": shop.now()})
    shipment["tracks"].append(track)
    return track["track_id"]


@api("sales_order_creditmemo.list")
def creditmemo_list(shop, filters=None):
    return _list(shop, CREDITMEMO, filters)


@api("sales_order_creditmemo.info")
def creditmemo_info(shop, increment_id):
    return _info(shop, CREDITMEMO, increment_id)


@api("sales_order_creditmemo.create")
def creditmemo_create(shop, order_increment_id, data=None, comment=None, notify=False, include_comment=False,
                      refund_to_store_credit=None):
    order = _order(shop, order_increment_id, CREDITMEMO.resource, "order_not_exists")
    if order["state"] in ("canceled", "closed", "holded") or amount(order["total_paid"]) <= amount(
            order["total_refunded"]):
        raise fault(CREDITMEMO.resource, "cannot_create_creditmemo")
    data = dict(data or {})
    quantities = _quantities(order, CREDITMEMO, data.get("qtys"))
    adjustments = {name: amount(data.get(name)) for name in ("adjustment_positive", "adjustment_negative")}
    adjustments["shipping_amount"] = _refunded_shipping(order, data.get("shipping_amount"))
    extra = {**adjustments, "grand_total": adjustments["shipping_amount"] + adjustments["adjustment_positive"]
             - adjustments["adjustment_negative"]}
    document = _create(shop, CREDITMEMO, order, quantities, comment, extra)
    order["total_refunded"] = store.text("total_refunded", amount(order["total_refunded"])
                                         + amount(document["grand_total"]))
    order["shipping_refunded"] = store.text("shipping_refunded", amount(order.get("shipping_refunded"))
                                            + adjustments["shipping_amount"])
    return document["increment_id"]


def _refunded_shipping(order: dict, wanted) -> Decimal:
    """Mage_Sales_Model_Order_Creditmemo_Total_Shipping: without a shipping_amount the credit memo
    refunds all the shipping not refunded yet; more than that is refused (an exception no resource
    catches: fault 1 with its text)."""
    allowed = amount(order["shipping_amount"]) - amount(order.get("shipping_refunded"))
    if wanted is None:
        return allowed
    if amount(wanted) > allowed:
        # [derived] the amount as the base currency formats it.
        symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(order.get("base_currency_code") or "", "")
        raise internal(f"Maximum shipping amount allowed to refund is: {symbol}{allowed:.2f}")
    return amount(wanted)
