"""A country's regions from Magento 1's directory, read once per country per connection.

Magento 1 validates a customer address's state by ``region_id`` (in countries that have a region
list and whose state the shop requires: ``general/region/state_required``), while canonical
addresses carry a region name or code. ``directory_region.list(country)`` gives each region's
``region_id``, ``code`` and ``name``; a region is matched by code or name, case-insensitively, as
the Magento 2 system does with its directory. A country without a region list (or one the shop's
directory does not know, fault 101 ``country_not_exists``) keeps the region as free text, which is
what Magento itself stores there.
"""

from __future__ import annotations

from pipeline.errors import NotFoundError
from pipeline.systems.magento1.client import Magento1Client


class RegionDirectory:
    """``directory_region.list`` per country, cached for the life of the connection."""

    def __init__(self, client: Magento1Client) -> None:
        self.client = client
        self._regions: dict[str, list[dict]] = {}

    def regions(self, country: str) -> list[dict]:
        """The country's regions (``region_id``, ``code``, ``name``); empty without a region list."""
        if country not in self._regions:
            try:
                found = self.client.call("directory_region.list", country) or []
            except NotFoundError:
                found = []
            self._regions[country] = list(found)
        return self._regions[country]

    def resolve(self, country: str, region: str | None) -> dict:
        """``region`` / ``region_id`` attributes of an address: the listed region, else the free text.

        >>> directory = RegionDirectory(None)
        >>> directory._regions["US"] = [{"region_id": "43", "code": "NY", "name": "New York"}]
        >>> directory.resolve("US", "ny"), directory.resolve("US", "Narnia"), directory.resolve("US", None)
        ({'region': 'New York', 'region_id': 43}, {'region': 'Narnia'}, {})
        """
        if not region or not str(region).strip():
            return {}
        wanted = str(region).strip().lower()
        for known in self.regions(country):
            if wanted in (str(known.get("code") or "").lower(), str(known.get("name") or "").lower()):
                return {"region": known["name"], "region_id": int(known["region_id"])}
        return {"region": str(region).strip()}

    def unlisted(self, country: str, region: str | None) -> bool:
        """The country has a region list and ``region`` (given) is not on it: Magento may refuse it."""
        if not region or not self.regions(country):
            return False
        return "region_id" not in self.resolve(country, region)
