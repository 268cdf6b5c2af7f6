"""Business-day arithmetic in the protocol's time zone, skipping weekends and US federal + state holidays.

What counts, exactly:

* A business day is Monday to Friday, not a holiday of `holidays.country_holidays(country, subdiv=...)`
  (observed dates included: a Saturday holiday closes the Friday before) and not an extra closed day.
* Business hours are [day_start, day_end) local time (default 08:00-17:00).
* A deadline is the same local wall-clock time `n` business days later. The clock starts at the *anchor*:
  - a request during business hours on a business day is anchored where it arrived;
  - a request before `day_start` on a business day is anchored at `day_start` that day;
  - a request at or after `day_end`, or on a weekend or holiday, is anchored at `day_start` of the next
    business day ("counts from the next business morning").
  So Friday 16:30 + 1 day = Monday 16:30; Friday 18:00 + 1 day = Tuesday 08:00; Saturday + 2 = Wednesday 08:00.
* Local times are built in the zone for the target date, so a deadline across a DST change keeps its wall-clock
  time (09:00 CST + 2 days can be 09:00 CDT). Results are aware datetimes in the calendar's zone.
* A reminder "h business hours before" a deadline walks back through business hours only.

Every function takes `now`/`start` from the caller; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

DAY_START = time(8, 0)
DAY_END = time(17, 0)


@lru_cache(maxsize=256)
def _holiday_table(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    table = holidays_lib.country_holidays(country, subdiv=subdivision, years=year, observed=True)
    return dict(table.items())


@dataclass(frozen=True)
class HolidayCalendar(Container):
    """The closed days of one country/subdivision (plus extra dates). `day in calendar` is True on a holiday."""

    country: str = "US"
    subdivision: str | None = None
    extra_closed: frozenset[date] = field(default_factory=frozenset)

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if isinstance(day, datetime):
            day = day.date()
        return day in self.extra_closed or day in _holiday_table(self.country, self.subdivision, day.year)

    def closes(self, day: date) -> bool:
        """True on a holiday or extra closed day (`day` a date, not a datetime)."""
        return day in self.extra_closed or day in _holiday_table(self.country, self.subdivision, day.year)

    def name(self, day: date) -> str | None:
        """The holiday's name ('Truman Day'), 'closed' for an extra closed day, None on an open day."""
        if day in self.extra_closed:
            return "closed"
        return _holiday_table(self.country, self.subdivision, day.year).get(day)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def is_business_day(day: date, holiday_calendar: Container[date] = ()) -> bool:
    """Monday to Friday and not in `holiday_calendar` (a HolidayCalendar, a `holidays` table or a set of dates)."""
    if isinstance(day, datetime):
        day = day.date()
    if day.weekday() >= 5:
        return False
    if type(holiday_calendar) is HolidayCalendar:
        return not holiday_calendar.closes(day)
    return day not in holiday_calendar


def next_business_day(day: date, holiday_calendar: Container[date] = ()) -> date:
    """The first business day strictly after `day`."""
    day += timedelta(days=1)
    while not is_business_day(day, holiday_calendar):
        day += timedelta(days=1)
    return day


def shift_business_days(day: date, n: int, holiday_calendar: Container[date] = ()) -> date:
    """The n-th business day after `day` (n >= 0; n = 0 is `day`). Memoized for hashable calendars."""
    try:
        return _shift_cached(day, n, holiday_calendar)
    except TypeError:  # an unhashable calendar (a `holidays` table, a set): walk every time
        return _shift(day, n, holiday_calendar)


def _shift(day: date, n: int, holiday_calendar: Container[date]) -> date:
    for _ in range(n):
        day = next_business_day(day, holiday_calendar)
    return day


_shift_cached = lru_cache(maxsize=16_384)(_shift)


