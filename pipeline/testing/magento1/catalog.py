"""Customers, products and stock: ``customer.*``, ``catalog_product.*``, ``cataloginventory_stock_item.*``.

Row shapes follow the PHP resources: ``customer.list`` returns ``customer_id`` plus the set
attributes, ``catalog_product.list`` only ``product_id, sku, name, set, type, category_ids,
website_ids`` (no ``updated_at``, no price), ``catalog_product.info`` every attribute.
"""

from __future__ import annotations

from pipeline.testing.magento1 import store
from pipeline.testing.magento1.api import api, fault, internal
from pipeline.testing.magento1.filters import FilterError, matches

#: Customer attributes (EAV): filtering on anything else is "Invalid attribute name".
CUSTOMER_ATTRIBUTES = frozenset({
    "entity_id", "website_id", "email", "group_id", "increment_id", "store_id", "created_at", "updated_at",
    "is_active", "created_in", "prefix", "firstname", "middlename", "lastname", "suffix", "dob", "taxvat",
    "gender", "default_billing", "default_shipping", "confirmation", "disable_auto_group_change",
})
PRODUCT_ATTRIBUTES = frozenset({
    "entity_id", "sku", "type_id", "attribute_set_id", "name", "price", "special_price", "status",
    "visibility",
    "tax_class_id", "weight", "description", "short_description", "created_at", "updated_at", "url_key",
    "meta_title", "cost", "news_from_date", "news_to_date", "special_from_date", "special_to_date",
})
PRODUCT_TYPES = ("simple", "configurable", "grouped", "virtual", "bundle", "downloadable")
ATTRIBUTE_SETS = {"4": "Default"}
#: Required attributes of the Default set; weight only for types that ship.
REQUIRED = ("name", "description", "short_description", "price", "status", "visibility", "tax_class_id")


def _filtered(rows: list[dict], filters: object, aliases: dict, attributes: frozenset | None,
              resource: str) -> list[dict]:
    filters = filters or {}
    if not isinstance(filters, dict):
        raise fault(resource, "filters_invalid", "Filters must be an array.")
    for name in filters:
        name = aliases.get(name, name)
        if attributes is not None and name not in attributes:
            # [unverified] Mage_Eav_Model_Entity_Collection_Abstract's exact text.
            raise fault(resource, "filters_invalid", f"Invalid attribute name: {name}.")
    try:
        return [row for row in rows if matches(row, filters, aliases)]
    except FilterError as error:
        raise fault(resource, "filters_invalid", str(error)) from None


# Customers --------------------------------------------------------------------------------------

def customer_out(customer: dict) -> dict:
    # The resource maps entity_id to customer_id and leaves out unset attributes (isset()).
    return {"customer_id": customer["entity_id"],
            **{k: v for k, v in customer.items() if k not in ("entity_id", "addresses") and v is not None}}


@api("customer.list")
def customer_list(shop, filters=None):
    rows = _filtered(list(shop.tables.customers.values()), filters, {"customer_id": "entity_id"},
                     CUSTOMER_ATTRIBUTES, "customer")
    return [customer_out(row) for row in rows]


@api("customer.info")
def customer_info(shop, customer_id, attributes=None):
    return customer_out(customer_by_id(shop, customer_id))


@api("customer.create")
def customer_create(shop, data):
    values = {("entity_id" if k == "customer_id" else k): v for k, v in dict(data or {}).items()}
    _check_customer(shop, values, None, "data_invalid")
    record = store.customer_row(shop.tables, values, shop.now())
    shop.tables.customers[int(record["entity_id"])] = record
    return record["entity_id"]


@api("customer.update")
def customer_update(shop, customer_id, data):
    customer = customer_by_id(shop, customer_id)
    writable = CUSTOMER_ATTRIBUTES - {"entity_id"}
    changes = store.row({k: v for k, v in dict(data or {}).items() if k in writable})
    # The save's own exception is not caught by customer.update: it surfaces as fault 1.
    _check_customer(shop, {**customer, **changes}, customer["entity_id"], None)
    customer.update(changes, updated_at=shop.now())
    return True


def customer_by_id(shop, customer_id, resource: str = "customer", name: str = "not_exists") -> dict:
    found = shop.tables.customers.get(int(customer_id)) if str(customer_id).isdigit() else None
    if found is None:
        raise fault(resource, name)
    return found


def _check_customer(shop, values: dict, own_id: str | None, fault_name: str | None) -> None:
    # Mage_Customer_Model_Resource_Customer::_beforeSave
    problem = None
    if not values.get("email"):
        problem = "Customer email is required"
    elif not values.get("website_id"):
        problem = "Customer website ID must be specified when using the website scope"
    elif any(other["entity_id"] != own_id and other["email"].lower() == str(values["email"]).lower()
             and other["website_id"] == str(values["website_id"])
             for other in shop.tables.customers.values()):
        problem = "This customer email already exists"
    if problem:
        raise fault("customer", fault_name, problem) if fault_name else internal(problem)


