"""Coaching interaction logs: entries, and each team's month (open, then submitted and locked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, insert, literal, union_all
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from routing.coaching_log import Entry, month_of
from routing.errors import CstbotError
from store.models import Interaction, LogMonth

OPEN, SUBMITTED = "open", "submitted"


class MonthLocked(CstbotError):
    def __init__(self, month: str):
        self.month = month
        super().__init__(f"the log for {month} is submitted; reopen it first")


def _apply(row: Any, entry: Entry) -> None:
    assert entry.occurred_on is not None and entry.district_id is not None and entry.duration_minutes is not None
    row.district_id = entry.district_id
    row.occurred_on = entry.occurred_on
    row.month = month_of(entry.occurred_on)
    row.duration_minutes = entry.duration_minutes
    row.interaction_type = entry.interaction_type or ""
    row.description = entry.description
    row.participants = entry.participants
    row.members_present = list(entry.members_present)
    row.topics = list(entry.topics)
    row.resources = entry.resources
    row.comments = entry.comments
    row.no_student_data = entry.no_student_data


def get_month(*, session: Session, team_id: int, month: str, lock: bool = False) -> LogMonth | None:
    """The team's month; `lock=True` holds it (FOR UPDATE) to the end of the transaction, so two people
    submitting or reopening it at once are decided one after the other."""
    stmt = select(LogMonth).where(LogMonth.team_id == team_id, LogMonth.month == month)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def _month_row(*, session: Session, team_id: int, month: str, now: datetime) -> LogMonth:
    """The team's month, locked; created (open) if it has no row yet. Two creating it at once: the second waits
    for the first and then reads its row, as if it had come second (no unique violation reaches the person)."""
    row = get_month(session=session, team_id=team_id, month=month, lock=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LogMonth(team_id=team_id, month=month, status=OPEN, created_at=now, updated_at=now)
            session.add(row)
            session.flush()
        return row
    except IntegrityError:
        row = get_month(session=session, team_id=team_id, month=month, lock=True)
        assert row is not None  # the unique violation says it exists; rows are never deleted
        return row


def is_locked(*, session: Session, team_id: int, month: str) -> bool:
    row = get_month(session=session, team_id=team_id, month=month)
    return row is not None and row.status == SUBMITTED


def submitted_teams(*, session: Session, month: str) -> dict[int, int | None]:
    """Team id -> who submitted it, for every team whose log of `month` was submitted (reopened since or not)."""
    rows = session.exec(select(LogMonth.team_id, LogMonth.submitted_by).where(
        LogMonth.month == month, LogMonth.submitted_at.is_not(None)))
    return {team_id: by for team_id, by in rows}


def locked_months(*, session: Session, team_ids: tuple[int, ...]) -> frozenset[str]:
    """Months submitted by any of the teams (an entry's team is its district's)."""
    return frozenset(month for months in locked_by_team(session=session, team_ids=team_ids).values()
                     for month in months)


def locked_by_team(*, session: Session, team_ids: tuple[int, ...]) -> dict[int, frozenset[str]]:
    """Each team's submitted months (one query); every team asked for has an entry."""
    found: dict[int, set[str]] = {team_id: set() for team_id in team_ids}
    if team_ids:
        rows = session.exec(select(LogMonth.team_id, LogMonth.month).where(
            LogMonth.team_id.in_(team_ids), LogMonth.status == SUBMITTED))
        for team_id, month in rows:
            found[team_id].add(month)
    return {team_id: frozenset(months) for team_id, months in found.items()}


def add(*, session: Session, team_id: int, author_id: int, entry: Entry, now: datetime,
        locked: frozenset[str] | None = None) -> None:
    """A new interaction: one Core INSERT (no ORM object, no flush). `locked`: the team's submitted months, when
    the caller read them in this transaction already (`locked_months`); else they are looked up here."""
    month = month_of(entry.occurred_on)
    if (month in locked) if locked is not None else is_locked(session=session, team_id=team_id, month=month):
        raise MonthLocked(month)
    values: dict[str, Any] = {"team_id": team_id, "author_id": author_id, "created_at": now, "updated_at": now,
                              "deleted_at": None}
    _apply(_Values(values), entry)
    session.execute(INTERACTION_INSERT, [values])


INTERACTION_INSERT = insert(Interaction.__table__).inline()  # inline: no implicit RETURNING of the id


