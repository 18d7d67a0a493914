"""What the benchmarks share: medians of repeated runs, a table, Redis on a key prefix of their own."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def median_rate(work: Callable[[], int], repeats: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """Records per second of ``work`` (which returns how many it did), median of ``repeats`` runs.

    ``clock=time.process_time`` gives CPU records/s: on a machine shared with other work, the CPU a
    process used is far steadier than the wall time it took.
    """
    rates = []
    for _ in range(repeats):
        started = clock()
        done = work()
        rates.append(done / (clock() - started))
    return statistics.median(rates)


def table(title: str, rows: list[tuple[str, float]], unit: str = "records/s", baseline: str | None = None) -> None:
    """Print rows of (name, value) with each one's ratio to ``baseline`` (default: the first row)."""
    base = dict(rows)[baseline] if baseline else rows[0][1]
    width = max(44, *(len(name) for name, _ in rows))
    print(f"\n{title}")
    print(f"  {'':{width}} {unit:>14} {'ratio':>8}")
    for name, value in rows:
        print(f"  {name:{width}} {value:14,.0f} {value / base:8.2f}x")


class RedisPrefix:
    """A key prefix of this benchmark's own on the shared Redis; only its keys are deleted."""

    def __init__(self) -> None:
        self.client = redis.Redis.from_url(REDIS_URL)
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"

    def clean(self) -> None:
        keys = list(self.client.scan_iter(match=f"{self.prefix}*", count=5000))
        for start in range(0, len(keys), 5000):
            self.client.delete(*keys[start:start + 5000])


def redis_cpu_s(client: redis.Redis) -> float:
    """CPU seconds (user + system) the Redis server used so far, from its own ``INFO cpu``.

    The server is shared: what it did for anyone else in the meantime counts too.
    """
    cpu = client.info("cpu")
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


@dataclass(frozen=True)
class PagedKeys:
    """Where the stock paged chain (``scripts.bench.paged_actors``) writes its start, end and records done."""

    prefix: str

    @property
    def started(self) -> str:
        return f"{self.prefix}:paged-started"

    @property
    def finished(self) -> str:
        return f"{self.prefix}:paged-finished"

    @property
    def done(self) -> str:
        return f"{self.prefix}:paged-done"


def pipeline_env(prefix: str, root: Path = ROOT, **extra: str) -> dict[str, str]:
    """Environment of workers and CLI for a benchmark: its own key prefix, the benchmark mappings.

    ``root``: the source tree whose code they run (another revision's checkout, ``bench_revisions``);
    the benchmark mappings are this tree's, so that both do the same work.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIPELINE_")}
    env.update({"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": prefix, "PYTHONPATH": str(root),
                "PIPELINE_MAPPINGS_DIR": str(ROOT / "scripts" / "bench" / "mappings"),
                "PIPELINE_LOG_LEVEL": "WARNING", **extra})
    return env


#: Settings a benchmark sets itself (its own key prefix, mappings and source size): not for the command line.
HARNESS_SETTINGS = ("PIPELINE_NAMESPACE", "PIPELINE_MAPPINGS_DIR", "PIPELINE_BENCH_")


def parse_settings(text: str) -> dict[str, str]:
    """``NAME=VALUE,...`` (or ``-``) -> the settings; only ``PIPELINE_*`` variables are taken."""
    if text == "-":
        return {}
    settings = {}
    for pair in text.split(","):
        name, equals, value = pair.partition("=")
        if not equals or not name.startswith("PIPELINE_"):
            raise SystemExit(f"{pair!r} is not PIPELINE_NAME=VALUE (each set of settings: "
                             "NAME=VALUE[,NAME=VALUE...], or - for the defaults)")
        if name.startswith(HARNESS_SETTINGS):
            raise SystemExit(f"{name} is the benchmark's own (its key prefix, mappings and records).")
        settings[name] = value
    return settings


class Workers:
    """``dramatiq <module>`` worker processes for a benchmark; ``stop()`` ends them."""

    def __init__(self, env: dict[str, str], module: str = "pipeline.actors", processes: int = 2,
                 threads: int = 2) -> None:
        import subprocess
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", module, "--processes", str(processes), "--threads", str(threads)],
            env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        time.sleep(2.0)  # boot: import, connect, declare queues

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) among the worker processes, in MB."""
        peaks = []
        for pid in self.children():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks, default=0.0)

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the worker processes used so far: steadier than wall time on a busy machine."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.children():
            # Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / ticks

    def stop(self) -> None:
        import signal

        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def start_run(env: dict[str, str], integration: str, *args: str) -> str:
    """Enqueue a run with the ``connector`` CLI; returns its id."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", integration, "--no-wait", *args],
                          env=env, cwd=env["PYTHONPATH"], capture_output=True, text=True)
    if done.returncode:  # the CLI's own words (an invalid setting, Redis away), not only its exit status
        raise SystemExit(f"connector run {integration} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout.split()[1]


def wait_for_run(client: redis.Redis, prefix: str, run_id: str, timeout_s: float = 3600) -> dict:
    """Poll a run until it finishes; returns its hash (counts, started_at, finished_at)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        raw = {k.decode(): v.decode() for k, v in client.hgetall(f"{prefix}:run:{run_id}").items()}
        if "finished_at" in raw:
            return raw
        time.sleep(0.05)
    raise TimeoutError(f"run {run_id} did not finish")


def pull(space: RedisPrefix, env: dict[str, str], count: int, module: str = "pipeline.actors",
         threads: int = 2, linger_s: float = 0.0) -> tuple[float, float, float]:
    """One full pull of ``count`` records of the benchmark customer integration on fresh workers (2
    processes): records/s, the workers' CPU microseconds a record (booting excluded), and Redis's.

    ``linger_s``: how long the workers stay up once the run is over (``step_cpu``'s last totals written).
    """
    def full_pull() -> float:
        run = wait_for_run(space.client, space.prefix,
                           start_run(env, "bench_customer", "--mode", "full", "--tier", "normal"))
        assert int(run["loaded"]) == count, run
        return float(run["finished_at"]) - float(run["started_at"])

    workers = Workers(env, module, threads=threads)
    try:
        measured = measure(workers, space.client, count, full_pull)
        time.sleep(linger_s)
        return measured
    finally:
        workers.stop()


def measure(workers: Workers, client: redis.Redis, count: int,
            run: Callable[[], float]) -> tuple[float, float, float]:
    """``run`` (which returns the seconds it took, as the run's own books time it) on booted ``workers``:
    records/s, the workers' CPU microseconds a record (booting excluded), and Redis's."""
    booted, served = workers.cpu_s(), redis_cpu_s(client)
    seconds = run()
    return (count / seconds, (workers.cpu_s() - booted) / count * 1e6,
            (redis_cpu_s(client) - served) / count * 1e6)
