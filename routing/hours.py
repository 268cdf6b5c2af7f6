"""Working hours per recipient: when a push (a reminder, a nudge, a notice, a summary) may reach someone.

Pure: every moment is passed in, nothing here reads the clock.

* A person's working hours are the protocol's business hours (`calendar.business_hours`) on the protocol's
  business days (no weekends, no holidays, no closed days), read on the wall clock of the person's own time zone
  (Slack's `tz`; the protocol's zone when it is not known yet). So 08:00-17:00 is 08:00-17:00 in New York for a
  New Yorker, and a Missouri holiday is a day off for everyone under the Missouri protocol.
* Something that would reach them outside those hours waits for their next working morning: the start of their
  next working day, plus a fixed offset of up to `spread_minutes` derived from the recipient (a whole state's
  reminders then arrive over the first minutes, not all at 08:00:00, and each person always at the same minute).
* A person who said they are quiet until a date (holiday, leave) is not pushed before the working morning after it.
* The protocol's `delivery.at_once` urgencies (Missouri: `urgent`, the ask form's "Time-sensitive") reach the
  recipient at once, whatever the hour.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routing.calendar import BusinessCalendar, is_business_day, next_business_day

DEFAULT_SPREAD_MINUTES = 20
URGENCIES = ("normal", "urgent")  # the ask form's choices ("Normal", "Time-sensitive")


@dataclass(frozen=True, slots=True)
class Delivery:
    """The protocol file's `delivery` key."""

    working_hours: bool = True  # False: every push goes at once (the behaviour before working hours existed)
    spread_minutes: int = DEFAULT_SPREAD_MINUTES
    at_once: frozenset[str] = field(default_factory=lambda: frozenset({"urgent"}))

    def urgent(self, urgency: str | None) -> bool:
        """Whether an item of this urgency is delivered at once, whatever the hour."""
        return not self.working_hours or (urgency or "normal") in self.at_once


def zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """The time zone `name` (Slack's `tz`, "America/New_York"), or `fallback` when unknown or not a zone."""
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {value!r}")


def is_working(moment: datetime, tz: ZoneInfo, calendar: BusinessCalendar) -> bool:
    """Whether `moment` falls inside working hours on the wall clock of `tz`."""
    _require_aware(moment)
    local = moment.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    return is_business_day(local.date(), calendar.holidays) and calendar.day_start <= clock < calendar.day_end


def spread(key: object, minutes: int) -> timedelta:
    """The recipient's fixed offset into the working morning: the same for the same key in every process."""
    if minutes <= 0:
        return timedelta(0)
    return timedelta(seconds=zlib.crc32(str(key).encode()) % (minutes * 60))


def _morning(day: date, tz: ZoneInfo, calendar: BusinessCalendar) -> datetime:
    return datetime.combine(day, calendar.day_start, tzinfo=tz)


def working_from(moment: datetime, tz: ZoneInfo, calendar: BusinessCalendar) -> datetime:
    """`moment` itself if it is inside working hours in `tz`, else the start of the next working day (no spread).
    Aware UTC."""
    _require_aware(moment)
    if is_working(moment, tz, calendar):
        return moment.astimezone(UTC)
    local = moment.astimezone(tz)
    day = local.date()
    if not (is_business_day(day, calendar.holidays) and local.time().replace(tzinfo=None) < calendar.day_start):
        day = next_business_day(day, calendar.holidays)
    return _morning(day, tz, calendar).astimezone(UTC)


def next_working_morning(moment: datetime, tz: ZoneInfo, calendar: BusinessCalendar, *, key: object = "",
                         spread_minutes: int = DEFAULT_SPREAD_MINUTES) -> datetime:
    """The working morning after the local day of `moment` ("tomorrow", skipping weekends and holidays), at the
    recipient's offset. Aware UTC. Used by *Remind me tomorrow*."""
    _require_aware(moment)
    day = next_business_day(moment.astimezone(tz).date(), calendar.holidays)
    return (_morning(day, tz, calendar) + spread(key, spread_minutes)).astimezone(UTC)


def deliver_at(now: datetime, tz: ZoneInfo, calendar: BusinessCalendar, *, key: object,
               spread_minutes: int = DEFAULT_SPREAD_MINUTES, quiet_until: date | None = None,
               at_once: bool = False) -> datetime:
    """When a push written at `now` should reach the recipient: `now` inside their working hours (or `at_once`),
    else their next working morning at their offset; never before the working morning after `quiet_until`.
    Aware UTC."""
    _require_aware(now)
    local_day = now.astimezone(tz).date()
    if quiet_until is not None and local_day <= quiet_until and not at_once:
        day = next_business_day(quiet_until, calendar.holidays)
        return (_morning(day, tz, calendar) + spread(key, spread_minutes)).astimezone(UTC)
    if at_once or is_working(now, tz, calendar):
        return now.astimezone(UTC)
    return working_from(now, tz, calendar) + spread(key, spread_minutes)


def morning_label(at: datetime, tz: ZoneInfo) -> str:
    """"Tuesday 8:07 AM" in the recipient's zone, for telling them when a snoozed reminder comes back."""
    local = at.astimezone(tz)
    return f"{local:%A} {local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


__all__ = [
    "DEFAULT_SPREAD_MINUTES",
    "URGENCIES",
    "Delivery",
    "deliver_at",
    "is_working",
    "morning_label",
    "next_working_morning",
    "spread",
    "working_from",
    "zone",
]
