"""Customer addresses: ``customer_address.list``, ``info``, ``create``, ``update``, ``delete``.

As ``Mage_Customer_Model_Address_Api`` does: only the address entity's attributes are set (others
are ignored by Magento; the emulator also records them as violations, since our client should not
send them); ``is_default_billing``/``is_default_shipping`` make the address the customer's default;
the address is validated as ``Mage_Customer_Model_Address_Abstract::validate`` does, its messages
joined by newlines in fault 100 ``data_invalid`` (a country with a region list whose state is
required needs a ``region_id``); a ``region_id`` of the address's country sets ``region`` to the
directory's name, as ``getRegion`` does on save. An unknown customer is fault 101, an unknown
address fault 102.
"""

from __future__ import annotations

from pipeline.testing.magento1 import store
from pipeline.testing.magento1.api import api, fault
from pipeline.testing.magento1.catalog import customer_by_id
from pipeline.testing.magento1.directory import region_by_id, regions_of

RESOURCE = "customer_address"
#: The address entity's attributes (``customer_address`` EAV).
ADDRESS_ATTRIBUTES = frozenset({
    "prefix", "firstname", "middlename", "lastname", "suffix", "company", "street", "city", "country_id",
    "region", "region_id", "postcode", "telephone", "fax", "vat_id",
})
FLAGS = ("is_default_billing", "is_default_shipping")
#: Countries whose state is required (``general/region/state_required`` of a default OpenMage install):
#: an address there needs a ``region_id`` when the directory has regions for the country.
STATE_REQUIRED = frozenset({"AT", "CA", "CH", "DE", "EE", "ES", "FI", "FR", "LT", "LV", "RO", "US"})
#: ``Mage_Directory_Helper_Data::getCountriesWithOptionalZip`` of a default install.
OPTIONAL_ZIP = frozenset({"HK", "IE", "MO", "PA"})


def address_out(customer: dict, address: dict) -> dict:
    # Mage_Customer_Model_Address_Api::items/info: entity_id as customer_address_id, the set
    # attributes, and the two default flags as PHP booleans.
    return {"customer_address_id": address["entity_id"],
            **{k: v for k, v in address.items() if k not in ("entity_id", "parent_id") and v is not None},
            "is_default_billing": customer.get("default_billing") == address["entity_id"],
            "is_default_shipping": customer.get("default_shipping") == address["entity_id"]}


@api("customer_address.list")
def customer_address_list(shop, customer_id):
    customer = customer_by_id(shop, customer_id, RESOURCE, "customer_not_exists")
    return [address_out(customer, address) for address in customer["addresses"]]


@api("customer_address.info")
def customer_address_info(shop, address_id):
    customer, address = _address(shop, address_id)
    return address_out(customer, address)


@api("customer_address.create")
def customer_address_create(shop, customer_id, address_data):
    customer = customer_by_id(shop, customer_id, RESOURCE, "customer_not_exists")
    values = _with_region_name(_settable(shop, address_data))
    _validate(values)
    now = shop.now()
    address = store.row({"entity_id": shop.tables.next_id("customer_address"), "parent_id": customer["entity_id"],
                         "created_at": now, "updated_at": now, **values})
    customer["addresses"].append(address)
    _defaults(customer, address, address_data)
    return int(address["entity_id"])


@api("customer_address.update")
def customer_address_update(shop, address_id, address_data):
    customer, address = _address(shop, address_id)
    values = _settable(shop, address_data)
    values = _with_region_name({**values, "country_id": values.get("country_id") or address.get("country_id")})
    _validate({**address, **values})
    address.update(values, updated_at=shop.now())
    _defaults(customer, address, address_data)
    return True


@api("customer_address.delete")
def customer_address_delete(shop, address_id):
    customer, address = _address(shop, address_id)
    customer["addresses"].remove(address)
    for flag in ("default_billing", "default_shipping"):
        if customer.get(flag) == address["entity_id"]:
            customer[flag] = None
    return True


def _address(shop, address_id) -> tuple[dict, dict]:
    for customer in shop.tables.customers.values():
        for address in customer["addresses"]:
            if address["entity_id"] == str(address_id):
                return customer, address
    raise fault(RESOURCE, "not_exists")


def _settable(shop, data) -> dict:
    data = dict(data or {})
    ignored = sorted(set(data) - ADDRESS_ATTRIBUTES - set(FLAGS))
    if ignored:
        shop.violations.append(f"customer_address: {', '.join(ignored)} are not address attributes (ignored).")
    return store.row({name: value for name, value in data.items() if name in ADDRESS_ATTRIBUTES})


def _with_region_name(values: dict) -> dict:
    # Mage_Customer_Model_Address_Abstract::getRegion: a region_id of the address's country wins
    # over the free-text region.
    found = region_by_id(values["region_id"]) if values.get("region_id") else None
    if found is not None and found[0] == values.get("country_id"):
        values["region"] = found[1]["name"]
    return values


def _defaults(customer: dict, address: dict, data) -> None:
    for flag, column in zip(FLAGS, ("default_billing", "default_shipping"), strict=True):
        if (data or {}).get(flag) not in (None, False, "", "0", 0):
            customer[column] = address["entity_id"]


def _validate(values: dict) -> None:
    # Mage_Customer_Model_Address_Abstract::validate, in its order.
    errors = [message for name, message in (
        ("firstname", "Please enter the first name."), ("lastname", "Please enter the last name."),
        ("street", "Please enter the street."), ("city", "Please enter the city."),
        ("telephone", "Please enter the telephone number.")) if not str(values.get(name) or "").strip()]
    country = str(values.get("country_id") or "")
    if country not in OPTIONAL_ZIP and not str(values.get("postcode") or "").strip():
        errors.append("Please enter the zip/postal code.")
    if not country:
        errors.append("Please enter the country.")
    if regions_of(country) and country in STATE_REQUIRED and not str(values.get("region_id") or "").strip():
        errors.append("Please enter the state/province.")
    if errors:
        raise fault(RESOURCE, "data_invalid", "\n".join(errors))
