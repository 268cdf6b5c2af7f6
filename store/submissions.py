"""Modal submissions by Slack's view id: claimed when one arrives, answered once, replayed to any repeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from store.models import ViewSubmission

PENDING, ANSWERED = "pending", "answered"


def claim(*, session: Session, view_id: str, callback_id: str, user_id: str, now: datetime,
          abandoned_before: datetime) -> ViewSubmission | None:
    """Claim the view for this submission: None when claimed (it is the first, or the first was abandoned:
    pending since before `abandoned_before`), else the earlier submission's row."""
    try:
        with session.begin_nested():
            session.add(ViewSubmission(view_id=view_id, callback_id=callback_id[:255], user_id=user_id[:32],
                                       status=PENDING, received_at=now))
            session.flush()
        return None
    except IntegrityError:
        pass
    row = session.get(ViewSubmission, view_id, with_for_update=True, populate_existing=True)
    if row is None:  # released in between: claim it now
        return claim(session=session, view_id=view_id, callback_id=callback_id, user_id=user_id, now=now,
                     abandoned_before=abandoned_before)
    if row.status == PENDING and row.received_at < abandoned_before:
        row.received_at = now
        session.add(row)
        return None
    return row


def get(*, session: Session, view_id: str) -> ViewSubmission | None:
    return session.get(ViewSubmission, view_id, populate_existing=True)


def answer(*, session: Session, view_id: str, status: int, response: Any, now: datetime) -> None:
    row = session.get(ViewSubmission, view_id)
    if row is None:
        return
    row.status, row.response_status, row.response, row.answered_at = ANSWERED, status, response, now
    session.add(row)


def release(*, session: Session, view_id: str) -> None:
    """Forget a claim whose submission wrote nothing (field errors, a failure): the view may be submitted again."""
    session.exec(delete(ViewSubmission).where(ViewSubmission.view_id == view_id))


def forget_before(*, session: Session, before: datetime) -> int:
    """Forget submissions received before `before` (Slack's views live at most a few hours); returns how many."""
    return session.exec(delete(ViewSubmission).where(ViewSubmission.received_at < before)).rowcount
