"""Cron schedules of integrations, validated before periodiq sees them.

periodiq's own parser accepts ``61 * * * *`` silently (it never fires) and fails on other bad
specs with a bare IndexError or KeyError; here every bad spec gets a sentence saying what is wrong.
"""

from __future__ import annotations

import re

#: periodiq's named specs.
ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
#: (name, lowest, highest) of the five fields, in order; day of week 7 is Sunday again, as periodiq allows.
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_PART = re.compile(r"^(?P<range>\*|\d+(?:-\d+)?)(?:/(?P<step>\d+))?$")


def cron_problem(spec: str) -> str | None:
    """What is wrong with a cron spec, as a sentence, or None when periodiq will run it as meant.

    >>> cron_problem("61 * * * *")
    'minute 61 is out of range: minute must be 0-59.'
    >>> cron_problem("*/15 * * * *") is None
    True
    """
    text = spec.strip()
    if text.startswith("@"):
        if text not in ALIASES:
            return f"unknown named schedule {text!r}; known: {', '.join(ALIASES)}."
        return None
    parts = text.split()
    if len(parts) != 5:
        return f"a cron spec has 5 fields (minute hour day-of-month month day-of-week), this one has {len(parts)}."
    for value, (name, lowest, highest) in zip(parts, FIELDS, strict=True):
        for shown in value.split(","):
            part = shown
            if name == "day of week":
                # Checked as the numbers periodiq reads, quoted as the file wrote it ("mon-sun", not "1-0").
                for number, day in enumerate(WEEKDAYS):
                    part = part.lower().replace(day, str(number))
            problem = _part_problem(part, name, lowest, highest, shown)
            if problem:
                return problem
    return None


def _part_problem(part: str, name: str, lowest: int, highest: int, shown: str) -> str | None:
    match = _PART.match(part)
    if not match:
        return f"{name} {shown!r} is not a number, range (a-b), '*' or a step (*/n)."
    if match["step"] is not None and int(match["step"]) == 0:
        return f"{name} step in {shown!r} must be at least 1."
    if match["range"] == "*":
        return None
    start, _, end = match["range"].partition("-")
    if match["step"] is not None and not end:
        # periodiq reads "5/15" as range(5, 6, 15): only minute 5, not every 15 minutes from 5.
        return f"{name} step in {shown!r} needs a range or '*', e.g. '{start}-{highest}/{match['step']}'."
    for number in (start, end or start):
        if not lowest <= int(number) <= highest:
            return f"{name} {int(number)} is out of range: {name} must be {lowest}-{highest}."
    if end and int(end) < int(start):
        return f"{name} range {shown!r} runs backwards."
    return None
