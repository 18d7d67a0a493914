"""Mapping throughput on one core: ours vs a naive JMESPath + marshmallow loop vs a hand-written dict.

    .venv/bin/python scripts/bench_mapping.py [records]

All three turn the same generated ERP customers into validated Customer entities.
"""

from __future__ import annotations

import sys

import jmespath

from pipeline.entities.customer import Customer
from pipeline.mapping import Mapper, load_mapping
from pipeline.mapping.functions import MappingFunctions
from pipeline.systems.synthetic import synthetic_customer
from scripts.bench.common import ROOT, median_rate, table

MAPPING = ROOT / "scripts" / "bench" / "mappings" / "bench_customer.yaml"
#: The same mapping, as a naive integration would write it: one expression string per field.
NAIVE_FIELDS = {
    "email": "lower(trim(Email))", "first_name": "trim(First)", "last_name": "trim(Last)",
    "external_id": "CustomerId", "group": "map_value('customer_group', GroupId)",
    "is_subscribed": "Newsletter == 'yes'", "dob": "to_date(Birthday, '%d.%m.%Y')",
    "updated_at": "to_datetime(Modified, '%Y-%m-%d %H:%M:%S')",
    "addresses": "[@][*].{street: split(Street, '|'), city: City, postcode: Zip, country_code: Country, "
                 "telephone: Phone}",
}
GROUPS = {"1": "general", "2": "wholesale", "3": "retailer"}


def naive(records: list[dict]) -> int:
    options = jmespath.Options(custom_functions=MappingFunctions({"customer_group": {**GROUPS,
                                                                                     "_default": "general"}}))
    for record in records:
        mapped = {"website": "base"}
        for field, expression in NAIVE_FIELDS.items():
            mapped[field] = jmespath.search(expression, record, options=options)
        Customer().load(mapped)
    return len(records)


def hand_written(records: list[dict]) -> int:
    from datetime import datetime, timezone

    for record in records:
        {"email": record["Email"].strip().lower(), "first_name": record["First"].strip(),
         "last_name": record["Last"].strip(), "external_id": record["CustomerId"],
         "group": GROUPS.get(record["GroupId"], "general"), "website": "base",
         "is_subscribed": record["Newsletter"] == "yes",
         "dob": datetime.strptime(record["Birthday"], "%d.%m.%Y").date().isoformat(),
         "updated_at": datetime.strptime(record["Modified"], "%Y-%m-%d %H:%M:%S")
         .replace(tzinfo=timezone.utc).isoformat(),
         "addresses": [{"street": record["Street"].split("|"), "city": record["City"], "postcode": record["Zip"],
                        "country_code": record["Country"], "telephone": record["Phone"]}]}
    return len(records)


def main(count: int = 20_000) -> None:
    records = [synthetic_customer(n) for n in range(count)]
    mapper = Mapper(load_mapping(MAPPING))

    def ours() -> int:
        for record in records:
            mapper.map(record)
        return count

    rows = [("naive: jmespath.search + Schema().load", median_rate(lambda: naive(records))),
            ("ours: Mapper.map (validated, normalised)", median_rate(ours)),
            ("hand-written dict (no validation)", median_rate(lambda: hand_written(records)))]
    table(f"Mapping {count:,} customers on one core (median of 5)", rows)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
