"""Reading the allocation ledger: a school year's commitments, turned into `routing.allocation.Ledger`.

The ledger's arithmetic is routing.allocation (pure); the rows are store.allocation's.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from routing.allocation import Ledger, ledger
from routing.directory import Directory
from routing.protocol import Protocol
from store import allocation


def school_year_ledger(session: Session, directory: Directory, protocol: Protocol, day: date) -> Ledger:
    return ledger(directory, protocol, allocation.in_school_year(session=session, protocol=protocol, day=day), day=day)


def remaining_for(session: Session, directory: Directory, protocol: Protocol, contact_id: int, now: datetime) -> float:
    """What remains of one contact's allocation in the school year `now` falls in."""
    day = now.astimezone(protocol.timezone).date()
    rows = allocation.in_school_year(session=session, protocol=protocol, day=day, contacts=[contact_id])
    found = ledger(directory, protocol, rows, day=day)
    return next((c.remaining for c in found.contacts if c.contact_id == contact_id), 0.0)


def year_of(protocol: Protocol, year: int | None, today: date) -> date:
    """A day in the school year `--year YEAR` names (the one that starts in YEAR), or today's."""
    if year is None:
        return today
    month, day = protocol.school_year_start
    return date(year, month, day)
