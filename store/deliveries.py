"""Scheduled deliveries happen once: a row keyed (kind, period, recipient) is claimed in the caller's transaction.

A double fire, a restart or two scheduler processes race for the same key; the unique constraint lets one
win and the others see it as already done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import ScheduledDelivery


def claim(*, session: Session, kind: str, period: str, recipient: str, now: datetime) -> ScheduledDelivery | None:
    """The new delivery row, or None when this (kind, period, recipient) was already delivered."""
    exists = select(ScheduledDelivery.id).where(
        ScheduledDelivery.kind == kind, ScheduledDelivery.period == period, ScheduledDelivery.recipient == recipient
    )
    if session.exec(exists).first() is not None:
        return None
    row = ScheduledDelivery(kind=kind, period=period, recipient=recipient, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def release(*, session: Session, kind: str, period: str, recipient: str) -> None:
    """Forget a claimed delivery that did not happen, so the next run tries that recipient again."""
    session.exec(delete(ScheduledDelivery).where(
        ScheduledDelivery.kind == kind, ScheduledDelivery.period == period, ScheduledDelivery.recipient == recipient
    ))
