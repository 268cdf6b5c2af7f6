"""The coaching interaction log as rows: one per entry, the columns of the CST Coaching Interaction Log in its order.

Built to stream: entries come from one query read in batches (`yield_per`, a server-side cursor on
PostgreSQL), names are resolved from three lookup dicts loaded once (people, districts, teams), and the writers
write row by row (CSV) or through openpyxl's write-only workbook (XLSX). Memory stays flat whatever the number
of entries; a year of every US state's logs exports with the same footprint as one team's month.

What is exported is what was entered and not deleted, submitted or not (`submitted_only` narrows it to months
the facilitator submitted). Text typed by educators is read by many people in spreadsheets: a cell starting
with = + - @ (or a tab / carriage return) gets a leading apostrophe so no spreadsheet runs it as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, select
from sqlmodel import Session

from routing.protocol import Protocol
from store import models

# Leading columns that say whose entry it is, then the nine fields of the CST Coaching Interaction Log
# (CST Implementation Guide) in its order, then what helps a reader check an entry.
HEADERS: tuple[str, ...] = (
    "Team",
    "Entered by",
    "District name",
    "Date",
    "Duration (minutes)",
    "Interaction type",
    "Participants",
    "CST members present",
    "Topics covered",
    "Resources and tools shared/discussed",
    "Comments",
    "Description (unsure)",
    "Entry id",
)

LIST_SEPARATOR = "; "
YIELD_PER = 2_000  # rows per fetch: large enough to amortise round trips, small enough to stay flat

_I = models.Interaction.__table__.c  # type: ignore[attr-defined]
_L = models.LogMonth.__table__.c  # type: ignore[attr-defined]


def entries_query(
    *,
    month: str | None = None,
    start: date | None = None,
    end: date | None = None,
    team_id: int | None = None,
    submitted_only: bool = False,
    columns: Iterable[Any] | None = None,
) -> Select:
    """The live (not deleted) entries of a month or of a date range [start, end], oldest first."""
    cols = (
        list(columns)
        if columns is not None
        else [
            _I.team_id,
            _I.author_id,
            _I.district_id,
            _I.occurred_on,
            _I.duration_minutes,
            _I.interaction_type,
            _I.participants,
            _I.members_present,
            _I.topics,
            _I.resources,
            _I.comments,
            _I.description,
            _I.id,
        ]
    )
    query = select(*cols).where(_I.deleted_at.is_(None))
    if month is not None:
        query = query.where(_I.month == month)
    if start is not None:
        # The month bound is implied by the date bound; stated, it lets the database use the month index.
        query = query.where(_I.occurred_on >= start, _I.month >= f"{start:%Y-%m}")
    if end is not None:
        query = query.where(_I.occurred_on <= end, _I.month <= f"{end:%Y-%m}")
    if team_id is not None:
        query = query.where(_I.team_id == team_id)
    if submitted_only:
        query = query.join(models.LogMonth, and_(_L.team_id == _I.team_id, _L.month == _I.month)).where(
            _L.status == "submitted"
        )
    return query


def name_lookups(*, session: Session) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """(people, districts, teams): id -> name, inactive rows included (old entries still name them)."""
    conn = session.connection()
    tables = (models.Person, models.District, models.Team)
    return tuple(  # type: ignore[return-value]
        dict(conn.execute(select(t.__table__.c.id, t.__table__.c.name)).all())  # type: ignore[attr-defined]
        for t in tables
    )


def iter_log_rows(
    *,
    session: Session,
    month: str | None = None,
    start: date | None = None,
    end: date | None = None,
    team_id: int | None = None,
    submitted_only: bool = False,
    protocol: Protocol,
    yield_per: int = YIELD_PER,
) -> Iterator[tuple]:
    """One tuple per entry, in HEADERS order, streamed from the database.

    Values keep their types (Date a `date`, Duration and Entry id `int`); lists are joined with "; ".
    Pass a month, a date range, or both. The session must stay open while the iterator is consumed.
    """
    people, districts, teams = name_lookups(session=session)
    type_labels = {t.key: t.label for t in protocol.interaction_types}
    query = entries_query(
        month=month, start=start, end=end, team_id=team_id, submitted_only=submitted_only
    ).order_by(_I.occurred_on, _I.id)
    result = session.connection().execute(
        query, execution_options={"stream_results": True, "yield_per": yield_per}
    )
    try:
        for (
            team,
            author,
            district,
            occurred_on,
            minutes,
            kind,
            participants,
            present,
            topics,
            resources,
            comments,
            description,
            entry_id,
        ) in result:
            yield (
                teams.get(team, f"team {team}"),
                people.get(author, f"person {author}"),
                districts.get(district, f"district {district}"),
                occurred_on,
                minutes,
                type_labels.get(kind, kind),
                participants,
                LIST_SEPARATOR.join(people.get(p, f"person {p}") for p in present or ()),
                LIST_SEPARATOR.join(topics or ()),
                resources,
                comments,
                description,
                entry_id,
            )
    finally:
        result.close()  # an abandoned iterator must not leave a server-side cursor open