def previous_business_day(day: date, holiday_calendar: Container[date] = ()) -> date:
    """The last business day strictly before `day`."""
    day -= timedelta(days=1)
    while not is_business_day(day, holiday_calendar):
        day -= timedelta(days=1)
    return day


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def business_anchor(
    start: datetime,
    tz: ZoneInfo,
    holiday_calendar: Container[date] = (),
    *,
    day_start: time = DAY_START,
    day_end: time = DAY_END,
) -> datetime:
    """Where the business clock starts for something arriving at `start` (see the module docstring)."""
    _require_aware(start, "start")
    local = start.astimezone(tz)
    day, clock = local.date(), local.time().replace(tzinfo=None)
    if is_business_day(day, holiday_calendar):
        if clock < day_start:
            return _local(day, day_start, tz)
        if clock < day_end:
            return local
    return _local(next_business_day(day, holiday_calendar), day_start, tz)


def add_business_days(
    start: datetime,
    n: int,
    tz: ZoneInfo,
    holiday_calendar: Container[date] = (),
    *,
    day_start: time = DAY_START,
    day_end: time = DAY_END,
) -> datetime:
    """The same local time `n` business days after the anchor of `start` (n = 0: the anchor itself)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    anchor = business_anchor(start, tz, holiday_calendar, day_start=day_start, day_end=day_end)
    day = shift_business_days(anchor.date(), n, holiday_calendar)
    return _local(day, anchor.time().replace(tzinfo=None), tz)


def subtract_business_hours(
    end: datetime,
    hours: float,
    tz: ZoneInfo,
    holiday_calendar: Container[date] = (),
    *,
    day_start: time = DAY_START,
    day_end: time = DAY_END,
) -> datetime:
    """The moment `hours` business hours before `end` (which should lie inside business hours)."""
    _require_aware(end, "end")
    local = end.astimezone(tz)
    day, clock = _hours_before(
        local.date(), local.time().replace(tzinfo=None), hours, holiday_calendar, day_start, day_end
    )
    return _local(day, clock, tz)


def _hours_before(
    day: date, clock: time, hours: float, holiday_calendar: Container[date], day_start: time, day_end: time
) -> tuple[date, time]:
    """Walk back `hours` business hours from local (day, clock): naive local arithmetic, zone applied by callers."""
    clock = min(max(clock, day_start), day_end)
    if not is_business_day(day, holiday_calendar):
        day, clock = previous_business_day(day, holiday_calendar), day_end
    remaining = timedelta(hours=hours)
    while True:
        at = datetime.combine(day, clock)
        available = at - datetime.combine(day, day_start)
        if remaining <= available:
            return day, (at - remaining).time()
        remaining -= available
        day, clock = previous_business_day(day, holiday_calendar), day_end


def business_hours_between(
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    holiday_calendar: Container[date] = (),
    *,
    day_start: time = DAY_START,
    day_end: time = DAY_END,
) -> float:
    """The business hours from `start` to `end` (0 when `end` is not later): the part of each business day's
    [day_start, day_end) local time that lies between them. Friday 16:00 to Monday 09:00 is 2 hours."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return 0.0
    # Wall-clock arithmetic on local naive times: business hours are local hours (a DST change falls at night).
    first, last = start.astimezone(tz).replace(tzinfo=None), end.astimezone(tz).replace(tzinfo=None)
    day, last_day = first.date(), last.date()
    seconds = 0.0
    while day <= last_day:
        if is_business_day(day, holiday_calendar):
            low, high = datetime.combine(day, day_start), datetime.combine(day, day_end)
            if day == first.date() and first > low:
                low = first
            if day == last_day and last < high:
                high = last
            if high > low:
                seconds += (high - low).total_seconds()
        day += timedelta(days=1)
    return seconds / 3600


def _month_start(month: str | date) -> date:
    if isinstance(month, str):
        year, mon = month.split("-")
        return date(int(year), int(mon), 1)
    return month.replace(day=1)


