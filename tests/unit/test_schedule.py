from __future__ import annotations

import pytest
from periodiq import cron

from pipeline.schedule.cron import ALIASES, cron_problem

VALID = [
    "* * * * *",
    "*/15 * * * *",
    "0 * * * *",
    "59 23 31 12 7",
    "0 0 1 1 0",
    "5,35 8-18 * * 1-5",
    "0-30/10 * * * *",
    "0 6 * * mon-fri",
    "0 6 * * SAT,sun",
    "  30 2 * * *  ",
    "1,2,3 */2 1-15/7 */3 *",
    *ALIASES,
]


@pytest.mark.parametrize("spec", VALID)
def test_a_valid_spec_has_no_problem(spec):
    assert cron_problem(spec) is None


@pytest.mark.parametrize("spec", VALID)
def test_periodiq_parses_every_spec_we_accept(spec):
    # The point of validating first: whatever we accept, periodiq must be able to run.
    assert cron(spec).minute


@pytest.mark.parametrize(("spec", "message"), [
    ("61 * * * *", "minute 61 is out of range: minute must be 0-59."),
    ("* 24 * * *", "hour 24 is out of range: hour must be 0-23."),
    ("* * 0 * *", "day of month 0 is out of range: day of month must be 1-31."),
    ("* * 32 * *", "day of month 32 is out of range: day of month must be 1-31."),
    ("* * * 13 *", "month 13 is out of range: month must be 1-12."),
    ("* * * 0 *", "month 0 is out of range: month must be 1-12."),
    ("* * * * 8", "day of week 8 is out of range: day of week must be 0-7."),
    ("0-60 * * * *", "minute 60 is out of range: minute must be 0-59."),
    ("* * * *", "a cron spec has 5 fields (minute hour day-of-month month day-of-week), this one has 4."),
    ("* * * * * *", "a cron spec has 5 fields (minute hour day-of-month month day-of-week), this one has 6."),
    ("", "a cron spec has 5 fields (minute hour day-of-month month day-of-week), this one has 0."),
    ("@hourlyy", "unknown named schedule '@hourlyy'; known: "
                 "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly."),
    ("*/0 * * * *", "minute step in '*/0' must be at least 1."),
    ("* 1-5/0 * * *", "hour step in '1-5/0' must be at least 1."),
    ("30-10 * * * *", "minute range '30-10' runs backwards."),
    ("5/15 * * * *", "minute step in '5/15' needs a range or '*', e.g. '5-59/15'."),
    ("* * * jan *", "month 'jan' is not a number, range (a-b), '*' or a step (*/n)."),
    ("1,,2 * * * *", "minute '' is not a number, range (a-b), '*' or a step (*/n)."),
    ("* * * * monday", "day of week 'monday' is not a number, range (a-b), '*' or a step (*/n)."),
    ("* * * * mon-sun", "day of week range 'mon-sun' runs backwards."),
    ("* * * * 1,tue/2", "day of week step in 'tue/2' needs a range or '*', e.g. '2-7/2'."),
    ("-5 * * * *", "minute '-5' is not a number, range (a-b), '*' or a step (*/n)."),
])
def test_a_bad_spec_is_described_in_a_sentence(spec, message):
    assert cron_problem(spec) == message
