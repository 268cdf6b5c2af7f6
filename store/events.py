"""Slack Events API event ids already handled, so Slack's retries of one event are processed once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from store.models import SlackEventSeen


def first_time(*, session: Session, event_id: str, now: datetime) -> bool:
    """Record the event id; False when it was recorded before (this delivery is one of Slack's retries)."""
    try:
        with session.begin_nested():
            session.add(SlackEventSeen(event_id=event_id, received_at=now))
            session.flush()
    except IntegrityError:
        return False
    return True


def forget_before(*, session: Session, before: datetime) -> int:
    """Forget event ids received before `before`; returns how many."""
    return session.exec(delete(SlackEventSeen).where(SlackEventSeen.received_at < before)).rowcount


def forget(*, session: Session, event_id: str) -> None:
    """Forget one event id (its handling failed: Slack's retry of it should be handled)."""
    session.exec(delete(SlackEventSeen).where(SlackEventSeen.event_id == event_id))
