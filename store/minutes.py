"""Management team minutes (`minutes`) and facilitators passing them on to their teams (`minutes_share`).

Every function takes the caller's session (keyword-only) and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, cast, func, literal, union_all
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import MessageCard, Minutes, MinutesShare


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


def reached(*, session: Session, person_id: int, team_ids: Iterable[int], limit: int
            ) -> list[tuple[Minutes, str, int, datetime]]:
    """In one query, the minutes that reached the person lately: from their newest `limit` message cards about
    minutes (their own copy, as a facilitator) and the newest `limit` shares to their teams. Each as (minutes,
    "card" or "share", the card's or share's id, when it reached them), cards newest first, then shares newest
    first (the order the caller reads them in)."""
    prefix = "minutes:"
    cards = (
        select(cast(func.substr(MessageCard.subject, len(prefix) + 1), Integer).label("mid"),
               MessageCard.id.label("via"), MessageCard.created_at.label("at"), literal("card").label("kind"))
        .where(MessageCard.recipient_id == person_id, MessageCard.subject.startswith(prefix))
        .order_by(MessageCard.id.desc()).limit(limit).subquery()
    )
    parts = [select(cards.c.mid, cards.c.via, cards.c.at, cards.c.kind)]
    teams = list(dict.fromkeys(team_ids))
    if teams:
        shares = (
            select(MinutesShare.minutes_id.label("mid"), MinutesShare.id.label("via"),
                   MinutesShare.shared_at.label("at"), literal("share").label("kind"))
            .where(MinutesShare.team_id.in_(teams))
            .order_by(MinutesShare.shared_at.desc(), MinutesShare.id.desc()).limit(limit).subquery()
        )
        parts.append(select(shares.c.mid, shares.c.via, shares.c.at, shares.c.kind))
    picked = union_all(*parts).subquery()
    rows = session.execute(
        select(Minutes, picked.c.kind, picked.c.via, picked.c.at).join(picked, Minutes.id == picked.c.mid)
    ).all()
    cards_first = sorted((r for r in rows if r[1] == "card"), key=lambda r: r[2], reverse=True)
    shares_next = sorted((r for r in rows if r[1] == "share"), key=lambda r: (r[3], r[2]), reverse=True)
    return [(m, kind, via, at) for m, kind, via, at in cards_first + shares_next]
