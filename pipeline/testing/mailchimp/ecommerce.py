"""E-commerce stores: their products (with variants), customers and orders (CONTRACTS 3.5).

Products and orders are created with ``POST`` (400 when the id exists) and changed with ``PATCH``
(404 when it does not); customers have a ``PUT`` upsert. An order creates or updates its
``customer``, and each line must name an existing product and variant (Mailchimp wants
products before orders). Wordings of the 400s are [unverified].
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field

from pipeline.testing.mailchimp.problems import VALIDATION_DETAIL, invalid, not_found

PRODUCT_EXISTS = "A product with the provided ID already exists in the account."
ORDER_EXISTS = "An order with the provided ID already exists in the account."
NO_PRODUCT = "A product with the provided ID does not exist in the account for this list."
NO_VARIANT = "A product variant with the provided ID does not exist in the account for this list."
LINE_EXISTS = "An order line with the provided ID already exists in the account."  # [unverified]


@dataclass
class Store:
    id: str
    list_id: str
    name: str = "Shop"
    currency_code: str = "USD"
    products: dict[str, dict] = field(default_factory=dict)
    customers: dict[str, dict] = field(default_factory=dict)
    orders: dict[str, dict] = field(default_factory=dict)
    #: (collection, id) -> times created; creating twice would be a client's duplicate.
    creations: Counter = field(default_factory=Counter)

    def info(self) -> dict:
        return {"id": self.id, "list_id": self.list_id, "name": self.name,
                "currency_code": self.currency_code, "platform": "Magento", "is_syncing": False}

    def get(self, collection: str, key: str) -> dict:
        found = getattr(self, collection).get(key)
        if found is None:
            raise not_found()
        return found

    def listing(self, collection: str, count: int, offset: int) -> dict:
        rows = list(getattr(self, collection).values())
        return {"store_id": self.id, collection: copy.deepcopy(rows[offset:offset + count]),
                "total_items": len(rows), "_links": []}

    # Products ---------------------------------------------------------------------------------
    def create_product(self, body: dict, now: str) -> dict:
        if body["id"] in self.products:
            raise invalid(PRODUCT_EXISTS)
        product = {"id": body["id"], "currency_code": self.currency_code, "published_at_foreign": "",
                   "created_at": now, "images": [], **copy.deepcopy(body), "updated_at": now}
        self.products[body["id"]] = product
        self.creations[("products", body["id"])] += 1
        return product

    def change_product(self, key: str, body: dict, now: str) -> dict:
        product = self.get("products", key)
        variants = _by_id(product.get("variants") or [], body.pop("variants", None) or [])
        product.update({**copy.deepcopy(body), "variants": variants, "updated_at": now})
        return product

    def upsert_variant(self, product_id: str, variant_id: str, body: dict) -> dict:
        product = self.get("products", product_id)
        product["variants"] = _by_id(product.get("variants") or [], [{**body, "id": variant_id}])
        return next(variant for variant in product["variants"] if variant["id"] == variant_id)

    # Customers --------------------------------------------------------------------------------
    def upsert_customer(self, key: str, body: dict, now: str) -> dict:
        existing = self.customers.get(key)
        if existing is None:
            missing = [name for name in ("email_address", "opt_in_status") if name not in body]
            if missing:
                message = "Required fields were not provided: " + ", ".join(missing)
                raise invalid(VALIDATION_DETAIL, [{"field": "", "message": message}])
            self.creations[("customers", key)] += 1
        customer = {"orders_count": 0, "total_spent": 0, "created_at": now, **(existing or {}),
                    **copy.deepcopy(body), "id": key, "updated_at": now}
        self.customers[key] = customer
        return customer

    # Orders -----------------------------------------------------------------------------------
    def create_order(self, body: dict, now: str) -> dict:
        if body["id"] in self.orders:
            raise invalid(ORDER_EXISTS)
        self._check_lines(body["lines"])
        customer = self.upsert_customer(str(body["customer"]["id"]), body["customer"], now)
        order = {**copy.deepcopy(body), "customer": customer, "store_id": self.id, "updated_at": now}
        self.orders[body["id"]] = order
        self.creations[("orders", body["id"])] += 1
        self._count_orders(customer["id"])
        return order

    def change_order(self, key: str, body: dict, now: str) -> dict:
        order = self.get("orders", key)
        if "lines" in body:
            self._check_lines(body["lines"])
            body["lines"] = _by_id(order["lines"], body["lines"])
        if "customer" in body:
            # A PATCH changes the order's own customer (3.0.55 takes no customer id there).
            body["customer"] = self.upsert_customer(order["customer"]["id"], body["customer"], now)
        order.update({**copy.deepcopy(body), "updated_at": now})
        return order

    def add_line(self, order_id: str, body: dict, now: str) -> dict:
        order = self.get("orders", order_id)
        if any(line.get("id") == body["id"] for line in order["lines"]):
            raise invalid(LINE_EXISTS)
        self._check_lines([body])
        order["lines"].append(copy.deepcopy(body))
        order["updated_at"] = now
        return order["lines"][-1]

    def change_line(self, order_id: str, line_id: str, body: dict, now: str) -> dict:
        order = self.get("orders", order_id)
        line = next((line for line in order["lines"] if line.get("id") == line_id), None)
        if line is None:
            raise not_found()
        self._check_lines([{**line, **body}])
        line.update(copy.deepcopy(body))
        order["updated_at"] = now
        return line

    def delete_line(self, order_id: str, line_id: str, now: str) -> None:
        order = self.get("orders", order_id)
        kept = [line for line in order["lines"] if line.get("id") != line_id]
        if len(kept) == len(order["lines"]):
            raise not_found()
        order.update(lines=kept, updated_at=now)

    def _check_lines(self, lines: list[dict]) -> None:
        for number, line in enumerate(lines):
            product = self.products.get(str(line["product_id"]))
            where = f"lines.item:{number}"
            if product is None:
                raise invalid(NO_PRODUCT, [{"field": f"{where}.product_id", "message": NO_PRODUCT}])
            if all(variant["id"] != line["product_variant_id"] for variant in product.get("variants") or []):
                raise invalid(NO_VARIANT, [{"field": f"{where}.product_variant_id", "message": NO_VARIANT}])

    def _count_orders(self, customer_id: str) -> None:
        mine = [order for order in self.orders.values() if order["customer"]["id"] == customer_id]
        self.customers[customer_id].update(orders_count=len(mine),
                                           total_spent=round(sum(o["order_total"] for o in mine), 2))


def _by_id(stored: list[dict], changes: list[dict]) -> list[dict]:
    """Items (variants, lines) changed by id: a known id is updated, a new one added."""
    merged = {item.get("id") or f"#{n}": copy.deepcopy(item) for n, item in enumerate(stored)}
    for n, item in enumerate(changes, start=len(merged)):
        # An item without an id cannot name what it changes: it is added.
        key = item.get("id") or f"#{n}"
        merged[key] = {**merged.get(key, {}), **copy.deepcopy(item)}
    return list(merged.values())
