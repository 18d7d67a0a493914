"""Reconciliation of the drop-folder integrations: the demo customer pull and the shop's order push.

Real workers read the source files and write the target folder; each record written is read back
and compared, field by field, with what the *source* says in entity terms, worked out here from
the source's own shape (not by mapping it again), so a field the mapping drops shows as a
difference, not as agreement. Money is compared to the cent. A files target carries every field:
nothing is left unchecked. Fields checked / fields mapped (``pytest -s``):

* demo_files_customer: 17 / 17;
* shop_files_order_push: 40 / 40 (every Magento 2 order status, company addresses, a configurable line).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from pipeline.mapping import load_mapping
from tests.conftest import MAPPINGS
from tests.integration.reconciliation import account, checked_paths, compare, money, run
from tests.integration.test_worker_chain import DEMO_CSV, read_loaded


def flattened(record: dict, prefix: str = "") -> dict:
    """``{"a": {"b": 1}, "l": [{"c": 2}]}`` as ``{"a.b": 1, "l.0.c": 2}``; lists of plain values stay whole."""
    found = {}
    for name, value in record.items():
        if isinstance(value, dict):
            found.update(flattened(value, f"{prefix}{name}."))
        elif isinstance(value, list) and value and all(isinstance(one, dict) for one in value):
            for number, one in enumerate(value):
                found.update(flattened(one, f"{prefix}{name}.{number}."))
        else:
            found[prefix + name] = value
    return found


# The demo: an ERP's customer CSV to the shop's import folder ------------------------------------------

def demo_customer(row: dict, groups: dict) -> dict:
    """A row of the ERP's export in entity terms, read here by hand."""
    day, month, year = row["Birthday"].split(".")
    modified = dt.datetime.strptime(row["Modified"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
    customer = {
        "email": row["Email"].strip().lower(), "first_name": row["First"].strip(), "last_name": row["Last"].strip(),
        "external_id": row["CustomerId"], "group": groups.get(row["GroupId"], groups["_default"]),
        "is_subscribed": row["Newsletter"] == "yes", "dob": f"{year}-{month}-{day}",
        "updated_at": modified.isoformat(),
        # The export has one address: the customer's billing and shipping address both.
        "addresses.0.first_name": row["First"].strip(), "addresses.0.last_name": row["Last"].strip(),
        "addresses.0.street": [part.strip() for part in row["Street"].split("|")], "addresses.0.city": row["City"],
        "addresses.0.postcode": row["Zip"], "addresses.0.country_code": row["Country"],
        "addresses.0.telephone": row["Phone"] or None, "addresses.0.default_billing": True,
        "addresses.0.default_shipping": True}
    return customer


def test_every_mapped_field_of_the_demo_export_reaches_the_shops_import_folder(pipeline_env, workers, runs,
                                                                                tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    (inbox / "customers.csv").write_bytes(DEMO_CSV.read_bytes())
    workers.start(threads=2)

    summary = run(pipeline_env, runs, "demo_files_customer")

    spec = load_mapping(MAPPINGS / "demo_files_customer.yaml")
    with DEMO_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    sources = {row["Email"].strip().lower(): row for row in rows}
    loaded = read_loaded(tmp_path / "outbox" / "customer")
    # The export's invalid emails fail alone, named; every other row is in the folder.
    assert summary.counts["loaded"] == len(loaded) >= 4 and summary.counts["failed"] == len(rows) - len(loaded)
    failures: list[str] = []
    compared: set[str] = set()
    for email, stored in loaded.items():
        assert stored["website"] == "base"  # the mapping's constant
        compared |= compare(flattened(stored), demo_customer(sources[email], spec.value_maps["customer_group"]),
                            email, failures)
    assert failures == []
    account(checked_paths(compared), {}, spec)


# The shop's order export (Magento 2 order JSON) to the ERP's import folder --------------------------

def address_fields(address: dict) -> dict:
    """A Magento 2 order address in entity terms: every field it has."""
    return {"first_name": address.get("firstname"), "last_name": address.get("lastname"),
            "company": address.get("company"), "street": address.get("street"), "city": address.get("city"),
            "region": address.get("region"), "postcode": address.get("postcode"),
            "country_code": address.get("country_id"), "telephone": address.get("telephone")}


def shop_order(order: dict, statuses: dict) -> dict:
    """A Magento 2 order in entity terms, read here by hand (money as Decimals)."""
    def stamp(value: str) -> str:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc).isoformat()

    shipping = order["extension_attributes"]["shipping_assignments"][0]["shipping"]
    expected = {
        "order_number": order["increment_id"], "external_id": str(order["entity_id"]),
        "customer_email": order["customer_email"].strip().lower(),
        "customer_name": f"{order['customer_firstname']} {order['customer_lastname']}",
        "status": statuses[order["status"]], "currency": order["order_currency_code"],
        "created_at": stamp(order["created_at"]), "updated_at": stamp(order["updated_at"]),
        "payment_method": order["payment"]["method"], "shipping_method": shipping["method"],
        **{name: money(order[name]) for name in ("subtotal", "shipping_amount", "discount_amount", "tax_amount",
                                                  "grand_total")},
        **{f"billing_address.{name}": value for name, value in address_fields(order["billing_address"]).items()},
        **{f"shipping_address.{name}": value for name, value in address_fields(shipping["address"]).items()}}
    # A configurable product's child line repeats its parent without a price: the parent is the line.
    for number, item in enumerate(item for item in order["items"] if not item.get("parent_item_id")):
        expected.update({f"lines.{number}.sku": item["sku"], f"lines.{number}.name": item["name"],
                         f"lines.{number}.qty": Decimal(str(item["qty_ordered"])),
                         **{f"lines.{number}.{name}": money(item.get(field)) for name, field in (
                             ("price", "price"), ("discount", "discount_amount"), ("tax", "tax_amount"),
                             ("row_total", "row_total"))}})
    return expected


def magento_order(entity_id: int, status: str, **fields) -> dict:
    berlin = {"firstname": "Jane", "lastname": "Doe", "company": "Doe GmbH", "street": ["Hauptstr. 1", "Hinterhaus"],
              "city": "Berlin", "region": "Berlin", "postcode": "10115", "country_id": "DE",
              "telephone": "+49 30 1234"}
    munich = {**berlin, "company": "Lager Süd", "street": ["Lagerweg 9"], "city": "München", "region": "Bayern",
              "postcode": "80331", "telephone": "+49 89 5678"}
    order = {
        "entity_id": entity_id, "increment_id": f"{entity_id:09d}", "status": status, "order_currency_code": "EUR",
        "customer_email": " Jane.Doe@Example.com", "customer_firstname": "Jane", "customer_lastname": "Doe",
        "created_at": "2026-11-20 10:11:12", "updated_at": "2026-11-21 08:00:00", "store_name": "Main Website",
        # 59.90 + 60.00 - 10.00 + 19.14 + 4.95 = 133.99
        "subtotal": 119.9, "shipping_amount": 4.95, "discount_amount": -10, "tax_amount": 19.14,
        "grand_total": 133.99, "payment": {"method": "checkmo"}, "billing_address": berlin,
        "items": [{"item_id": 1, "sku": "TEE-RED", "name": "Tee", "qty_ordered": 2, "price": 29.95,
                   "discount_amount": 5, "tax_amount": 9.56, "row_total": 59.9},
                  {"item_id": 2, "parent_item_id": 1, "sku": "TEE-RED", "name": "Tee-M-Red", "qty_ordered": 2,
                   "price": 0},
                  {"item_id": 3, "sku": "MUG", "name": "Mug", "qty_ordered": 1, "price": "60.00",
                   "discount_amount": 5, "tax_amount": 9.58, "row_total": 60}],
        "extension_attributes": {"shipping_assignments": [{"shipping": {"method": "flatrate_flatrate",
                                                                        "address": munich}}]}}
    return {**order, **fields}


#: Every order status of a stock Magento 2 (sales_order_status).
MAGENTO_STATUSES = ("pending", "pending_payment", "payment_review", "fraud", "processing", "holded", "complete",
                    "closed", "canceled")


def test_every_mapped_field_of_the_shops_orders_reaches_the_erps_import_folder(pipeline_env, workers, runs,
                                                                                tmp_path):
    export = tmp_path / "shop_export" / "order"
    export.mkdir(parents=True)
    orders = [magento_order(700 + number, status) for number, status in enumerate(MAGENTO_STATUSES)]
    orders[1]["order_currency_code"] = "USD"
    (export / "orders.jsonl").write_text("".join(json.dumps(order) + "\n" for order in orders), encoding="utf-8")
    workers.start(threads=2)

    summary = run(pipeline_env, runs, "shop_files_order_push")

    assert summary.counts == {"extracted": len(orders), "loaded": len(orders), "skipped": 0, "failed": 0}, (
        [failure.error for failure in runs.failures(summary.run_id)])
    spec = load_mapping(MAPPINGS / "shop_files_order_push.yaml")
    loaded = read_loaded(Path(tmp_path / "erp_import" / "order"))
    failures: list[str] = []
    compared: set[str] = set()
    for order in orders:
        stored = loaded[order["increment_id"]]
        assert stored["source_store"] == "Main Website"  # target_fields
        found = {path: value for path, value in flattened(stored).items() if path != "source_store"}
        expected = shop_order(order, spec.value_maps["order_status"])
        assert set(found) <= set(expected), f"{order['increment_id']}: fields the source does not have"
        compared |= compare(found, expected, order["increment_id"], failures)
    assert failures == []
    account(checked_paths(compared), {}, spec)
