"""The countries and regions the shop emulators know: one directory, so Magento 1 and 2 agree.

Each country: its English name, ISO 3166 alpha-3 code, whether Magento 2's default install requires
a state there (``required``), and its regions as Magento's ``directory_country_region`` rows
(``id``, ``code``, ``name``).
"""

from __future__ import annotations

#: Countries the directory knows; ``required`` countries need a region id on addresses.
COUNTRIES = {
    "US": {"name": "United States", "iso3": "USA", "required": True,
           "regions": [{"id": "12", "code": "CA", "name": "California"},
                       {"id": "43", "code": "NY", "name": "New York"},
                       {"id": "57", "code": "TX", "name": "Texas"}]},
    "DE": {"name": "Germany", "iso3": "DEU", "required": False,
           "regions": [{"id": "82", "code": "BAY", "name": "Bayern"},
                       {"id": "88", "code": "BER", "name": "Berlin"}]},
    "GB": {"name": "United Kingdom", "iso3": "GBR", "required": False, "regions": []},
    "FR": {"name": "France", "iso3": "FRA", "required": False, "regions": []},
}