def business_days_after_month_end(
    month: str | date,
    n: int,
    tz: ZoneInfo,
    holiday_calendar: Container[date] = (),
    *,
    at: time = DAY_END,
) -> datetime:
    """The `n`-th business day after the last day of `month` ('YYYY-MM' or any date in it), at `at` local time.

    n = 0 means the month's own last business day. Used for "the monthly log is due 5 business days after
    month end" (due at the end of that business day).
    """
    first = _month_start(month)
    next_first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    day = next_first - timedelta(days=1)
    if n == 0:
        if not is_business_day(day, holiday_calendar):
            day = previous_business_day(day, holiday_calendar)
        return _local(day, at, tz)
    for _ in range(n):
        day = next_business_day(day, holiday_calendar)
    return _local(day, at, tz)


@dataclass(frozen=True)
class BusinessCalendar:
    """A protocol's calendar: time zone, closed days and business hours, with the functions above bound to it."""

    tz: ZoneInfo
    holidays: HolidayCalendar = field(default_factory=HolidayCalendar)
    day_start: time = DAY_START
    day_end: time = DAY_END

    def is_business_day(self, day: date) -> bool:
        return is_business_day(day, self.holidays)

    def local(self, moment: datetime) -> datetime:
        _require_aware(moment, "moment")
        return moment.astimezone(self.tz)

    def local_date(self, moment: datetime) -> date:
        return self.local(moment).date()

    def deadline(self, start: datetime, days: int) -> datetime:
        """`days` business days after `start`, as an aware UTC datetime."""
        return add_business_days(
            start, days, self.tz, self.holidays, day_start=self.day_start, day_end=self.day_end
        ).astimezone(UTC)

    def step(self, start: datetime, days: int, remind_before_hours: float) -> tuple[datetime, datetime | None]:
        """(deadline, reminder) of a step starting at `start`, both aware UTC: `deadline(start, days)` and
        `remind_at(that deadline, remind_before_hours, not_before=start)`, in one pass of local arithmetic."""
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        anchor = business_anchor(start, self.tz, self.holidays, day_start=self.day_start, day_end=self.day_end)
        day, clock = shift_business_days(anchor.date(), days, self.holidays), anchor.time().replace(tzinfo=None)
        deadline = _local(day, clock, self.tz).astimezone(UTC)
        if remind_before_hours <= 0:
            return deadline, None
        back = _hours_before(day, clock, remind_before_hours, self.holidays, self.day_start, self.day_end)
        remind = _local(*back, self.tz).astimezone(UTC)
        return deadline, remind if remind > start else None

    def remind_at(self, deadline: datetime, hours_before: float, *, not_before: datetime) -> datetime | None:
        """The reminder `hours_before` business hours before `deadline` (UTC), or None if it would not be later
        than `not_before` (there is no time left to remind in) or no reminder is wanted."""
        if hours_before <= 0:
            return None
        moment = subtract_business_hours(
            deadline, hours_before, self.tz, self.holidays, day_start=self.day_start, day_end=self.day_end
        ).astimezone(UTC)
        return moment if moment > not_before else None

    def business_hours(self, start: datetime, end: datetime) -> float:
        """Business hours from `start` to `end` (see `business_hours_between`)."""
        return business_hours_between(
            start, end, self.tz, self.holidays, day_start=self.day_start, day_end=self.day_end
        )

    @property
    def hours_per_day(self) -> float:
        """The length of a business day in hours (9 for 08:00-17:00)."""
        return (datetime.combine(date.min, self.day_end) - datetime.combine(date.min, self.day_start)).seconds / 3600

    def after_month_end(self, month: str | date, days: int) -> datetime:
        return business_days_after_month_end(month, days, self.tz, self.holidays, at=self.day_end).astimezone(UTC)

    def morning_after_month_end(self, month: str | date, days: int) -> datetime:
        """The start of the `days`-th business day after `month` ends (UTC)."""
        return business_days_after_month_end(month, days, self.tz, self.holidays, at=self.day_start).astimezone(UTC)
