"""Management team minutes (`minutes`) and facilitators passing them on to their teams (`minutes_share`).

Every function takes the caller's session (keyword-only) and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import Minutes, MinutesShare


def get(*, session: Session, minutes_id: int, lock: bool = False) -> Minutes | None:
    if lock:  # PostgreSQL: clicks on the same minutes queue here, so each sees the others' changes
        return session.exec(select(Minutes).where(Minutes.id == minutes_id).with_for_update()).first()
    return session.get(Minutes, minutes_id)


def by_token(*, session: Session, form_token: str) -> Minutes | None:
    return session.exec(select(Minutes).where(Minutes.form_token == form_token)).first()


def add(*, session: Session, meeting_date: date, sender_id: int, text: str, link: str, files: list[dict[str, Any]],
        decisions: str, action_items: str, form_token: str, now: datetime) -> Minutes | None:
    """The new minutes, or None when this form was sent already (a double submission)."""
    if by_token(session=session, form_token=form_token) is not None:
        return None
    row = Minutes(meeting_date=meeting_date, sender_id=sender_id, text=text, link=link, files=files,
                  decisions=decisions, action_items=action_items, form_token=form_token, sent_at=now, created_at=now)
    try:
        with session.begin_nested():  # the same form sent twice at once: the second loses here
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def many(*, session: Session, ids: Iterable[int]) -> dict[int, Minutes]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return {m.id: m for m in session.exec(select(Minutes).where(Minutes.id.in_(wanted)))}


def sent_by(*, session: Session, sender_id: int, limit: int) -> list[Minutes]:
    """The person's newest minutes first."""
    return list(session.exec(
        select(Minutes).where(Minutes.sender_id == sender_id).order_by(Minutes.sent_at.desc(), Minutes.id.desc())
        .limit(limit)
    ))


def sent_since(*, session: Session, since: datetime) -> list[Minutes]:
    """Minutes sent at or after `since`, oldest first (the reminder job looks at these)."""
    return list(session.exec(select(Minutes).where(Minutes.sent_at >= since).order_by(Minutes.id)))


# --- shares ----------------------------------------------------------------------------------------------


def shares(*, session: Session, minutes_ids: Iterable[int]) -> list[MinutesShare]:
    wanted = list(dict.fromkeys(minutes_ids))
    if not wanted:
        return []
    return list(session.exec(select(MinutesShare).where(MinutesShare.minutes_id.in_(wanted))
                             .order_by(MinutesShare.id)))


def add_share(*, session: Session, minutes_id: int, team_id: int, facilitator_id: int, note: str, members: int,
              now: datetime) -> MinutesShare | None:
    """Record that the team got the minutes; None when it already had them (another facilitator, a double click)."""
    exists = select(MinutesShare.id).where(MinutesShare.minutes_id == minutes_id, MinutesShare.team_id == team_id)
    if session.exec(exists).first() is not None:
        return None
    row = MinutesShare(minutes_id=minutes_id, team_id=team_id, facilitator_id=facilitator_id, note=note,
                       members=members, shared_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def shared_with_teams(*, session: Session, team_ids: Iterable[int], limit: int) -> list[MinutesShare]:
    """The newest shares to any of these teams, newest first (a member's Home lists what reached them)."""
    wanted = list(dict.fromkeys(team_ids))
    if not wanted:
        return []
    return list(session.exec(
        select(MinutesShare).where(MinutesShare.team_id.in_(wanted)).order_by(MinutesShare.shared_at.desc(),
                                                                             MinutesShare.id.desc()).limit(limit)
    ))
