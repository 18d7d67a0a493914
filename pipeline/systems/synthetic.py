"""Generated records and a sink: for load tests, benchmarks and trying a mapping at scale.

As a source it streams ``PIPELINE_<CONNECTION>_RECORDS`` customers (default 1,000), built page
by page so memory stays flat at any count; the cursor is the position reached. As a target it
accepts every record and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from pipeline.errors import ConfigError
from pipeline.systems.base import LoadItem, Page, connection_env

COUNTRIES = ("DE", "GB", "US", "FR", "NL")


def synthetic_customer(number: int) -> dict:
    """The ``number``-th generated customer, in an ERP export's shape."""
    return {"CustomerId": f"C-{number:08d}", "Email": f" Customer.{number}@Example.com ", "First": f"First{number}",
            "Last": f"Last{number}", "GroupId": str(number % 4), "Newsletter": "yes" if number % 3 else "no",
            "Birthday": "01.02.1990", "Modified": "2026-11-01 10:00:00", "Street": f"{number} Main St|Floor 2",
            "City": "Berlin", "Zip": "10115", "Country": COUNTRIES[number % len(COUNTRIES)], "Phone": "+49 30 1234"}


class SyntheticSystem:
    name = "synthetic"
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("id",)

    def __init__(self, records: int) -> None:
        self.records = records

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> SyntheticSystem:
        raw = connection_env(connection, environ, "RECORDS", "1000")
        if not raw.isdigit():
            raise ConfigError(f"PIPELINE_{connection.upper()}_RECORDS={raw!r} is not a whole number.")
        return cls(int(raw))

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        for start in range(int(since or 0), self.records, page_size):
            end = min(start + page_size, self.records)
            yield Page(records=[synthetic_customer(n) for n in range(start, end)], cursor=str(end))

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        return [None] * len(items)
