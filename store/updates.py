"""The lead facilitators' monthly CST updates (`lead_update`): one per lead and month, replaced in place.

Every function takes the caller's session (keyword-only) and never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import LeadUpdate


def get(*, session: Session, update_id: int, lock: bool = False) -> LeadUpdate | None:
    if lock:  # PostgreSQL: two sends of the same update queue here; SQLite has one writer anyway
        return session.exec(select(LeadUpdate).where(LeadUpdate.id == update_id).with_for_update()).first()
    return session.get(LeadUpdate, update_id)


def of_lead(*, session: Session, lead_id: int, month: str, lock: bool = False) -> LeadUpdate | None:
    query = select(LeadUpdate).where(LeadUpdate.lead_id == lead_id, LeadUpdate.month == month)
    return session.exec(query.with_for_update() if lock else query).first()


def of_month(*, session: Session, month: str) -> list[LeadUpdate]:
    """Every lead's update for the month, first sent first."""
    return list(session.exec(select(LeadUpdate).where(LeadUpdate.month == month).order_by(LeadUpdate.first_sent_at)))


def add(*, session: Session, month: str, lead_id: int, for_all: bool, figures: dict[str, Any], highlights: str,
        concerns: str, asks: str, form_token: str, now: datetime) -> LeadUpdate | None:
    """The lead's update for the month, or None when another form of theirs wrote it at the same moment."""
    row = LeadUpdate(month=month, lead_id=lead_id, for_all=for_all, figures=figures, highlights=highlights,
                     concerns=concerns, asks=asks, form_token=form_token, first_sent_at=now, sent_at=now,
                     created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def replace(*, session: Session, row: LeadUpdate, for_all: bool, figures: dict[str, Any], highlights: str,
            concerns: str, asks: str, form_token: str, now: datetime) -> LeadUpdate:
    """The lead sent the month's update again: the new text and figures, the next revision."""
    row.for_all, row.figures = for_all, figures
    row.highlights, row.concerns, row.asks = highlights, concerns, asks
    row.form_token = form_token
    row.revision += 1
    row.sent_at = row.updated_at = now
    session.add(row)
    session.flush()
    return row
