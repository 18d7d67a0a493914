"""The carried tables drive the payload builders: every ``Copy`` entry arrives where the table says.

For each vendor system and entity, a record whose copied field holds a marker value goes through
the system's own payload builder; the marker must come out under the entry's ``Copy.to`` (at the
payload's top for a top-level field, inside its part's object for ``addresses.city`` and the like).
A builder that dropped a copied field, or a table naming a place the builder does not fill, fails
here, so a table and a builder cannot disagree.
"""

from __future__ import annotations

import copy

import pytest

from pipeline.systems.base import LoadItem
from pipeline.systems.carrying import Copy, copy_into
from pipeline.systems.magento1 import payloads as m1
from pipeline.systems.magento1.carried import CARRIES as M1
from pipeline.systems.magento2 import documents, payloads as m2
from pipeline.systems.magento2.carried import CARRIES as M2
from pipeline.systems.mailchimp import payloads as mc
from pipeline.systems.mailchimp.carried import CARRIES as MC
from pipeline.systems.netsuite import payloads as ns
from pipeline.systems.netsuite.carried import CARRIES as NS

ADDRESS = {"first_name": "Ada", "last_name": "Byron", "street": ["1 Park Row"], "city": "Leeds",
           "postcode": "LS1 5HD", "country_code": "GB", "default_billing": True}
RECORDS = {
    "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Byron", "addresses": [ADDRESS]},
    "order": {"order_number": "000000001", "customer_email": "ada@example.com", "currency": "GBP",
              "created_at": "2026-01-02T03:04:05+00:00", "status": "open", "grand_total": "10",
              "billing_address": ADDRESS, "shipping_address": ADDRESS,
              "lines": [{"sku": "MUG", "qty": "1", "price": "10"}]},
    "product": {"sku": "MUG", "name": "Mug", "price": "10"},
    "inventory": {"sku": "MUG", "quantity": "3"},
    "shipment": {"shipment_number": "S1", "order_number": "000000001",
                 "tracks": [{"carrier_code": "ups", "track_number": "1Z"}]},
}
BUILDERS = {
    ("netsuite", "customer"): lambda data: ns.customer_payload(data, {}),
    ("netsuite", "order"): lambda data: ns.order_payload(data, {}, customer_id="7", item_ids={"MUG": "5"}),
    ("magento2", "customer"): lambda data: {**m2.customer(data, 1),
                                            "addresses": [m2.address(one, None) for one in data["addresses"]]},
    ("magento2", "product"): m2.product,
    ("magento2", "inventory"): m2.source_item,
    ("magento2", "shipment"): lambda data: documents._body(documents.KINDS["shipment"], data, {}),
    ("magento1", "customer"): lambda data: m1.customer(data, 1, {}),
    ("magento1", "product"): lambda data: m1.product(data, {}),
    ("mailchimp", "customer"): lambda data: mc.member(LoadItem(data["email"], data, {}), "pending")[0],
    ("mailchimp", "order"): lambda data: mc.order(LoadItem(data["order_number"], data, {})),
    ("mailchimp", "product"): lambda data: mc.product(LoadItem(data["sku"], data, {})),
}
TABLES = {"netsuite": NS, "magento2": M2, "magento1": M1, "mailchimp": MC}
COPIES = [(system, entity, path, where) for system, table in TABLES.items() for entity, fields in table.items()
          for path, where in fields.items() if isinstance(where, Copy)]


def marked(entity: str, path: str) -> tuple[dict, str]:
    """The entity's record with the field at ``path`` (in every part that has it) set to a marker."""
    record, marker = copy.deepcopy(RECORDS[entity]), f"<{path}>"
    parent, _, name = path.rpartition(".")
    if not parent:
        record[name] = marker
    else:
        parts = record[parent] if isinstance(record[parent], list) else [record[parent]]
        for part in parts:
            part[name] = marker
    return record, marker


def places(value: object, path: str = "") -> set[str]:
    """Every dotted key path under which ``value`` holds a marker string (list positions left out)."""
    if isinstance(value, dict):
        return {found for key, item in value.items() for found in places(item, f"{path}.{key}" if path else key)}
    if isinstance(value, list):
        return {found for item in value for found in places(item, path)}
    return {f"{path}={value}"} if isinstance(value, str) and value.startswith("<") else set()


def test_every_system_with_copies_has_a_builder_checked_here():
    assert {(system, entity) for system, entity, _, _ in COPIES} <= set(BUILDERS)


@pytest.mark.parametrize("system, entity, path, where", COPIES, ids=lambda value: str(value))
def test_a_copied_field_arrives_where_its_table_says(system, entity, path, where):
    record, marker = marked(entity, path)
    found = places(BUILDERS[system, entity](record))
    expected = f"{where.to}={marker}"
    if "." not in path:
        assert expected in found, found
    else:
        # The part's object sits somewhere (addressBook.items.addressBookAddress, item.items, ...).
        assert any(place.endswith(f".{expected}") for place in found), found


def test_copy_into_copies_set_values_of_its_part_to_nested_targets():
    table = {"email": Copy("email_address"), "first_name": Copy("merge_fields.FNAME"), "group": "group_id",
             "addresses.city": Copy("city", within="addresses")}
    assert copy_into({"status": "x"}, {"email": "a@b.c", "first_name": "Ada", "group": "3", "last_name": None},
                     table) == {"status": "x", "email_address": "a@b.c", "merge_fields": {"FNAME": "Ada"}}
    assert copy_into({}, {"city": "Leeds", "email": "a@b.c"}, table, part="addresses") == {"city": "Leeds"}
    assert copy_into({}, {"first_name": None}, table) == {}
    assert str(table["addresses.city"]) == "addresses.city" and Copy("zip").within("billingAddress") == \
        "billingAddress.zip"
