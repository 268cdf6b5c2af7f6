"""Business days in the protocol's zone: weekends, US + state holidays, after-hours arrivals, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from routing.calendar import (
    BusinessCalendar,
    HolidayCalendar,
    add_business_days,
    business_anchor,
    business_days_after_month_end,
    is_business_day,
    subtract_business_hours,
)

CT = ZoneInfo("America/Chicago")
MO = HolidayCalendar("US", "MO")
MS = HolidayCalendar("US", "MS")


def ct(*args: int) -> datetime:
    return datetime(*args, tzinfo=CT)


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (ct(2024, 4, 8, 10, 0), 2, ct(2024, 4, 10, 10, 0), "plain week: same local time"),
        (ct(2024, 5, 3, 16, 30), 1, ct(2024, 5, 6, 16, 30), "Friday afternoon: over the weekend"),
        (ct(2024, 5, 3, 18, 0), 1, ct(2024, 5, 7, 8, 0), "Friday evening counts from Monday morning"),
        (ct(2024, 4, 13, 11, 0), 2, ct(2024, 4, 17, 8, 0), "Saturday counts from Monday morning"),
        (ct(2024, 4, 9, 6, 0), 1, ct(2024, 4, 10, 8, 0), "before hours counts from that morning"),
        (ct(2024, 4, 9, 17, 0), 1, ct(2024, 4, 11, 8, 0), "at closing time counts from the next morning"),
        (ct(2024, 5, 7, 10, 0), 1, ct(2024, 5, 9, 10, 0), "Truman Day (MO, May 8) is skipped"),
        (ct(2024, 7, 4, 10, 0), 1, ct(2024, 7, 8, 8, 0), "asked on Independence Day: from the next morning"),
        (ct(2021, 7, 2, 10, 0), 1, ct(2021, 7, 6, 10, 0), "July 4 on a Sunday is observed Monday"),
        (ct(2024, 11, 27, 10, 0), 1, ct(2024, 11, 29, 10, 0), "Thanksgiving is skipped"),
        (ct(2024, 3, 8, 9, 0), 1, ct(2024, 3, 11, 9, 0), "spring forward: same wall-clock time"),
        (ct(2024, 11, 1, 9, 0), 1, ct(2024, 11, 4, 9, 0), "fall back: same wall-clock time"),
        (ct(2024, 4, 13, 11, 0), 0, ct(2024, 4, 15, 8, 0), "zero days: the anchor itself"),
        (datetime(2024, 4, 8, 20, 0, tzinfo=UTC), 1, ct(2024, 4, 9, 15, 0), "UTC in, local arithmetic"),
    ],
)
def test_add_business_days_missouri(start, days, expected, why):
    result = add_business_days(start, days, CT, MO)
    assert result == expected, why
    assert result.tzinfo is CT
    assert result.utcoffset() == expected.utcoffset()


def test_dst_changes_the_utc_offset_not_the_local_time():
    before = ct(2024, 3, 8, 9, 0)
    after = add_business_days(before, 1, CT, MO)
    assert before.astimezone(UTC).hour == 15 and after.astimezone(UTC).hour == 14


def test_state_holidays_depend_on_the_subdivision():
    truman_week = ct(2024, 5, 7, 10, 0)
    assert add_business_days(truman_week, 1, CT, MO) == ct(2024, 5, 9, 10, 0)
    assert add_business_days(truman_week, 1, CT, MS) == ct(2024, 5, 8, 10, 0)
    confederate_memorial_day = date(2024, 4, 29)
    assert confederate_memorial_day in MS and confederate_memorial_day not in MO


def test_extra_closed_days_and_holiday_names():
    closed = HolidayCalendar("US", "MO", frozenset({date(2024, 12, 24)}))
    assert not is_business_day(date(2024, 12, 24), closed)
    assert closed.name(date(2024, 12, 24)) == "closed"
    assert MO.name(date(2024, 5, 8)) == "Truman Day"
    assert MO.name(date(2024, 5, 9)) is None


@pytest.mark.parametrize(
    ("day", "open_"),
    [(date(2024, 4, 8), True), (date(2024, 4, 13), False), (date(2024, 4, 14), False), (date(2024, 1, 15), False)],
)
def test_is_business_day(day, open_):
    assert is_business_day(day, MO) is open_


@pytest.mark.parametrize(
    ("end", "hours", "expected"),
    [
        (ct(2024, 4, 9, 16, 30), 4, ct(2024, 4, 9, 12, 30)),
        (ct(2024, 4, 9, 9, 0), 4, ct(2024, 4, 8, 14, 0)),
        (ct(2024, 4, 8, 9, 0), 2, ct(2024, 4, 5, 16, 0)),
        (ct(2024, 5, 9, 9, 0), 2, ct(2024, 5, 7, 16, 0)),  # back over Truman Day
        (ct(2024, 4, 9, 9, 0), 10, ct(2024, 4, 8, 8, 0)),  # all of Monday
        (ct(2024, 4, 9, 9, 0), 11, ct(2024, 4, 5, 16, 0)),  # more than a business day
    ],
)
def test_subtract_business_hours(end, hours, expected):
    assert subtract_business_hours(end, hours, CT, MO) == expected


@pytest.mark.parametrize(
    ("month", "days", "expected"),
    [
        ("2024-05", 5, ct(2024, 6, 7, 17, 0)),
        ("2024-06", 3, ct(2024, 7, 3, 17, 0)),
        ("2024-06", 4, ct(2024, 7, 5, 17, 0)),  # skips July 4
        ("2024-08", 0, ct(2024, 8, 30, 17, 0)),  # month ends on a Saturday: its last business day
        (date(2024, 12, 15), 1, ct(2025, 1, 2, 17, 0)),  # over New Year's Day
    ],
)
def test_business_days_after_month_end(month, days, expected):
    assert business_days_after_month_end(month, days, CT, MO) == expected


def test_naive_and_negative_inputs_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_days(datetime(2024, 4, 8, 10, 0), 1, CT, MO)
    with pytest.raises(ValueError, match=">= 0"):
        add_business_days(ct(2024, 4, 8, 10, 0), -1, CT, MO)


def test_business_calendar_binds_hours_and_returns_utc():
    cal = BusinessCalendar(CT, MO, time(7, 30), time(16, 30))
    assert business_anchor(ct(2024, 4, 8, 7, 0), CT, MO, day_start=time(7, 30)) == ct(2024, 4, 8, 7, 30)
    deadline = cal.deadline(ct(2024, 4, 8, 16, 45), 1)  # after 16:30: from Tuesday 07:30
    assert deadline == ct(2024, 4, 10, 7, 30) and deadline.tzinfo is UTC
    # Wednesday 07:30 is the start of the day: 2 business hours before is Tuesday 14:30.
    assert cal.remind_at(deadline, 2, not_before=ct(2024, 4, 8, 16, 45)) == ct(2024, 4, 9, 14, 30)
    assert cal.remind_at(deadline, 0, not_before=ct(2024, 4, 8, 16, 45)) is None
    assert cal.remind_at(deadline, 30, not_before=ct(2024, 4, 8, 16, 45)) is None  # no time left to remind in


@pytest.mark.parametrize(
    "start",
    [ct(2024, 4, 8, 10, 0), ct(2024, 4, 8, 8, 30), ct(2024, 5, 3, 19, 0), ct(2024, 3, 8, 16, 59), ct(2024, 11, 1, 9)],
)
@pytest.mark.parametrize(("days", "hours"), [(1, 4), (2, 4), (1, 9), (3, 0), (5, 8), (1, 30)])
def test_step_is_deadline_plus_reminder(start, days, hours):
    cal = BusinessCalendar(CT, MO)
    deadline = cal.deadline(start, days)
    assert cal.step(start, days, hours) == (deadline, cal.remind_at(deadline, hours, not_before=start))
