"""The directory: ``directory_country.list`` and ``directory_region.list``, as OpenMage answers them.

``Mage_Directory_Model_Country_Api::items`` lists ``country_id``, ``iso2_code``, ``iso3_code`` and
``name``; ``Mage_Directory_Model_Region_Api::items($country)`` loads the country by its ISO-2 or
ISO-3 code and lists its regions' ``region_id``, ``code`` and ``name`` (an empty list for a country
without a region list). A code of another length is fault 101 with the directory's own message
("Invalid country code: X"), an unknown one fault 101 "Country not exists.". The countries and
regions are the Magento 2 emulator's (``pipeline.testing.directory``).
"""

from __future__ import annotations

from pipeline.testing.directory import COUNTRIES
from pipeline.testing.magento1.api import api, fault

RESOURCE = "directory_region"


@api("directory_country.list")
def directory_country_list(shop):
    return [{"country_id": code, "iso2_code": code, "iso3_code": known["iso3"], "name": known["name"]}
            for code, known in COUNTRIES.items()]


@api("directory_region.list")
def directory_region_list(shop, country):
    return [{"region_id": str(region["id"]), "code": region["code"], "name": region["name"]}
            for region in regions_of(country_code(country))]


def country_code(country) -> str:
    """The ISO-2 code of ``country`` (given by ISO-2 or ISO-3 code), as ``loadByCode`` finds it."""
    code = str(country or "")
    if len(code) not in (2, 3):
        raise fault(RESOURCE, "country_not_exists", f"Invalid country code: {code}")
    found = next((iso2 for iso2, known in COUNTRIES.items() if code.upper() in (iso2, known["iso3"])), None)
    if found is None:
        raise fault(RESOURCE, "country_not_exists")
    return found


def regions_of(country: str) -> list[dict]:
    """The regions of a known ISO-2 ``country`` (none for a country the directory does not know)."""
    return list(COUNTRIES.get(country, {}).get("regions") or [])


def region_by_id(region_id) -> tuple[str, dict] | None:
    """(country, region) of ``region_id``, as ``Mage_Directory_Model_Region::load`` finds it."""
    for country, known in COUNTRIES.items():
        for region in known["regions"]:
            if str(region["id"]) == str(region_id).strip():
                return country, region
    return None
