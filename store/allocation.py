"""The allocation ledger's rows: the days each state contact committed when their offer won a training request.

Written by `bot/items/service.py` in the same transaction as the match (the engine's `Commit` effect); read by
`cstbot trainers`, the monthly summary's workbook and the offer modal (what remains before an offer).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert
from sqlmodel import Session, select

from routing.allocation import Commitment
from routing.model import Commit
from routing.protocol import Protocol
from store.models import TrainerCommitment


def add(*, session: Session, item_id: int, commitment: Commit, at: datetime) -> None:
    """The commitment, as one Core INSERT (no ORM object: it may run inside `store.db.pipelined`)."""
    session.execute(COMMITMENT_INSERT, [{
        "item_id": item_id, "contact_id": commitment.contact_id, "trainer_id": commitment.trainer_id,
        "days": commitment.days, "over_allocation": commitment.over_allocation, "committed_at": at,
        "created_at": at,
    }])


COMMITMENT_INSERT = insert(TrainerCommitment.__table__).inline()  # inline: no implicit RETURNING


def between(*, session: Session, start: datetime, end: datetime) -> list[TrainerCommitment]:
    """Commitments made in [start, end), oldest first."""
    query = select(TrainerCommitment).where(
        TrainerCommitment.committed_at >= start, TrainerCommitment.committed_at < end
    )
    return list(session.exec(query.order_by(TrainerCommitment.committed_at, TrainerCommitment.id)))


def of_contacts(*, session: Session, contact_ids: Iterable[int], start: datetime, end: datetime
                ) -> list[TrainerCommitment]:
    ids = list(contact_ids)
    if not ids:
        return []
    query = select(TrainerCommitment).where(
        TrainerCommitment.contact_id.in_(ids),  # type: ignore[attr-defined]
        TrainerCommitment.committed_at >= start,
        TrainerCommitment.committed_at < end,
    )
    return list(session.exec(query.order_by(TrainerCommitment.committed_at, TrainerCommitment.id)))


def in_school_year(*, session: Session, protocol: Protocol, day: date, contacts: Iterable[int] | None = None
                   ) -> list[Commitment]:
    """The commitments of the school year `day` falls in (the protocol's calendar and time zone), as the pure
    ledger reads them (routing.allocation)."""
    first, last = protocol.school_year(day)
    tz = protocol.timezone
    start, end = datetime.combine(first, time(), tz), datetime.combine(last + timedelta(days=1), time(), tz)
    rows = (between(session=session, start=start, end=end) if contacts is None
            else of_contacts(session=session, contact_ids=contacts, start=start, end=end))
    return [
        Commitment(
            r.item_id, r.contact_id, r.trainer_id, r.days, r.over_allocation, r.committed_at.astimezone(tz).date()
        )
        for r in rows
    ]
