"""The communication report's rows: the items asked in a period and their audit trail (`routing.communication`
computes the figures from them).

Two queries over the period's items (`ix_item_created_at`): the items, and the audit rows the report reads,
with the detail's `tier` and `item_kind` read in SQL (JSON ->> on PostgreSQL, json_extract on SQLite) so the
rest of the detail never reaches Python. The events stream in item, time, id order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlmodel import Session

from routing.communication import KINDS, Communication, EventRow, ItemRow, communication
from routing.directory import Directory
from routing.protocol import Protocol
from store import models
from store.export import YIELD_PER

_IT = models.Item.__table__.c  # type: ignore[attr-defined]
_EV = models.ItemEvent.__table__.c  # type: ignore[attr-defined]


def period_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[first day 00:00, the day after the last 00:00) local time, in UTC."""
    low = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return low, high


def item_rows(*, session: Session, low: datetime, high: datetime) -> list[ItemRow]:
    """The items asked in [low, high)."""
    rows = session.connection().execute(
        select(_IT.id, _IT.kind, _IT.team_id, _IT.created_at).where(_IT.created_at >= low, _IT.created_at < high)
    )
    return [ItemRow(*r) for r in rows]  # created_at: aware UTC (store.types.UTCDateTime)


def event_rows(*, session: Session, low: datetime, high: datetime) -> Iterator[EventRow]:
    """The audit rows the report reads of the items asked in [low, high), by item, time and id (streamed). The
    result rows are labelled like `EventRow`'s fields and go to the report as they come (`at` is aware UTC)."""
    detail = models.ItemEvent.__table__.c.detail  # type: ignore[attr-defined]
    query = (
        select(_EV.item_id, _EV.kind, _EV.actor_id, _EV.at, detail["tier"].as_string().label("tier"),
               detail["item_kind"].as_string().label("item_kind"), detail["report"].as_string().label("report"))
        .join(models.Item, and_(_IT.id == _EV.item_id))
        .where(_IT.created_at >= low, _IT.created_at < high, _EV.kind.in_([k.value for k in KINDS]))
        .order_by(_EV.item_id, _EV.at, _EV.id)
    )
    result = session.connection().execute(
        query, execution_options={"stream_results": True, "yield_per": YIELD_PER}
    )
    try:
        yield from result
    finally:
        result.close()


def compile_communication(
    *, session: Session, start: date, end: date, protocol: Protocol, directory: Directory, label: str | None = None
) -> Communication:
    """The communication report of the items asked from `start` to `end` (days in the protocol's zone)."""
    low, high = period_bounds(start, end, protocol.timezone)
    items = item_rows(session=session, low=low, high=high)
    team_names = {t.id: t.name for t in directory.teams.values()}
    return communication(
        items, event_rows(session=session, low=low, high=high), protocol,
        label=label or f"{start.isoformat()} to {end.isoformat()}", start=start.isoformat(), end=end.isoformat(),
        team_names=team_names, person_names={p.id: p.label for p in directory.people.values()},
    )
