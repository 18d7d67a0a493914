"""A Magento 1 customer's address book written on load, as Magento 2's customer ``PUT`` does.

Magento 1's ``customer.create`` and ``customer.update`` take no addresses: they have their own
resource, ``customer_address`` (``list`` by customer, ``create``, ``update``, ``delete``). When a
customer record carries ``addresses`` (an empty list included), the book is made to match it:

* a stored address with the same person and place (``IDENTITY``) is kept, and updated only when
  its company, region, telephone or default flags differ;
* a wanted address with no such match is created; a stored one that matches nothing is deleted,
  as Magento 2 drops the addresses a customer ``PUT`` leaves out.

So a load delivered again finds every address matched and writes nothing: no duplicates.

The region goes through the shop's directory (``regions.RegionDirectory``): a name or code on
the country's region list is written as its ``region_id`` and name, anything else as free text.
Where the shop requires a state for a country with a region list (its
``general/region/state_required``: the United States, Germany, ... in a default install), Magento
refuses an address without ``region_id`` ("Please enter the state/province."); the record then
fails naming the address and the region, and the customer itself stays written.

Default flags are only ever set (``is_default_billing: true``): Magento 1 has no call that unsets
one, another address becoming the default does.
"""

from __future__ import annotations

from pipeline.errors import FatalError, RecordError
from pipeline.systems.magento1.client import Magento1Client
from pipeline.systems.magento1.regions import RegionDirectory

#: What makes two addresses the same one (Magento 2's loader matches on the same fields).
IDENTITY = ("firstname", "lastname", "street", "city", "postcode", "country_id")
#: The other fields an address write carries.
DETAILS = ("company", "region", "region_id", "telephone")
#: Canonical address field -> Magento 1 attribute code.
ATTRIBUTES = {"firstname": "first_name", "lastname": "last_name", "company": "company", "street": "street",
              "city": "city", "postcode": "postcode", "country_id": "country_code",
              "telephone": "telephone"}
FLAGS = {"is_default_billing": "default_billing", "is_default_shipping": "default_shipping"}


def address_data(address: dict, regions: RegionDirectory) -> dict:
    """``addressData`` of ``customer_address.create`` / ``update``: attributes by code, the region as
    the directory resolves it, flags only when set."""
    out = {code: address[ours] for code, ours in ATTRIBUTES.items()
           if address.get(ours) not in (None, "", [])}
    out.update(regions.resolve(str(address.get("country_code") or ""), address.get("region")))
    out.update({flag: True for flag, ours in FLAGS.items() if address.get(ours)})
    return out


def write_addresses(client: Magento1Client, regions: RegionDirectory, customer_id: int | str,
                    wanted: list[dict], key: str) -> None:
    """Make the customer's address book match ``wanted`` (canonical addresses), writing only differences."""
    stored = client.call("customer_address.list", customer_id) or []
    free = list(stored)
    for number, address in enumerate(wanted, start=1):
        data = address_data(address, regions)
        match = next((old for old in free if _same(old, data, IDENTITY)), None)
        try:
            if match is None:
                client.call("customer_address.create", customer_id, data)
                continue
            free.remove(match)
            if not _same(match, data, DETAILS) or _flags_missing(match, data):
                client.call("customer_address.update", match["customer_address_id"], data)
        except FatalError as error:
            raise RecordError(f"Address {number} of customer {key!r} was not written to Magento 1: "
                              f"{_unlisted(regions, address)}{error}",
                              {f"addresses.{number - 1}": [str(error)]}) from error
    for old in free:
        client.call("customer_address.delete", old["customer_address_id"])


def _unlisted(regions: RegionDirectory, address: dict) -> str:
    # Why Magento may have refused it: say which region the directory did not know.
    country, region = str(address.get("country_code") or ""), address.get("region")
    if not regions.unlisted(country, region):
        return ""
    return f"region {region!r} is not one of the shop's regions of {country} (directory_region.list); "


def _same(stored: dict, data: dict, fields: tuple[str, ...]) -> bool:
    return all(_text(stored.get(name)) == _text(data.get(name)) for name in fields)


def _flags_missing(stored: dict, data: dict) -> bool:
    return any(data.get(flag) and not _truthy(stored.get(flag)) for flag in FLAGS)


def _text(value: object) -> str:
    # Magento 1 gives a street back as its lines joined by a newline, and every value as a string.
    if isinstance(value, list):
        return "\n".join(str(line) for line in value)
    return "" if value is None else str(value).strip()


def _truthy(value: object) -> bool:
    return value not in (None, False, "", "0", 0)
