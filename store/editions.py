"""Summary editions: each sending of a month's summary (revision 0, then one per late log), keyed (month,
revision) so a scheduled job running twice, or in two processes, sends each once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from store.models import LogMonth, SummaryEdition

SUBMITTED = "submitted"


def latest(*, session: Session, month: str) -> SummaryEdition | None:
    stmt = select(SummaryEdition).where(SummaryEdition.month == month).order_by(SummaryEdition.revision.desc())
    return session.exec(stmt.limit(1)).first()


def latest_per_month(*, session: Session, since: str) -> list[SummaryEdition]:
    """The newest edition of every month from `since` (YYYY-MM) on, oldest month first."""
    newest = (
        select(SummaryEdition.month, func.max(SummaryEdition.revision).label("revision"))
        .where(SummaryEdition.month >= since)
        .group_by(SummaryEdition.month)
        .subquery()
    )
    stmt = (
        select(SummaryEdition)
        .join(newest, (SummaryEdition.month == newest.c.month) & (SummaryEdition.revision == newest.c.revision))
        .order_by(SummaryEdition.month)
    )
    return list(session.exec(stmt))


def add(
    *, session: Session, month: str, revision: int, figures: dict[str, Any], recipients: list[dict[str, Any]],
    changes: list[str], now: datetime,
) -> SummaryEdition | None:
    """Record an edition in the caller's transaction; None if that (month, revision) exists already."""
    row = SummaryEdition(month=month, revision=revision, figures=figures, recipients=recipients, changes=changes,
                         created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def submitted_logs(*, session: Session, month: str) -> dict[int, datetime | None]:
    """team id -> submitted_at of the month's submitted logs."""
    stmt = select(LogMonth.team_id, LogMonth.submitted_at).where(LogMonth.month == month,
                                                                  LogMonth.status == SUBMITTED)
    return {team_id: at for team_id, at in session.exec(stmt)}
