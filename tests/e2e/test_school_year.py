"""A simulated school year (August 2026 to June 2027) under frozen time: requests at every hour of the week,
their reminders and escalations, the monthly log reminders, across both daylight-saving changes and Missouri's
holidays, to recipients in Chicago and New York. Nothing lands outside its recipient's working hours, except the
answer to the person who just acted and time-sensitive requests, which go at once.

The clock jumps from one thing to do to the next (a request, a withdrawal, a reminder or deadline falling due, a
message whose morning has come), as the minute sweep and the dispatcher's poll would find them."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time
from sqlmodel import select

from bot.coaching_log.scheduled import run_reminders
from routing import hours
from routing.errors import Refused
from routing.model import EventKind, ItemKind, ItemState
from store.models import Item, Outbox
from tests.e2e.test_working_hours import set_tz

CT, ET = ZoneInfo("America/Chicago"), ZoneInfo("America/New_York")
START = datetime(2026, 8, 3, 13, 0, tzinfo=UTC)  # Monday 2026-08-03, 08:00 Chicago
END = datetime(2027, 6, 30, 23, 0, tzinfo=UTC)
AUTUMN_START, AUTUMN_END = datetime(2026, 10, 19, 13, 0, tzinfo=UTC), datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
ASK_EVERY = timedelta(days=6, hours=5, minutes=13)  # walks through the hours of the day and days of the week
WITHDRAW_AFTER = timedelta(days=5)  # the asker gives up: bounds how many items stay open
# Who asks whom: members of Team A (Fay, New York) and Team B (Bo, Chicago); the leads are in both zones.
ASKERS = ("UMEMA0001", "UMEMB0001")
ZONES = {"UFACA0001": "America/New_York", "ULEAD0001": "America/New_York", "UMGMT0001": "America/New_York"}


def _months(first: date, last: date) -> list[str]:
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(f"{day:%Y-%m}")
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def test_a_school_year_lands_only_in_working_hours(app_env):
    """The whole year on SQLite; on PostgreSQL (the same code, slower per transaction) the autumn weeks around the
    November clock change, Veterans Day and Thanksgiving."""
    env = app_env
    full_year = env.engine.dialect.name == "sqlite"
    start, end = (START, END) if full_year else (AUTUMN_START, AUTUMN_END)
    for slack_id, tz in ZONES.items():
        set_tz(env, slack_id, tz)
    protocol = env.deps.protocols.current
    calendar = protocol.calendar
    service = env.service()
    with env.deps.session() as s:
        directory = service.directory(s)
    zone_of = {p.slack_id: hours.zone(p.tz, protocol.timezone) for p in directory.people.values() if p.slack_id}

    events: list[tuple[datetime, str, object]] = []
    at, n = start, 0
    while at < end - WITHDRAW_AFTER:
        events.append((at, "ask", n))
        at, n = at + ASK_EVERY, n + 1
    # The evening before Thanksgiving: that card waits over the holiday.
    events.append((datetime(2026, 11, 25, 18, 0, tzinfo=CT).astimezone(UTC), "ask", n))
    for month in _months(date(2026, 7, 1), date(2027, 5, 31)):  # each month's log: reminder, then the late nudge
        events += [(t, "log", month) for t in (protocol.log_reminder_at(month), protocol.log_due_at(month))
                   if start <= t < end]
    events.sort(key=lambda e: e[0])

    asked: list[tuple[int, str, datetime]] = []  # item id, asker, when
    sent: list[tuple[datetime, str, bool]] = []  # when, to whom, whether it had to wait
    skipped_holidays: set[str] = set()  # Missouri holidays a waiting message waited past
    late: list[str] = []
    with freeze_time(start) as clock:
        now = start
        while True:
            with env.deps.session() as s:
                due = s.exec(select(Outbox.next_attempt_at).where(Outbox.status == "pending")
                             .order_by(Outbox.next_attempt_at)).first()
                open_items = [ItemState.from_dict(i.state) for i in s.exec(select(Item).where(Item.status == "open"))]
            item_times = [t for st in open_items for t in (st.remind_at, st.deadline_at) if t is not None]
            withdrawals = [w + WITHDRAW_AFTER for _, _, w in asked]
            candidates = [t for t in (due, *item_times, *withdrawals, events[0][0] if events else None)
                          if t is not None and t > now - timedelta(seconds=1)]
            if not candidates:
                break
            now = max(now, min(candidates))
            if now > end:
                break
            clock.move_to(now)
            actors: set[str] = set()
            while events and events[0][0] <= now:
                _, kind, data = events.pop(0)
                if kind == "ask":
                    asker = ASKERS[data % 2]
                    actors.add(asker)
                    state = service.start(directory.by_slack_id(asker), kind=ItemKind.QUESTION,
                                          text=f"Question {data}", urgency="urgent" if data % 7 == 3 else "normal")
                    asked.append((state.id, asker, now))
                else:
                    run_reminders(env.deps, now)
            for item_id, asker, when in [a for a in asked if a[2] + WITHDRAW_AFTER <= now]:
                asked.remove((item_id, asker, when))
                actors.add(asker)
                with contextlib.suppress(Refused):  # already closed
                    service.act(directory.by_slack_id(asker), item_id=item_id, kind=EventKind.WITHDRAWN)
            service.sweep(now=now)
            env.deliver()
            with env.deps.session() as s:
                rows = s.exec(select(Outbox).where(Outbox.sent_at == now, Outbox.method == "chat.postMessage")).all()
                urgent = {i.id for i in s.exec(select(Item).where(Item.urgency == "urgent"))}
            for row in rows:
                to = row.payload["channel"]
                sent.append((now, to, row.held_until is not None))
                day = row.created_at.astimezone(zone_of[to]).date()
                while row.held_until is not None and day < now.astimezone(zone_of[to]).date():
                    if day.weekday() < 5 and calendar.holidays.name(day):
                        skipped_holidays.add(calendar.holidays.name(day))
                    day += timedelta(days=1)
                if row.held_until is not None and now < row.held_until:
                    late.append(f"row {row.id} sent before its morning")
                if hours.is_working(now, zone_of[to], calendar):
                    continue
                if to in actors or row.item_id in urgent:
                    continue  # the answer to the person who acted; a time-sensitive request
                local = now.astimezone(zone_of[to])
                late.append(f"{to} at {local:%a %Y-%m-%d %H:%M %Z}: {row.payload.get('text', '')[:60]}")

    assert late == []
    assert len(sent) > (150 if full_year else 25)
    held = [(t, to) for t, to, waited in sent if waited]
    assert len(held) > (60 if full_year else 10)  # the year did test something
    # Mornings after both daylight-saving changes, in both zones, arrived at 08:xx local time.
    for change in (date(2026, 11, 1), date(2027, 3, 14)) if full_year else (date(2026, 11, 1),):
        after = [(t, to) for t, to in held if change < t.astimezone(CT).date() <= change + timedelta(days=14)]
        assert {zone_of[to].key for _, to in after} == {"America/Chicago", "America/New_York"}
        assert all(t.astimezone(zone_of[to]).hour == 8 for t, to in after)
    # Nothing that waited went out on a weekend or a Missouri holiday (Truman Day, Lincoln Day, ...).
    closed = [t for t, to in held if not hours.is_working(t, zone_of[to], calendar)]
    assert closed == []
    # e.g. Thanksgiving, Lincoln Day, Truman Day
    assert len(skipped_holidays) >= (3 if full_year else 1), skipped_holidays
    # Spread over the first minutes, not all at 08:00:00.
    assert len({t.astimezone(zone_of[to]).minute for t, to in held}) >= 2
