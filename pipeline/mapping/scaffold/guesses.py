"""Guessing a field's source expression from a sample record: ``first_name`` <- ``firstname``, ``FirstName``.

A guess is only a starting point: the scaffolded mapping marks each one for the author to check.
"""

from __future__ import annotations

import re

#: Canonical field -> other names systems commonly use for it (normalised: lower case, no separators).
SYNONYMS = {
    "postcode": ("zip", "zipcode", "postalcode", "postal"),
    "telephone": ("phone", "phonenumber", "tel", "addrphone"),
    "country_code": ("countryid", "country", "countryiso"),
    "region": ("state", "province", "provincecode", "regioncode"),
    "street": ("address1", "addr1", "streetaddress", "address"),
    "external_id": ("id", "entityid", "customerid", "internalid"),
    "email": ("emailaddress", "mail"),
    "dob": ("birthday", "dateofbirth", "birthdate"),
    "company": ("companyname", "organization"),
    "first_name": ("firstname", "givenname", "fname"),
    "last_name": ("lastname", "familyname", "surname", "lname"),
    "default_billing": ("isdefaultbilling", "defaultbilling", "default"),
    "default_shipping": ("isdefaultshipping", "defaultshipping", "default"),
}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess(field: str, record: dict) -> str | None:
    """The key of ``record`` that most likely holds ``field``, as a JMESPath expression, or None."""
    by_name = {normalised(key): key for key in record}
    for candidate in (normalised(field), *SYNONYMS.get(field, ())):
        if candidate in by_name:
            return expression(by_name[candidate])
    return None


def expression(key: str) -> str:
    """``key`` as a JMESPath field: bare when it is an identifier, else a quoted identifier."""
    return key if IDENTIFIER.match(key) else '"' + key.replace('"', '\\"') + '"'
