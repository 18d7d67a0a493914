"""The named points where a worker can die between two side effects of a step, and a test hook.

Each step writes to several places that no transaction spans: the books in Redis (counts,
ledger, dead letters), the broker (the next step's message, the acknowledgement of its own) and
the target system. A process killed between two of them leaves the first done and the second
not; the message is then delivered again, and the step must finish the job without doing any
part twice. These are every such point, in the order a chain reaches them:

* ``extract.after_count``  a page is counted as extracted; its map message is not sent.
* ``extract.after_send``   a page's map message is sent (Redis may not have answered yet: ``books/stream.py``);
                           later pages and the cursor are not.
* ``extract.after_finish`` extraction marked done and the cursor moved; the message is not acked.
* ``map.after_books``      a page's records are booked (waiting, failures, duplicates); no load sent.
* ``map.after_send``       the load message is sent; the map message is not acked.
* ``load.after_write``     the target has the records; the books do not know it.
* ``load.after_books``     the books are written; the records split out to be retried alone are not sent.
* ``load.after_split``     one record split out is sent alone; the others (if any) and the ack are not.

``PIPELINE_TEST_CRASH_AT=<point>`` makes a worker exit on the spot (``os._exit``: no cleanup, no
acknowledgement, as a SIGKILL or a power cut would) the first time it reaches that point. It is
for tests only (``tests/integration/test_crash_points.py`` runs every point in turn).
"""

from __future__ import annotations

import os

#: Every point, in the order a chain reaches them.
POINTS = ("extract.after_count", "extract.after_send", "extract.after_finish", "map.after_books",
          "map.after_send", "load.after_write", "load.after_books", "load.after_split")
#: The exit status of a process that died at a crash point, so a test can tell it from other deaths.
CRASH_EXIT_CODE = 86


def reached(armed: str, point: str) -> None:
    """Exit the process at once if ``point`` is the armed one (``armed`` is "" outside tests)."""
    if armed and armed == point:
        # Flushing nothing and acknowledging nothing is the point: this is a crash.
        os.write(2, f"Crashing at {point} (PIPELINE_TEST_CRASH_AT).\n".encode())
        os._exit(CRASH_EXIT_CODE)
