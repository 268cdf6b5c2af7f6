"""What a person sets or Slack tells about them outside the roster: their time zone and "quiet until".

The roster import owns names, emails, Slack ids and `away_until`; these columns are never written by it. A change
that routing sees (quiet until, a new time zone) bumps the directory version, so every process reloads it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from store.directory import bump_directory_version
from store.models import Person


def quiet_until(*, session: Session, person_id: int) -> date | None:
    row = session.get(Person, person_id)
    return row.quiet_until if row is not None else None


def set_quiet_until(*, session: Session, person_id: int, until: date | None, now: datetime) -> bool:
    """Set (or clear, `until=None`) the person's "quiet until". False if there is no such person."""
    row = session.get(Person, person_id)
    if row is None:
        return False
    if row.quiet_until != until:
        row.quiet_until, row.updated_at = until, now
        session.add(row)
        bump_directory_version(session=session)
    return True


def needing_tz(*, session: Session, checked_before: datetime | None, limit: int) -> list[tuple[int, str]]:
    """(person id, Slack id) of active people with a Slack account whose time zone was never asked, or (with
    `checked_before`) last asked before then; never-asked first."""
    stale = Person.tz_checked_at.is_(None)
    if checked_before is not None:
        stale = or_(stale, Person.tz_checked_at < checked_before)
    stmt = (
        select(Person.id, Person.slack_id)
        .where(Person.active.is_(True), Person.slack_id.is_not(None), stale)
        .order_by(Person.tz_checked_at.is_not(None), Person.tz_checked_at, Person.id)
        .limit(limit)
    )
    return [(pid, slack_id) for pid, slack_id in session.exec(stmt)]


def set_tz(*, session: Session, person_id: int, tz: str | None, now: datetime) -> bool:
    """Record what Slack said (`tz` None: Slack did not say; the old zone is kept). True if the zone changed."""
    row = session.get(Person, person_id)
    if row is None:
        return False
    changed = tz is not None and tz != row.tz
    if changed:
        row.tz = tz
    row.tz_checked_at = now
    session.add(row)
    return changed
