"""End to end, extract -> map -> load of generated customers into a sink, two worker processes.

    .venv/bin/python -m scripts.bench_end_to_end [records] [repeats] [settings]

Compares, in one run: ours with status tracking on (batches of 100 by default, per-record outcomes,
ledger, run books), ours with status tracking off (the status overhead), stock Dramatiq with one message
per record at every step, stock Dramatiq in pages of 100 with no books at all (the queue's own cost:
``scripts.bench.paged_actors``), a plain single-process loop doing the same mapping, and two such loops
at once, each on its half of the records: what two cores give with no queue at all, the ceiling of any two
workers.
``settings`` (``NAME=VALUE[,NAME=VALUE...]``, e.g. ``PIPELINE_BATCH_SIZE=500``) are given to our workers;
the baselines do not have them, except that the stock paged chain sends pages of ``PIPELINE_BATCH_SIZE``
too.
"""

from __future__ import annotations

import multiprocessing
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.mapping import Mapper, load_mapping
from pipeline.systems.synthetic import SyntheticSystem
from scripts.bench.common import (ROOT, PagedKeys, RedisPrefix, Workers, measure, parse_settings,
                                  pipeline_env, pull, table)

MAPPING = ROOT / "scripts" / "bench" / "mappings" / "bench_customer.yaml"


