"""What the console's pages cost with a deployment's worth of books: runs and dead letters in Redis.

    .venv/bin/python -m scripts.bench_console [dead letters]

Seeds runs of 100 records, half of them failed (so dead letters = runs x 50), then times each
page and API answer through the Flask app over the real Redis (median of 5). The baseline is
reading the same dead letters one round trip each (what ``DeadLetters.list`` did before it read a
page of 500 per round trip), measured in the same run.
"""

from __future__ import annotations

import statistics
import sys
import time
from types import SimpleNamespace

from pipeline.books import Books, Failure, LoadOutcomes
from pipeline.settings import Settings
from scripts.bench.common import RedisPrefix

INTEGRATION = "bench_customers"


def seed(books: Books, letters: int) -> None:
    for number in range(max(letters // 50, 1)):
        run_id, batch = f"bench-{number:06d}", f"b{number}"
        books.runs.start(run_id, INTEGRATION, "changed")
        books.extracted(run_id, 100, batch)
        failures = [Failure(key=f"c{number}-{i}@example.com", stage="load", error="HTTP 400: refused",
                            error_type="FatalError" if i % 2 else "RecordError", record={"email": f"c{i}@example.com"})
                    for i in range(50)]
        books.loads_done(run_id, INTEGRATION, LoadOutcomes(
            loaded=[(f"ok{number}-{i}", "h") for i in range(50)], failures=failures), f"m{number}", batch)


def median_s(work, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(letters: int = 10_000) -> None:
    from pipeline.web import create_app

    space = RedisPrefix()
    settings = Settings.from_env({"PIPELINE_NAMESPACE": space.prefix})
    books = Books(space.client, settings)
    spec = SimpleNamespace(description="", connector="customer_pull", schedule=None,
                           source=SimpleNamespace(system="files", connection="a"),
                           target=SimpleNamespace(system="files", connection="b"))
    # The console needs only what the command line's application offers; no broker here (no queues).
    app = SimpleNamespace(books=books, settings=settings, integrations={INTEGRATION: SimpleNamespace(spec=spec)},
                          broker=SimpleNamespace(), ticks=None, retry_dead_letters=None)
    try:
        seed(books, letters)
        client = create_app(app).test_client()
        rows = []
        for path in ("/", "/runs", "/dead-letters", "/api/dead-letters", "/metrics"):
            assert client.get(path).status_code == 200, path
            rows.append((path, median_s(lambda: client.get(path))))
        store = books.dead_letters
        members = [m.decode().split("\x1f", 1) for m in space.client.zrevrange(f"{space.prefix}:dead", 0, -1)]
        one_by_one = median_s(lambda: [store.get(name, key) for name, key in members])
        paged = median_s(lambda: store.list(limit=len(members)))
    finally:
        space.clean()
    print(f"\nConsole with {len(members):,} dead letters in {max(letters // 50, 1):,} runs (median of 5)")
    for path, seconds in rows:
        print(f"  GET {path:40} {seconds * 1000:8.0f} ms")
    print(f"  reading every dead letter, one round trip each  {one_by_one * 1000:8.0f} ms (baseline)")
    print(f"  reading every dead letter, 500 per round trip   {paged * 1000:8.0f} ms "
          f"({one_by_one / paged:.1f}x faster)")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