# Products ----------------------------------------------------------------------------------------

def _product(shop, key, identifier_type=None) -> dict:
    # Mage_Catalog_Helper_Product::getProduct: "sku" looks up by SKU only, "id" by id only, and
    # without a type a string that is not a whole number is a SKU.
    kind = str(identifier_type or "").lower()
    text = str(key)
    if kind == "sku" or (not kind and not text.lstrip("+-").isdigit()):
        found = shop.tables.products.get(text)
    else:
        found = next((p for p in shop.tables.products.values() if p["entity_id"] == text), None)
    if found is None:
        raise fault("catalog_product", "product_not_exists")
    return found


def product_info_row(product: dict) -> dict:
    attributes = {k: v for k, v in product.items() if k in PRODUCT_ATTRIBUTES
                  and k not in ("entity_id", "sku", "type_id", "attribute_set_id")}
    return {"product_id": product["entity_id"], "sku": product["sku"], "set": product["attribute_set_id"],
            "type": product["type_id"], "categories": list(product["category_ids"]),
            "websites": list(product["website_ids"]), **attributes}


@api("catalog_product.list")
def product_list(shop, filters=None, store_view=None):
    aliases = {"product_id": "entity_id", "set": "attribute_set_id", "type": "type_id"}
    rows = _filtered(list(shop.tables.products.values()), filters, aliases, PRODUCT_ATTRIBUTES,
                     "catalog_product")
    return [{"product_id": p["entity_id"], "sku": p["sku"], "name": p["name"], "set": p["attribute_set_id"],
             "type": p["type_id"], "category_ids": list(p["category_ids"]),
             "website_ids": list(p["website_ids"])}
            for p in rows]


@api("catalog_product.info")
def product_info(shop, product_id, store_view=None, attributes=None, identifier_type=None):
    return product_info_row(_product(shop, product_id, identifier_type))


@api("catalog_product.create")
def product_create(shop, product_type, attribute_set, sku, data, store_view=None):
    if not product_type or not attribute_set or not sku:
        raise fault("catalog_product", "data_invalid")
    if product_type not in PRODUCT_TYPES:
        raise fault("catalog_product", "product_type_not_exists")
    if str(attribute_set) not in ATTRIBUTE_SETS:
        raise fault("catalog_product", "product_attribute_set_not_exists")
    values = _product_values(data)
    required = REQUIRED + (("weight",) if product_type in ("simple", "configurable") else ())
    missing = [name for name in required if values.get(name) in (None, "")]
    if sku in shop.tables.products:
        missing.append("sku")
    if missing:
        raise fault("catalog_product", "data_invalid",
                    "\n".join(f'Attribute "{name}" is invalid.' for name in missing))
    record = store.product_row(shop.tables, str(sku), {**values, "type_id": product_type,
                                                       "attribute_set_id": attribute_set}, shop.now())
    shop.tables.products[record["sku"]] = record
    return record["entity_id"]


@api("catalog_product.update")
def product_update(shop, product_id, data, store_view=None, identifier_type=None):
    product = _product(shop, product_id, identifier_type)
    values = _product_values(data)
    emptied = [name for name in REQUIRED if name in values and values[name] in (None, "")]
    if emptied:
        raise fault("catalog_product", "data_invalid",
                    "\n".join(f'Value for "{name}" is invalid.' for name in emptied))
    product.update(values, updated_at=shop.now())
    return True


def _product_values(data) -> dict:
    data = dict(data or {})
    values = {k: v for k, v in data.items() if k in PRODUCT_ATTRIBUTES - {"entity_id", "sku", "created_at"}}
    if isinstance(data.get("website_ids") or data.get("websites"), list):
        values["website_ids"] = data.get("website_ids") or data.get("websites")
    if isinstance(data.get("categories"), list):
        values["category_ids"] = data["categories"]
    return store.row(values)


# Stock ------------------------------------------------------------------------------------------

@api("cataloginventory_stock_item.list")
def stock_list(shop, product_ids):
    if not isinstance(product_ids, list):
        product_ids = [product_ids]
    found = [shop.tables.product(key) for key in product_ids]
    return [{"product_id": p["entity_id"], "sku": p["sku"], "qty": p["stock"]["qty"],
             "is_in_stock": p["stock"]["is_in_stock"]} for p in found if p is not None]


@api("cataloginventory_stock_item.update")
def stock_update(shop, product_id, data):
    product = shop.tables.product(product_id)
    if product is None:
        raise fault("cataloginventory_stock_item", "not_exists")
    data = dict(data or {})
    fields = ("qty", "is_in_stock", "manage_stock")
    product["stock"].update(store.row({k: data[k] for k in fields if k in data}))
    return True
