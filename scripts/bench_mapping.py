"""Mapping throughput on one core: ours vs the fair baseline, a naive loop and a hand-written dict.

    .venv/bin/python -m scripts.bench_mapping [records] [repeats]

All turn the same generated ERP customers into Customer entities. The fair baseline is what a
careful integration would write without our compiler: every expression ``jmespath.compile``d once,
one ``Customer()`` schema, ``schema.dump(schema.load(mapped))`` per record. Ratios are to it.
"""

from __future__ import annotations

import statistics
import sys
import time

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


def fair(records: list[dict]) -> int:
    options = jmespath.Options(custom_functions=MappingFunctions({"customer_group": {**GROUPS,
                                                                                     "_default": "general"}}))
    compiled = [(field, jmespath.compile(expression)) for field, expression in NAIVE_FIELDS.items()]
    schema = Customer()
    for record in records:
        mapped = {"website": "base"}
        for field, expression in compiled:
            mapped[field] = expression.search(record, options=options)
        schema.dump(schema.load(mapped))
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


def main(count: int = 20_000, repeats: int = 5) -> None:
    records = [synthetic_customer(n) for n in range(count)]
    mapper = Mapper(load_mapping(MAPPING))

    def ours() -> int:
        for record in records:
            mapper.map(record)
        return count

    # Interleaved, so that a burst of load from other processes hits every row alike.
    contenders = [("fair: compiled once, one schema, dump(load())", lambda: fair(records)),
                  ("ours: Mapper.map (validated, normalised)", ours),
                  ("naive: jmespath.search + Schema().load", lambda: naive(records)),
                  ("hand-written dict (no validation)", lambda: hand_written(records))]
    rates = {name: [] for name, _ in contenders}
    for _ in range(repeats):
        for name, work in contenders:
            rates[name].append(median_rate(work, repeats=1, clock=time.process_time))
    rows = [(name, statistics.median(values)) for name, values in rates.items()]
    table(f"Mapping {count:,} customers, CPU records/s of one process (median of {repeats}, interleaved)", rows)
    for name, values in rates.items():
        print(f"  {name:44} runs: {', '.join(f'{value:,.0f}' for value in values)}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
