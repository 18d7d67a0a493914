"""Where the workers' CPU goes, per record: thread CPU time of each step's parts, in real worker processes.

    .venv/bin/python -m scripts.step_cpu [records] [settings]

Runs one full pull of the benchmark customer integration (generated records into a sink) on
2 worker processes x 2 threads (``dramatiq scripts.bench.timed_actors``, the workers' entry point
with timing wrappers), then a plain loop of the same mapper for comparison. Unlike a tracing
profiler (``scripts.profile_end_to_end``, yappi), it times only a few functions a page, so it
barely changes what it measures. Redis's own CPU is read from its ``INFO cpu``. ``settings``
(``NAME=VALUE[,NAME=VALUE...]``, e.g. ``PIPELINE_BATCH_SIZE=10`` to magnify what each message costs)
are given to the workers.
"""

from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

from scripts.bench.common import RedisPrefix, parse_settings, pipeline_env, pull
from scripts.bench_end_to_end import plain_loop


def main(count: int = 50_000, settings: str = "-") -> None:
    given = parse_settings(settings)
    space, folder = RedisPrefix(), tempfile.mkdtemp(prefix="step-cpu-")
    env = pipeline_env(space.prefix, PIPELINE_BENCH_SOURCE_RECORDS=str(count), STEP_CPU_DIR=folder, **given)
    try:  # the workers write their totals twice a second: the last ones, once the run is over
        rate, total_us, redis_us = pull(space, env, count, "scripts.bench.timed_actors", linger_s=1.2)
    finally:
        space.clean()
    seconds: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    for path in Path(folder).glob("*.tsv"):
        for line in path.read_text().splitlines():
            part, spent, called = line.split("\t")
            seconds[part] += float(spent)
            calls[part] += int(called)
    _, plain_us, _ = plain_loop(count)
    print(f"\nWorkers' thread CPU per record, {count:,} records, 2 processes x 2 threads "
          f"({rate:,.0f} records/s)" + (f", {settings}" if given else ""))
    for part, spent in seconds.items():  # in the order the workers wrote them (``timed_actors.TIMED``)
        print(f"  {part:60} {spent / count * 1e6:7.1f} us  ({calls[part]:,} calls)")
    print(f"  {'all of the worker processes (from /proc)':60} {total_us:7.1f} us")
    print(f"  {'the Redis server (INFO cpu; shared, on the same cores)':60} {redis_us:7.1f} us")
    print(f"  {'plain single-process loop, same mapper, extract and load':60} {plain_us:7.1f} us")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]), *sys.argv[2:])
