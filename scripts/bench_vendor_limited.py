"""Vendor-limited throughput: customers into the NetSuite emulator at 100 ms a request, 10 at a time.

    .venv/bin/python -m scripts.bench_vendor_limited [records]

The account allows 10 requests in flight (the emulator answers 429 past that); at 100 ms each the
ceiling is 10 / 0.1 s = 100 requests/s. Workers run 2 processes x 8 threads (16 > 10), so only our
concurrency budget keeps them inside the limit. Reported: requests/s against the ceiling, and the
429s we caused.
"""

from __future__ import annotations

import sys
import threading
import time

from pipeline.testing.netsuite import NetSuiteEmulator
from pipeline.testing.server import Faults
from scripts.bench.common import RedisPrefix, Workers, pipeline_env, start_run, wait_for_run

LATENCY_S, LIMIT = 0.1, 10


class InFlight:
    """Samples the emulator's requests in flight every 10 ms, to see how full the budget was kept."""

    def __init__(self, emulator: NetSuiteEmulator) -> None:
        self.emulator, self.samples, self.running = emulator, [], True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            self.samples.append(self.emulator._in_flight)
            time.sleep(0.01)

    def stop(self) -> None:
        self.running = False
        self.thread.join()

    def mean_while_active(self) -> float:
        active = [i for i, n in enumerate(self.samples) if n]
        window = self.samples[active[0]:active[-1] + 1] if active else [0]
        return sum(window) / len(window)


def main(count: int = 2_000) -> None:
    space = RedisPrefix()
    with NetSuiteEmulator(faults=Faults(latency_s=LATENCY_S, max_concurrent=LIMIT)) as emulator:
        env = pipeline_env(space.prefix, PIPELINE_BENCH_SOURCE_RECORDS=str(count),
                           PIPELINE_BENCH_NS_CONCURRENCY=str(LIMIT), **emulator.env("bench_ns"))
        workers = Workers(env, processes=2, threads=8)
        sampler = InFlight(emulator)
        try:
            run_id = start_run(env, "bench_netsuite_customer", "--mode", "full", "--tier", "normal")
            started = time.monotonic()
            run = wait_for_run(space.client, space.prefix, run_id)
            took = time.monotonic() - started
        finally:
            sampler.stop()
            workers.stop()
            space.clean()
        requests = len(emulator.requests)
        ceiling = LIMIT / LATENCY_S
        print(f"\nVendor-limited: {count:,} customers into NetSuite ({LATENCY_S * 1000:.0f} ms a request, "
              f"limit {LIMIT} in flight = {ceiling:.0f} requests/s)")
        print(f"  records loaded            {int(run['loaded']):>10,} (failed {run['failed']})")
        print(f"  requests                  {requests:>10,} ({requests / count:.2f} a record)")
        print(f"  requests/s                {requests / took:>10,.1f} ({requests / took / ceiling:.1%} of the limit)")
        print(f"  peak in flight            {emulator.peak_in_flight:>10}")
        busy = sampler.mean_while_active()
        print(f"  slots busy on average     {busy:>10.2f} ({busy / LIMIT:.1%} of {LIMIT}, from first to last request)")
        print(f"  time a request took       {busy / (requests / took) * 1000:>10.1f} ms (mean, at the emulator)")
        print(f"  429s caused by us         {emulator.counts['over_concurrency']:>10}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
