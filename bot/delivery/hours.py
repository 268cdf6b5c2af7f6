"""When a push to one person goes: now, or their next working morning (`routing.hours`, on their Slack `tz`).

Every feature that DMs someone asks `hold(protocol, person, now)` and hands the answer to the outbox as
`held_until`: the row waits there (the Home tab, read from the database, shows everything at once). Only posts
wait; an edit of a message already in Slack (chat.update) goes at once, and an edit of a waiting post waits for it.
"""

from __future__ import annotations

from datetime import datetime

from routing import hours
from routing.directory import Person
from routing.protocol import Protocol


def hold(protocol: Protocol, person: Person | None, now: datetime, *, at_once: bool = False) -> datetime | None:
    """The working morning a push to `person` written at `now` waits for, or None when it goes now (inside their
    working hours, `at_once`, or the protocol's `delivery.working_hours` is off). A person away (the roster's
    `away_until`, or their own "quiet until") gets it the working morning after they are back."""
    if person is None or not protocol.delivery.working_hours:
        return None
    at = hours.deliver_at(now, zone_of(protocol, person), protocol.calendar, key=f"person:{person.id}",
                          spread_minutes=protocol.delivery.spread_minutes, quiet_until=person.away_until,
                          at_once=at_once)
    return at if at > now else None


def zone_of(protocol: Protocol, person: Person):
    return hours.zone(person.tz, protocol.timezone)


def tomorrow(protocol: Protocol, person: Person, now: datetime) -> datetime:
    """*Remind me tomorrow*: the person's next working morning (after any quiet days), at their offset."""
    at = hours.next_working_morning(now, zone_of(protocol, person), protocol.calendar, key=f"person:{person.id}",
                                    spread_minutes=protocol.delivery.spread_minutes)
    later = hold(protocol, person, at)
    return later or at
