"""What describing a system in YAML costs: Magento 2 customers read and written by the Python system
and by systems/magento2_rest.yaml, against the same emulator, in the same run.

    .venv/bin/python -m scripts.bench_declarative [records] [--yaml-first] [--read-only] [--same-second]

Both read all customers (pages of 100, OAuth 1.0a signed) and write the same customers back (a lookup
by email, then an update). Reported: records/s of each and the ratio; the emulator's own time is in
both, so the ratio shows the client-side overhead of the declarative layer (JMESPath, templates).
``--read-only`` skips the writes (minutes at 2,000 records on a busy machine); ``--same-second``
stamps every customer with one change time (a bulk import), the case where an incremental cursor
that re-sorted its window on every page grew quadratic.
"""

from __future__ import annotations

import sys
import time
from itertools import chain

from pipeline.systems import build_system
from pipeline.systems.base import LoadItem
from pipeline.systems.declarative import DeclaredSystem, load_system_file
from pipeline.testing.clock import Clock
from pipeline.testing.magento2 import Magento2Emulator

SYSTEM_FILE = "systems/magento2_rest.yaml"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main(count: int = 2_000) -> None:
    clock = Clock("2024-05-01T10:00:00") if "--same-second" in sys.argv else None
    with Magento2Emulator(clock=clock) as shop:
        for n in range(count):
            shop.add_customer(email=f"c{n}@example.com", firstname="C", lastname=str(n))
        environ = {**shop.environ("shop", "oauth"), "PIPELINE_SHOP_BULK_THRESHOLD": "0",
                   "PIPELINE_NAMESPACE": "bench-declarative"}
        systems = {"python magento2": build_system("magento2", "shop", environ),
                   "magento2_rest.yaml": DeclaredSystem.build(load_system_file(SYSTEM_FILE), "shop", environ)}
        if "--yaml-first" in sys.argv:
            systems = dict(reversed(list(systems.items())))
        items = [LoadItem(f"c{n}@example.com", {"email": f"c{n}@example.com", "first_name": "D",
                                                "last_name": str(n)}, {}) for n in range(count)]
        rows = {}
        for name, system in systems.items():
            read_s, records = timed(lambda s=system: list(chain.from_iterable(
                page.records for page in s.extract("customer", since=None, refs=None, page_size=100))))
            assert len(records) == count, (name, len(records))
            if "--read-only" in sys.argv:
                rows[name] = (count / read_s, float("nan"))
                continue
            write_s, outcomes = timed(lambda s=system: s.load("customer", items))
            assert outcomes == [None] * count, name
            rows[name] = (count / read_s, count / write_s)
    print(f"{'system':22} {'read records/s':>15} {'write records/s':>16}")
    for name, (read, write) in rows.items():
        print(f"{name:22} {read:15,.0f} {write:16,.0f}")
    (py_read, py_write), (yaml_read, yaml_write) = rows["python magento2"], rows["magento2_rest.yaml"]
    print(f"{'ratio yaml / python':22} {yaml_read / py_read:15.2f} {yaml_write / py_write:16.2f}")


if __name__ == "__main__":
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    main(int(numbers[0]) if numbers else 2_000)
