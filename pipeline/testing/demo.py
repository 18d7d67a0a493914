"""Demo data for ``connector emulate --seed demo``: a few records in each emulator, so that every
shipped integration has something to move on its first run.

One record per system is wrong on purpose (a NetSuite customer without an email, a Magento 1
customer with a broken one), so the first runs also show how a failed record is reported.
"""

from __future__ import annotations

from pipeline.testing.magento1 import Magento1Emulator
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.mailchimp import MailchimpEmulator
from pipeline.testing.netsuite import NetSuiteEmulator


def _ns_address(addressee: str, street: str, city: str, zip_code: str, country: str, state: str | None = None) -> dict:
    address = {"addressee": addressee, "addr1": street, "city": city, "zip": zip_code,
               "country": {"id": country, "refName": country}, **({"state": state} if state else {})}
    return {"defaultBilling": True, "defaultShipping": True, "label": street, "addressBookAddress": address}


def _ns_location(location_id: str, name: str, quantity: float) -> dict:
    return {"location": {"id": location_id, "refName": name}, "quantityAvailable": quantity,
            "quantityOnHand": quantity}


def seed_netsuite(erp: NetSuiteEmulator) -> None:
    store = erp.store
    store.add("customer", {
        "isPerson": True, "firstName": "Ada", "lastName": "Lovelace", "email": "ada.lovelace@example.com",
        "category": {"id": "2", "refName": "Wholesale"},
        "addressBook": {"items": [_ns_address("Ada Lovelace", "12 Analytical Street", "London", "W1T 2AB", "GB")]}})
    store.add("customer", {
        "isPerson": True, "firstName": "Grace", "lastName": "Hopper", "email": "grace.hopper@example.com",
        "addressBook": {"items": [_ns_address("Grace Hopper", "350 Fifth Avenue", "New York", "10118", "US", "NY")]}})
    # No email: a shop cannot have this customer; its run reports it, named, as a failed record.
    store.add("customer", {"isPerson": True, "firstName": "Walk-in", "lastName": "Customer"})
    for sku, name, price, quantity in (("WS12-M-Orange", "Radiant Tee M Orange", 22.5, 40),
                                       ("MUG-LOGO", "Logo Mug", 9.9, 5)):
        store.add("inventoryItem", {"itemId": sku, "displayName": name, "basePrice": price, "isInactive": False,
                                    "locations": {"items": [_ns_location("1", "Main Warehouse", quantity)]}})


def seed_magento2(shop: Magento2Emulator) -> None:
    for sku, name, price in (("WS12-M-Orange", "Radiant Tee M Orange", 22.5), ("MUG-LOGO", "Logo Mug", 9.9)):
        shop.add_product(sku, name=name, price=price)
    address = {"firstname": "Veronica", "lastname": "Costello", "street": ["6146 Honey Bluff Parkway"],
               "city": "Calder", "postcode": "49628-7978", "country_id": "US", "telephone": "(555) 229-3326",
               "region": "Michigan", "region_code": "MI", "region_id": 33}
    shop.add_customer(email="veronica.costello@example.com", firstname="Veronica", lastname="Costello",
                      addresses=[{**address, "default_billing": True, "default_shipping": True}])
    shop.add_order(customer_email="veronica.costello@example.com", customer_firstname="Veronica",
                   customer_lastname="Costello", customer_is_guest=0,
                   items=[{"sku": "MUG-LOGO", "name": "Logo Mug", "qty_ordered": 2, "price": 9.9}],
                   billing_address={**address, "address_type": "billing"})


def seed_mailchimp(chimp: MailchimpEmulator) -> None:
    chimp.add_member("newsletter.reader@example.com", merge_fields={"FNAME": "Newsletter", "LNAME": "Reader"})


def seed_magento1(shop: Magento1Emulator) -> None:
    shop.add_customer("jan.de.vries@example.nl", firstname="Jan", lastname="de Vries", group_id=1, addresses=[{
        "firstname": "Jan", "lastname": "de Vries", "street": ["Keizersgracht 123"], "city": "Amsterdam",
        "postcode": "1015 CJ", "country_id": "NL", "telephone": "+31 20 555 0123", "default_billing": True,
        "default_shipping": True}])
    # A broken email: its run reports it as a failed record.
    shop.add_customer("not-an-address", firstname="Bad", lastname="Email")
    for sku, name in (("WS12-M-Orange", "Radiant Tee M Orange"), ("MUG-LOGO", "Logo Mug")):
        shop.add_product(sku, name=name, qty=5)
    shop.add_order(customer_email="jan.de.vries@example.nl", customer_firstname="Jan", customer_lastname="de Vries",
                   items=[{"sku": "MUG-LOGO", "name": "Logo Mug", "qty_ordered": 1, "price": 9.9}])


#: System name -> its seeding function.
SEEDS = {"magento1": seed_magento1, "magento2": seed_magento2, "mailchimp": seed_mailchimp,
         "netsuite": seed_netsuite}
