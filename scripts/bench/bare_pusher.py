"""The vendor-limited baseline: what a competent user would write without our queue.

    python -m scripts.bench.bare_pusher <integration> <processes> <threads>

The same integration, mapping, NetSuite client and concurrency budget as the workers (built from the
same environment), but no queue, no books, no status: each process takes every n-th source record,
and its threads map and load them one at a time, as fast as the budget lets them. It measures
what Python clients sharing this machine with the emulator can keep in flight.
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
import threading

from pipeline.app import App


def push_share(integration_name: str, share: int, shares: int, threads: int) -> None:
    integration = App.from_env().integrations[integration_name]
    mapper, target, entity = integration.mapper, integration.target, integration.spec.entity
    todo: queue.SimpleQueue = queue.SimpleQueue()
    pages = integration.source.extract(integration.spec.source.entity, since=None, refs=None, page_size=100)
    for number, record in enumerate(record for page in pages for record in page.records):
        if number % shares == share:
            todo.put(record)

    def work() -> None:
        while True:
            try:
                record = todo.get_nowait()
            except queue.Empty:
                return
            (outcome,) = target.load(entity, [mapper.map(record)])
            if outcome is not None:
                raise outcome

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def main(integration_name: str, processes: str, threads: str) -> None:
    shares = int(processes)
    pool = [multiprocessing.Process(target=push_share, args=(integration_name, share, shares, int(threads)))
            for share in range(shares)]
    for process in pool:
        process.start()
    for process in pool:
        process.join()
    if any(process.exitcode for process in pool):
        raise SystemExit("a pusher process failed")


if __name__ == "__main__":
    main(*sys.argv[1:])