def ours(count: int, status: str, root: Path = ROOT, threads: int = 2,
         settings: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Records/s of one run, the workers' CPU microseconds per record (booting excluded), and Redis's.

    ``root``: the source tree whose workers run it (another revision's checkout, ``bench_revisions``);
    ``threads``: worker threads in each of the 2 processes (``bench_threads``); ``settings``: more
    ``PIPELINE_*`` environment variables of the workers (``bench_settings``), which win over ``status``.
    """
    space = RedisPrefix()
    env = pipeline_env(space.prefix, root, **{"PIPELINE_BENCH_SOURCE_RECORDS": str(count),
                                              "PIPELINE_STATUS_TRACKING": status, **(settings or {})})
    try:
        return pull(space, env, count, threads=threads)
    finally:
        space.clean()


def paired(title: str, contenders: dict[str, Callable[[], tuple[float, float, float]]], pairs: int) -> None:
    """Run two ``ours`` variants in interleaved pairs (the order alternating) and print each one's medians
    and the paired ratios of the second to the first: records/s, workers' and Redis's CPU a record.

    On shared cores a run swings by 2x from one hour to the next; a ratio within a pair holds steadier.
    """
    (old, run_old), (new, run_new) = contenders.items()
    measured: dict[str, list[tuple[float, float, float]]] = {old: [], new: []}
    for pair in range(pairs):
        order = [(old, run_old), (new, run_new)]
        for name, run in order if pair % 2 == 0 else reversed(order):
            measured[name].append(run())
    width = max(12, len(old), len(new))
    print(f"\n{title}, {pairs} interleaved pairs")
    print(f"  {'':{width}} {'records/s':>10} {'workers us/record':>18} {'Redis us/record':>16}   "
          "runs (records/s)")
    for name, runs in measured.items():
        rate, workers, served = (statistics.median(run[part] for run in runs) for part in range(3))
        print(f"  {name:{width}} {rate:10,.0f} {workers:18.1f} {served:16.1f}   "
              f"{', '.join(f'{run[0]:,.0f}' for run in runs)}")
    for part, label in ((0, "records/s"), (1, "workers' CPU a record"), (2, "Redis's CPU a record")):
        ratios = [b[part] / a[part] for a, b in zip(measured[old], measured[new], strict=True)]
        print(f"  {new} / {old}, {label}: {statistics.median(ratios):.3f} (median of the pairs; "
              f"{min(ratios):.3f}-{max(ratios):.3f})")


def per_record(count: int) -> float:
    space = RedisPrefix()
    env = pipeline_env(space.prefix, BENCH_PREFIX=space.prefix)
    workers = Workers(env, "scripts.bench.per_record_actors")
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"from scripts.bench.per_record_actors import pr_extract; "
                                              f"pr_extract.send({count})"], env=env, cwd=ROOT, check=True)
        while int(space.client.get(f"{space.prefix}:per-record-done") or 0) < count:
            time.sleep(0.05)
        return count / (time.perf_counter() - started)
    finally:
        workers.stop()
        space.clean()


def stock_paged(count: int, page_size: int = 100) -> tuple[float, float, float]:
    """Stock Dramatiq in pages of ``page_size`` (``scripts.bench.paged_actors``): records/s from the start
    stamped before its extract is sent to the last load (as ours), the workers' CPU microseconds a record
    (booting excluded), and Redis's."""
    space = RedisPrefix()
    env = pipeline_env(space.prefix, BENCH_PREFIX=space.prefix, PIPELINE_BENCH_SOURCE_RECORDS=str(count),
                       PIPELINE_BATCH_SIZE=str(page_size), dramatiq_worker_timeout="50")
    keys, failed = PagedKeys(space.prefix), f"{space.prefix}-paged:default.XQ"

    def run() -> float:
        sender = f"from scripts.bench.paged_actors import start; start({count})"
        subprocess.run([sys.executable, "-c", sender], env=env, cwd=ROOT, check=True)
        deadline = time.monotonic() + 600
        while not space.client.exists(keys.finished):
            # Its actors retry nothing: a page that failed is in the dead-letter queue, and never loads.
            stuck = workers.process.poll() is not None or time.monotonic() > deadline
            if space.client.zcard(failed) or stuck:
                loaded = int(space.client.get(keys.done) or 0)
                raise RuntimeError(f"stock paged chain: a page failed, the workers died or 10 minutes "
                                   f"passed; {loaded:,} of {count:,} records loaded")
            time.sleep(0.05)
        return float(space.client.get(keys.finished)) - float(space.client.get(keys.started))

    workers = Workers(env, "scripts.bench.paged_actors")
    try:
        return measure(workers, space.client, count, run)
    finally:
        workers.stop()
        space.clean()


def _loop(mapper: Mapper, source: SyntheticSystem, since: str | None = None) -> None:
    for page in source.extract("customer", since=since, refs=None, page_size=100):
        source.load("customer", [mapper.map(record) for record in page.records])


def plain_loop(count: int) -> tuple[float, float, float]:
    """Records/s, CPU microseconds per record, and Redis's (none: the loop keeps no books)."""
    mapper, source = Mapper(load_mapping(MAPPING)), SyntheticSystem(count)
    started, cpu = time.perf_counter(), time.process_time()
    _loop(mapper, source)
    return count / (time.perf_counter() - started), (time.process_time() - cpu) / count * 1e6, 0.0


def _one_of_parallel_loops(mapper: Mapper, source: SyntheticSystem, since: str, ready, report) -> None:
    """One of ``parallel_loops``, in a forked process: its start, end and CPU seconds go to ``report``.

    A loop that raises, is killed or exits sends nothing: its parent reads the end of the pipe.
    """
    ready.wait(timeout=60)  # all start together
    started, cpu = time.perf_counter(), time.process_time()
    _loop(mapper, source, since)
    report.send((started, time.perf_counter(), time.process_time() - cpu))


def parallel_loops(count: int, processes: int = 2) -> tuple[float, float, float]:
    """``plain_loop`` in ``processes`` processes at once, each on its own share of the records: what the
    cores give with nothing shared (no queue, no books, no Redis), the most any number of workers could reach.

    Records/s from the first loop's start to the last one's end, and CPU microseconds per record.
    """
    share = count // processes
    # Built before forking, so that no loop can fail before the common start.
    mapper, context = Mapper(load_mapping(MAPPING)), multiprocessing.get_context("fork")
    ready, loops, reports = context.Barrier(processes), [], []
    for number in range(processes):
        report, sending_end = context.Pipe(duplex=False)
        source = SyntheticSystem((number + 1) * share)  # records number * share .. (number + 1) * share
        loops.append(context.Process(target=_one_of_parallel_loops, daemon=True,
                                     args=(mapper, source, str(number * share), ready, sending_end)))
        loops[-1].start()
        sending_end.close()  # the loop's copy is the only one left: its end reads as the end of the pipe
        reports.append(report)
    try:
        ended = [report.recv() for report in reports]
    except EOFError:
        raise RuntimeError("A parallel loop ended without its figures: it failed (its traceback is above) "
                           "or was killed.") from None
    finally:
        for loop in loops:
            loop.join(timeout=1)
            if loop.is_alive():  # its mate died: it would wait at the start for nothing
                loop.kill()
    done = share * processes
    return (done / (max(end for _, end, _ in ended) - min(start for start, _, _ in ended)),
            sum(cpu for _, _, cpu in ended) / done * 1e6, 0.0)


def main(count: int = 100_000, repeats: int = 5, settings: str = "-") -> None:
    given = parse_settings(settings)
    if "PIPELINE_STATUS_TRACKING" in given:
        raise SystemExit("bench_end_to_end runs ours with status tracking on and off itself; compare other "
                         "settings of it with bench_settings.")
    # The stock paged chain sends pages as large as ours: the queue's own cost at the same message size.
    batch_size = given.get("PIPELINE_BATCH_SIZE", "100").strip()
    if not batch_size.isdigit() or not int(batch_size):
        raise SystemExit(f"PIPELINE_BATCH_SIZE={batch_size!r} is not a whole number of records")
    page_size = int(batch_size)
    # The per-record baseline is that slow: a tenth of the records, once; its rate is what counts.
    baseline = per_record(count // 10)
    contenders = {"on": lambda: ours(count, "on", settings=given),
                  "off": lambda: ours(count, "off", settings={**given, "PIPELINE_STATUS_TRACKING": "off"}),
                  "stock paged": lambda: stock_paged(count, page_size), "plain": lambda: plain_loop(count),
                  "two loops": lambda: parallel_loops(count)}
    runs: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    served: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):  # interleaved: the machine's load hits every row alike
        for name, run in contenders.items():
            rate, us, redis_us = run()
            runs[name].append(rate)
            cpu[name].append(us)
            served[name].append(redis_us)
    on, off, paged, plain, two = (statistics.median(runs[name]) for name in contenders)
    rows = [("stock Dramatiq, one message per record", baseline), ("ours, status tracking on", on),
            ("ours, status tracking off", off), (f"stock Dramatiq, pages of {page_size}, no books", paged),
            ("plain single-process loop (no queue, no status)", plain),
            ("two plain loops at once, half the records each", two)]
    table(f"End to end, {count:,} records, 2 worker processes x 2 threads (median of {repeats})"
          + (f", ours with {settings}" if given else ""), rows)
    for name, values in runs.items():
        print(f"  {name:44} runs: {', '.join(f'{value:,.0f}' for value in values)}")

    def paired_ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(runs[a], runs[b], strict=True))

    print(f"\n  ours (status on) vs the plain loop: {on / plain:.2f}x (median of paired runs "
          f"{paired_ratio('on', 'plain'):.2f}x)")
    print(f"  two plain loops at once vs one, the ceiling of two cores with nothing shared: "
          f"{two / plain:.2f}x (paired {paired_ratio('two loops', 'plain'):.2f}x); ours reaches "
          f"{paired_ratio('on', 'two loops'):.2f}x of that ceiling (paired)")
    print(f"  stock Dramatiq in pages, no books (the queue's own cost) vs the plain loop: "
          f"{paged / plain:.2f}x (paired {paired_ratio('stock paged', 'plain'):.2f}x); ours vs it: "
          f"{on / paged:.2f}x (paired {paired_ratio('on', 'stock paged'):.2f}x)")
    on_cpu, off_cpu, paged_cpu, plain_cpu, two_cpu = (statistics.median(cpu[name]) for name in contenders)
    on_redis, off_redis, paged_redis = (statistics.median(served[name])
                                        for name in ("on", "off", "stock paged"))
    print(f"  CPU per record (steadier than wall time on a busy machine): ours {on_cpu:,.0f} us (status off "
          f"{off_cpu:,.0f}), stock paged {paged_cpu:,.0f} us, plain loop {plain_cpu:,.0f} us, two loops at "
          f"once {two_cpu:,.0f} us")
    print(f"  Redis's own CPU per record (INFO cpu; on the same cores): ours {on_redis:,.1f} us (status off "
          f"{off_redis:,.1f}), stock paged {paged_redis:,.1f} us")
    print(f"  so two cores could reach at most {2 * plain_cpu / (on_cpu + on_redis):.2f}x the plain loop "
          f"({2 * plain_cpu / on_cpu:.2f}x if Redis cost nothing); the stock paged chain at most "
          f"{2 * plain_cpu / (paged_cpu + paged_redis):.2f}x")
    print(f"  status overhead: {(off - on) / off:.1%} of throughput (on {on:,.0f} vs off {off:,.0f} "
          "records/s)")


if __name__ == "__main__":
    if len(sys.argv) > 4:
        raise SystemExit(f"usage: {__doc__.splitlines()[2].strip()} (settings: NAME=VALUE[,NAME=VALUE...])")
    main(*(int(arg) for arg in sys.argv[1:3]), *sys.argv[3:])
