"""The Magento 2 pull window keeps its pairs sorted as it reads them: the same cursors as sorting
everything on every page (the reference below, the code before), at a cost per page that does not
grow with the records sharing one change time."""

from __future__ import annotations

import json
import random

import pytest

from pipeline.systems.cursors import dump_cursor
from pipeline.systems.magento2.cursor import MAX_SEEN, Cursor, Window
from pipeline.systems.magento_time import shift


def reference_cursor(previous: Cursor | None, read: set, position: tuple, lookback_s: int) -> str:
    """The cursor as ``Window.cursor`` built it before: the whole window sorted on every page."""
    updated_at, last_id = position
    floor = shift(updated_at, -lookback_s)
    earlier = previous.seen if previous else frozenset()
    seen = sorted({p for p in read if p[0] >= floor} | {p for p in earlier if p[0] >= floor})
    complete_from = previous.complete_from if previous else None
    if len(seen) > MAX_SEEN:
        seen = seen[-MAX_SEEN:]
        complete_from = seen[0][0]
    data: dict = {"updated_at": updated_at, "id": last_id, "seen": [list(p) for p in seen]}
    if complete_from and complete_from > floor:
        data["complete_from"] = complete_from
    return dump_cursor(data)


def pull(previous: Cursor | None, records: list[tuple[str, int]], lookback_s: int, page: int):
    """Run one pull page by page; return (new flags, cursors, reference cursors)."""
    window, read = Window(previous, lookback_s), set()
    position = (previous.updated_at, previous.id) if previous else None  # a pull starts where the last ended
    flags, cursors, expected = [], [], []
    for start in range(0, len(records), page):
        for updated_at, record_id in records[start:start + page]:
            flags.append(window.is_new({"updated_at": updated_at, "id": record_id}, "id"))
            read.add((updated_at, record_id))
            position = max(position, (updated_at, record_id)) if position else (updated_at, record_id)
        cursors.append(window.cursor())
        expected.append(reference_cursor(previous, read, position, lookback_s))
    return flags, cursors, expected


@pytest.mark.parametrize("seed", range(6))
def test_the_window_gives_the_cursors_of_sorting_everything_on_every_page(seed):
    rng = random.Random(seed)
    # Many records in few seconds (more than MAX_SEEN in one), a few committed late, out of order.
    records = sorted((f"2024-05-01 10:0{rng.randrange(4)}:{rng.randrange(0, 60, 20):02d}", n)
                     for n in range(1, 1400 + 1))
    for _ in range(20):
        late = records.pop(rng.randrange(len(records)))
        records.insert(rng.randrange(len(records)), late)
    previous = None
    for lookback_s in (300, 30, 0):
        flags, cursors, expected = pull(previous, records[: rng.randrange(700, 1400)], lookback_s, page=97)
        assert cursors == expected
        previous = Cursor.parse(cursors[-1])
        assert len(json.loads(cursors[-1])["seen"]) <= MAX_SEEN
    # A second pull over the same records delivers again only what the cut cursor no longer names.
    flags, cursors, expected = pull(previous, records, 300, page=100)
    assert cursors == expected and flags.count(True) < len(records)
