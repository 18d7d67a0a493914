"""Vendor-limited throughput: customers into the NetSuite emulator at 100 ms a request, 10 at a time.

    .venv/bin/python -m scripts.bench_vendor_limited [records] [repeats]

The account allows 10 requests in flight (the emulator answers 429 past that); at 100 ms each the
ceiling is 10 / 0.1 s = 100 requests/s. Workers run 2 processes x 8 threads (16 > 10), so only our
concurrency budget keeps them inside the limit. Each repeat runs twice: with CONCURRENCY=10 (the
right setting) and CONCURRENCY=20 (twice the account's limit: the budget must learn it from the
429s). Reported: requests/s against the ceiling, slots kept busy, 429s, records lost, and how much
longer the misconfigured run took.

The baseline, in the same run: a bare pusher (``scripts/bench/bare_pusher.py``), the same client,
mapping and budget in 2 processes x 8 threads with no queue and no books, as a competent user would
write it; its slots busy are what this machine allows Python clients against this emulator.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time

from pipeline.testing.netsuite import NetSuiteEmulator
from pipeline.testing.server import Faults
from scripts.bench.common import ROOT, RedisPrefix, Workers, pipeline_env, start_run, wait_for_run

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

    def _active(self) -> list[int]:
        return [i for i, n in enumerate(self.samples) if n]

    def mean_while_active(self) -> float:
        active = self._active()
        window = self.samples[active[0]:active[-1] + 1] if active else [0]
        return sum(window) / len(window)

    def idle_by_phase(self, limit: int) -> dict[str, float]:
        """Where the active window's idle slot time went, as shares of its slot time.

        ramp: before the budget was first full; tail: after it was last full; steady: between.
        """
        active, full = self._active(), [i for i, n in enumerate(self.samples) if n >= limit]
        if not active or not full:
            return {"ramp": 0.0, "steady": 0.0, "tail": 0.0}
        total = (active[-1] + 1 - active[0]) * limit

        def idle(start: int, end: int) -> float:
            return sum(limit - min(n, limit) for n in self.samples[start:end]) / total

        return {"ramp": idle(active[0], full[0]), "steady": idle(full[0], full[-1] + 1),
                "tail": idle(full[-1] + 1, active[-1] + 1)}


def one_run(count: int, concurrency: int) -> dict:
    """One push of ``count`` customers with the budget set to ``concurrency``; what it took."""
    space = RedisPrefix()
    with NetSuiteEmulator(faults=Faults(latency_s=LATENCY_S, max_concurrent=LIMIT)) as emulator:
        env = pipeline_env(space.prefix, PIPELINE_BENCH_SOURCE_RECORDS=str(count),
                           PIPELINE_BENCH_NS_CONCURRENCY=str(concurrency), **emulator.env("bench_ns"))
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
        idle = {f"idle_{phase}": share for phase, share in sampler.idle_by_phase(LIMIT).items()}
        return {"loaded": int(run["loaded"]), "failed": int(run["failed"]), "requests": requests, "took": took,
                "rate": requests / took, "busy": sampler.mean_while_active(), "peak": emulator.peak_in_flight,
                "throttled": emulator.counts["over_concurrency"], **idle}


def one_bare_run(count: int) -> dict:
    """The same push by ``scripts.bench.bare_pusher`` (no queue, no books): what this machine allows."""
    space = RedisPrefix()
    with NetSuiteEmulator(faults=Faults(latency_s=LATENCY_S, max_concurrent=LIMIT)) as emulator:
        env = pipeline_env(space.prefix, PIPELINE_BENCH_SOURCE_RECORDS=str(count),
                           PIPELINE_BENCH_NS_CONCURRENCY=str(LIMIT), **emulator.env("bench_ns"))
        sampler = InFlight(emulator)
        try:
            subprocess.run([sys.executable, "-m", "scripts.bench.bare_pusher", "bench_netsuite_customer", "2", "8"],
                           env=env, cwd=ROOT, check=True)
        finally:
            sampler.stop()
            space.clean()
        idle = {f"idle_{phase}": share for phase, share in sampler.idle_by_phase(LIMIT).items()}
        return {"requests": len(emulator.requests), "busy": sampler.mean_while_active(),
                "throttled": emulator.counts["over_concurrency"], **idle}


def main(count: int = 2_000, repeats: int = 5) -> None:
    ceiling = LIMIT / LATENCY_S
    settings = {"right": LIMIT, "twice": 2 * LIMIT}
    results: dict[str, list[dict]] = {name: [] for name in settings}
    bare: list[dict] = []
    for _ in range(repeats):  # interleaved, so that the machine's load hits every contender alike
        for name, concurrency in settings.items():
            results[name].append(one_run(count, concurrency))
        bare.append(one_bare_run(count))
    print(f"\nVendor-limited: {count:,} customers into NetSuite ({LATENCY_S * 1000:.0f} ms a request, "
          f"account limit {LIMIT} in flight = {ceiling:.0f} requests/s), median of {repeats}")
    medians = {}
    for name, runs in results.items():
        medians[name] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        m = medians[name]
        rates = ", ".join(format(run["rate"], ".1f") for run in runs)
        throttles = ", ".join(str(run["throttled"]) for run in runs)
        print(f"  CONCURRENCY={settings[name]} ({name})")
        print(f"    records loaded / failed   {sum(r['loaded'] for r in runs):>8,} / {sum(r['failed'] for r in runs)}"
              f" (all runs; {count * repeats:,} sent)")
        print(f"    requests/s                {m['rate']:>8,.1f} ({m['rate'] / ceiling:.1%} of the limit)"
              f"   runs: {rates}")
        print(f"    slots busy on average     {m['busy']:>8.2f} ({m['busy'] / LIMIT:.1%} of {LIMIT})")
        print(f"    time a request took       {m['busy'] / m['rate'] * 1000:>8.1f} ms (mean, at the emulator)")
        print(f"    idle slot time            {m['idle_ramp']:>8.1%} ramp-up, {m['idle_steady']:.1%} steady, "
              f"{m['idle_tail']:.1%} tail (shares of the requests' window)")
        print(f"    peak in flight            {m['peak']:>8}")
        print(f"    429s                      {m['throttled']:>8} ({m['throttled'] / m['requests']:.2%} of requests)"
              f"   runs: {throttles}")
    right, twice = medians["right"], medians["twice"]
    print(f"  twice the limit vs the right setting: run took {twice['took'] / right['took']:.2f}x as long")
    busy = statistics.median(run["busy"] for run in bare)
    idle = {phase: statistics.median(run[f"idle_{phase}"] for run in bare) for phase in ("ramp", "steady", "tail")}
    print(f"  baseline: a bare pusher (scripts/bench/bare_pusher.py: the same client and budget, 2 processes x 8\n"
          f"  threads, no queue), CONCURRENCY={LIMIT}")
    print(f"    slots busy on average     {busy:>8.2f} ({busy / LIMIT:.1%} of {LIMIT})   runs: "
          f"{', '.join(format(run['busy'] / LIMIT, '.1%') for run in bare)}")
    print(f"    idle slot time            {idle['ramp']:>8.1%} ramp-up, {idle['steady']:.1%} steady, "
          f"{idle['tail']:.1%} tail")
    print(f"    429s                      {statistics.median(run['throttled'] for run in bare):>8}")
    paired = statistics.median(run["busy"] / plain["busy"] for run, plain in zip(results["right"], bare, strict=True))
    print(f"  ours (CONCURRENCY={LIMIT}) vs the bare pusher, slots busy: {paired:.3f}x (median of paired runs)")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
