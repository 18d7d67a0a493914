"""Packing a page's Redis commands: ``DirectPacker`` (``pipeline/redis_clients.py``) vs redis-py's own packer.

    .venv/bin/python -m scripts.bench_packing [pages] [repeats]

The commands are shaped as those a page of 100 records sends through the books (built here, with
the books' argument layout and JSON entries): the map step's booking script (key, hash and waiting
entry a record), the load step's read of the loaded hashes, and its ledger writes (key and entry a
record, the waiting marks cleared). The baseline is redis-py's packer as its connections build it with
hiredis installed: every argument through its Python encoder, then ``hiredis.pack_command``. CPU time,
interleaved.
"""

from __future__ import annotations

import statistics
import sys
import time

import orjson
import redis

from pipeline.redis_clients import DirectPacker
from scripts.bench.common import table


def page_commands(page: int) -> list[tuple]:
    keys = [f"customer-{page}-{n}@example.com" for n in range(100)]
    hashes = [f"{page * 100 + n:040x}" for n in range(100)]
    now = time.time()
    waiting = [orjson.dumps({"run_id": "20261206T210000-abcdef12", "hash": h, "at": now}) for h in hashes]
    last = [orjson.dumps({"status": "done", "run_id": "20261206T210000-abcdef12", "message_id": "m",
                          "at": now, "error": None}) for _ in keys]
    booking = [value for triple in zip(keys, hashes, waiting, strict=True) for value in triple]
    return [
        ("EVALSHA", "0" * 40, 5, "ns:run:r", "ns:run:r:booked", "ns:run:r:decided", "ns:ledger:c:waiting",
         "ns:ledger:c:last", "r:3:m", "0", now, 3600, b'{"status":"skipped"}', 0, 86400, *booking),
        ("HMGET", "ns:ledger:c:loaded", *keys),
        ("HSET", "ns:ledger:c:last", *(value for pair in zip(keys, last, strict=True) for value in pair)),
        ("HDEL", "ns:ledger:c:waiting", *keys),
        ("HSET", "ns:ledger:c:loaded", *(value for pair in zip(keys, waiting, strict=True)
                                          for value in pair)),
    ]


def main(pages: int = 2_000, repeats: int = 5) -> None:
    # Connections of redis-py's, never connected: packing needs no server.
    packers = {"redis-py's packer (hiredis installed)": redis.Connection().pack_command,
               "DirectPacker": redis.Connection(command_packer=DirectPacker()).pack_command}
    commands = [command for page in range(pages) for command in page_commands(page)]
    for command in commands[:5]:  # the same bytes, or the comparison means nothing
        assert b"".join(packers["DirectPacker"](*command)) == b"".join(
            packers["redis-py's packer (hiredis installed)"](*command))
    rates: dict[str, list[float]] = {name: [] for name in packers}
    for _ in range(repeats):
        for name, packer in packers.items():
            started = time.process_time()
            for command in commands:
                packer(*command)
            rates[name].append(pages / (time.process_time() - started))
    rows = [(name, statistics.median(values)) for name, values in rates.items()]
    table(f"Packing a page's books commands ({pages:,} pages of 100 records, CPU, median of {repeats})", rows,
          unit="pages/s")
    for name, rate in rows:
        print(f"  {name:44} {1e6 / rate:8.1f} us a page, {1e4 / rate:5.2f} us a record")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