class _Values:
    """Attribute writes into a dict: `_apply` fills an ORM row (an edit) or the values of an INSERT alike."""

    def __init__(self, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", values)

    def __setattr__(self, name: str, value: Any) -> None:
        self._values[name] = value


def get(*, session: Session, interaction_id: int) -> Interaction | None:
    row = session.get(Interaction, interaction_id)
    return row if row is not None and row.deleted_at is None else None


def update(*, session: Session, row: Interaction, team_id: int, entry: Entry, now: datetime) -> Interaction:
    """Change an entry (its month, and the month it moves to, must both be open)."""
    for month in {row.month, month_of(entry.occurred_on)}:
        if is_locked(session=session, team_id=row.team_id, month=month):
            raise MonthLocked(month)
    _apply(row, entry)
    row.team_id = team_id
    row.updated_at = now
    session.add(row)
    return row


def remove(*, session: Session, row: Interaction, now: datetime) -> None:
    """Soft delete: the row stays for the record, out of the log, exports and summaries."""
    if is_locked(session=session, team_id=row.team_id, month=row.month):
        raise MonthLocked(row.month)
    row.deleted_at = now
    session.add(row)


def month_entries(*, session: Session, team_id: int, month: str) -> list[Interaction]:
    stmt = (
        select(Interaction)
        .where(Interaction.team_id == team_id, Interaction.month == month, Interaction.deleted_at.is_(None))
        .order_by(Interaction.occurred_on, Interaction.id)
    )
    return list(session.exec(stmt))


@dataclass(frozen=True)
class MonthView:
    """What the Home tab shows of one team's month: its log's status and how many entries (the person's own)."""

    submitted_at: datetime | None = None
    status: str = OPEN
    count: int = 0
    mine: int = 0


def months_view(*, session: Session, team_months: list[tuple[int, str]], person_id: int
                ) -> dict[tuple[int, str], MonthView]:
    """For each (team, month): the log's status and its entry counts, all in one query (a UNION ALL of the
    log_month rows and the entries counted per team and month)."""
    if not team_months:
        return {}
    teams = sorted({t for t, _ in team_months})
    months = sorted({m for _, m in team_months})
    logs = select(LogMonth.team_id, LogMonth.month, LogMonth.status, LogMonth.submitted_at,
                  literal(0).label("n"), literal(0).label("mine")).where(
        LogMonth.team_id.in_(teams), LogMonth.month.in_(months))
    counts = select(Interaction.team_id, Interaction.month, literal(None).label("status"),
                    literal(None).label("submitted_at"), func.count().label("n"),
                    func.sum(case((Interaction.author_id == person_id, 1), else_=0)).label("mine")).where(
        Interaction.team_id.in_(teams), Interaction.month.in_(months), Interaction.deleted_at.is_(None)
    ).group_by(Interaction.team_id, Interaction.month)
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for team_id, month, status, submitted_at, n, mine in session.execute(union_all(logs, counts)):
        view = found.setdefault((team_id, month), {})
        if status is not None:
            view["status"] = status
            view["submitted_at"] = submitted_at  # typed by the first SELECT's column (UTC-aware)
        else:
            view["count"], view["mine"] = int(n or 0), int(mine or 0)
    return {key: MonthView(**found.get(key, {})) for key in team_months}


def count_entries(*, session: Session, team_id: int, month: str, author_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(Interaction).where(
        Interaction.team_id == team_id, Interaction.month == month, Interaction.deleted_at.is_(None)
    )
    if author_id is not None:
        stmt = stmt.where(Interaction.author_id == author_id)
    return session.exec(stmt).one()


def _history(row: LogMonth, record: dict[str, Any]) -> None:
    row.history = [*(row.history or []), record]  # reassign: JSON columns track assignment, not mutation


def submit(*, session: Session, team_id: int, month: str, person_id: int, now: datetime) -> LogMonth:
    row = _month_row(session=session, team_id=team_id, month=month, now=now)
    if row.status == SUBMITTED:
        raise MonthLocked(month)
    count = count_entries(session=session, team_id=team_id, month=month)
    row.status = SUBMITTED
    row.submitted_at = now
    row.submitted_by = person_id
    row.updated_at = now
    _history(row, {"action": "submitted", "by": person_id, "at": now.isoformat(), "entries": count})
    session.add(row)
    session.flush()
    return row


def reopen(*, session: Session, team_id: int, month: str, person_id: int, reason: str, now: datetime) -> LogMonth:
    row = get_month(session=session, team_id=team_id, month=month, lock=True)
    if row is None or row.status != SUBMITTED:
        raise CstbotError(f"the log for {month} is not submitted, so there is nothing to reopen")
    row.status = OPEN
    row.updated_at = now
    _history(row, {"action": "reopened", "by": person_id, "at": now.isoformat(), "reason": reason})
    session.add(row)
    session.flush()
    return row
