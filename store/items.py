"""Routed items, their audit trail and their cards: the repository `bot/items` writes through.

Every function takes the caller's session (keyword-only) and never commits: an item's change, its audit rows,
its cards and its outbox rows are one transaction, which the caller owns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlalchemy import insert as insert_
from sqlmodel import Session, select

from routing.model import Audit, ItemKind, ItemState, Notice, Status
from store.models import Item, ItemCard, ItemEvent
from store.models import Person as PersonRow


def get(*, session: Session, item_id: int) -> Item | None:
    return session.get(Item, item_id)


def state_columns(state: ItemState) -> dict[str, Any]:
    """The item's columns that mirror the engine's state (what queries filter on), and the state itself."""
    return {
        "kind": state.kind.value,  # a question or district request may become a training request
        "status": state.status.value,
        "owner_id": state.owner_id,
        "tier": state.tier,
        "team_id": state.team_id,
        "district_id": state.district_id,
        "topics": list(state.topics),
        "urgency": state.urgency,
        "deadline_at": state.deadline_at,
        "remind_at": state.remind_at,
        "closed_at": state.closed_at,
        "state": state.to_dict(),
    }


# Core statements on the tables (not the ORM classes: no ORM bulk machinery), built once; the rows of one call go
# as parameter sets of one statement (the drivers' executemany: psycopg sends them in one pipeline).
ITEM_INSERT = insert_(Item.__table__).inline()  # inline: no implicit RETURNING of the id
EVENT_INSERT = insert_(ItemEvent.__table__).inline()
CARD_INSERT = insert_(ItemCard.__table__).inline()
NEXT_ITEM_ID = "select nextval(pg_get_serial_sequence('item', 'id'))"


def new_id(*, session: Session) -> int:
    """The next item's id, taken before its row is written, so the stored state holds its own id without an UPDATE.

    PostgreSQL: the id column's sequence. SQLite: the next rowid (what SQLite itself would give), which is safe
    because an item is written in a write transaction (BEGIN IMMEDIATE): no other writer runs until it commits."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # The driver's own cursor: inside `store.db.pipelined` it reads the answer (with the BEGIN before it, in
        # one round trip), where SQLAlchemy would see a statement with no result yet.
        with conn.connection.driver_connection.cursor() as cur:
            cur.execute(NEXT_ITEM_ID)
            return int(cur.fetchone()[0])
    return int(session.execute(select(func.coalesce(func.max(Item.id), 0) + 1)).scalar_one())


def insert(*, session: Session, item_id: int, state: ItemState, source: dict[str, Any], now: datetime) -> None:
    """A new item row with the id from `new_id` (the state holds it already): one INSERT, no ORM object."""
    session.execute(ITEM_INSERT, [{
        "id": item_id, "protocol_version": state.protocol_version, "asker_id": state.asker_id, "text": state.text,
        "source": source, "revision": 0, "created_at": now, "updated_at": now, **state_columns(state),
    }])


def update_if_unchanged(*, session: Session, row: Item, state: ItemState, now: datetime) -> bool:
    """Write the new state only if nobody changed the item since `row` was read (its revision). False: lost race."""
    result = session.execute(
        update(Item)
        .where(Item.id == row.id, Item.revision == row.revision)
        .values(**state_columns(state), revision=row.revision + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if row in session:  # the sweep's rows were read in an earlier session
        session.expire(row)
    return True


def add_audits(*, session: Session, item_id: int, audits: Iterable[Audit], at: datetime) -> None:
    """The audit rows of one change: one INSERT statement for all of them."""
    rows = [
        {"item_id": item_id, "kind": audit.kind.value, "actor_id": audit.actor_id, "at": at,
         "from_owner_id": audit.from_owner_id, "to_owner_id": audit.to_owner_id, "reason": audit.reason,
         "detail": dict(audit.detail)}
        for audit in audits
    ]
    if rows:
        session.execute(EVENT_INSERT, rows)


def forwarded(*, session: Session, requester_id: int, channel: str | None, ts: str | None) -> Item | None:
    """The item already made from this Slack message, if a member passed it on before.

    Locks the requester's person row first (PostgreSQL), so two members passing on the same message at once
    queue here and the second finds the first one's item; SQLite has one writer anyway."""
    session.exec(select(PersonRow.id).where(PersonRow.id == requester_id).with_for_update()).first()
    rows = session.exec(select(Item).where(
        Item.asker_id == requester_id, Item.kind.in_([ItemKind.DISTRICT.value, ItemKind.TRAINING.value])))
    for row in rows:
        if row.source and (row.source.get("channel"), row.source.get("ts")) == (channel, ts):
            return row
    return None


def due(*, session: Session, now: datetime) -> list[Item]:
    """Open items whose deadline or reminder time has come, oldest first: the rows, in one query."""
    return list(session.exec(
        select(Item).where(
            Item.status == Status.OPEN.value, or_(Item.deadline_at <= now, Item.remind_at <= now)
        ).order_by(Item.id)
    ).all())


def _open_for(person_id: int):
    """The condition of `open_for`."""
    asked_of = select(ItemCard.item_id).where(
        ItemCard.recipient_id == person_id, ItemCard.key.startswith(f"{Notice.OFFER_REQUEST.value}:")
    )
    offered_to = select(ItemCard.item_id).where(
        ItemCard.recipient_id == person_id, ItemCard.key.startswith(f"{Notice.ITEM_SHARED.value}:")
    )
    return and_(
        Item.status == Status.OPEN.value,
        or_(
            Item.owner_id == person_id,
            Item.id.in_(asked_of),
            and_(Item.owner_id.is_(None), Item.id.in_(offered_to)),
        ),
    )


def open_for(*, session: Session, person_id: int) -> list[Item]:
    """Open items the person owns, those they were asked to offer a trainer for (each ask left them an
    offer-request card), and those offered to them with others that nobody has taken yet (an item-shared card):
    not every open item in the state. Soonest deadline first."""
    return list(session.exec(select(Item).where(_open_for(person_id)).order_by(Item.deadline_at)))


def for_home(*, session: Session, person_id: int, asked_limit: int) -> tuple[list[Item], list[Item]]:
    """`open_for` and `asked_by` in one query: (the open items for the person, soonest deadline first; their own
    items, newest first, at most `asked_limit`)."""
    condition = _open_for(person_id)
    own = select(Item.id).where(Item.asker_id == person_id).order_by(Item.id.desc()).limit(asked_limit)
    rows = session.execute(
        select(Item, case((condition, True), else_=False).label("open_for"))
        .where(or_(condition, Item.id.in_(select(own.subquery().c.id))))
        .order_by(Item.deadline_at)  # the database's order of deadlines (where no deadline sorts differs)
    ).all()
    open_rows = [item for item, is_open_for in rows if is_open_for]
    asked = sorted((item for item, _ in rows if item.asker_id == person_id), key=lambda r: r.id, reverse=True)
    return open_rows, asked[:asked_limit]


def asked_by(*, session: Session, person_id: int, limit: int) -> list[Item]:
    """The person's own items, newest first (not a missing report they owe: they did not ask for it)."""
    return list(session.exec(select(Item).where(
        Item.asker_id == person_id, Item.kind != ItemKind.COMPLIANCE.value).order_by(Item.id.desc()).limit(limit)))


def open_compliance(*, session: Session) -> list[Item]:
    """Every open compliance item (a missing report), oldest first: a few per month at most."""
    return list(session.exec(select(Item).where(
        Item.kind == ItemKind.COMPLIANCE.value, Item.status == Status.OPEN.value).order_by(Item.id)))


# --- cards -------------------------------------------------------------------------------------------------


def cards(*, session: Session, item_id: int) -> list[ItemCard]:
    return list(session.exec(select(ItemCard).where(ItemCard.item_id == item_id)))


def cards_of(*, session: Session, item_ids: Iterable[int]) -> dict[int, list[ItemCard]]:
    """The cards of several items (one query), by item id, in the order they were written."""
    wanted = list(item_ids)
    found: dict[int, list[ItemCard]] = {}
    if not wanted:
        return found
    for card in session.exec(select(ItemCard).where(ItemCard.item_id.in_(wanted)).order_by(ItemCard.id)):
        found.setdefault(card.item_id, []).append(card)
    return found


def add_card(*, session: Session, item_id: int, key: str, recipient_id: int, now: datetime) -> None:
    add_cards(session=session, item_id=item_id, cards=[(key, recipient_id)], now=now)


def add_cards(*, session: Session, item_id: int, cards: Iterable[tuple[str, int]], now: datetime) -> None:
    """Card rows (key, recipient id) of one item: one INSERT statement for all of them."""
    rows = [{"item_id": item_id, "key": key, "recipient_id": recipient_id, "created_at": now}
            for key, recipient_id in cards]
    if rows:
        session.execute(CARD_INSERT, rows)


def card(*, session: Session, item_id: int, key: str) -> ItemCard | None:
    return session.exec(select(ItemCard).where(ItemCard.item_id == item_id, ItemCard.key == key)).first()


def card_location(*, session: Session, item_id: int, key: str) -> dict[str, str] | None:
    """Where Slack put the card ({channel, ts}), once it was posted."""
    row = card(session=session, item_id=item_id, key=key)
    return {"channel": row.channel, "ts": row.ts} if row and row.ts else None


def remember_card_location(*, session: Session, item_id: int, key: str, channel: str, ts: str) -> None:
    row = card(session=session, item_id=item_id, key=key)
    if row is not None:
        row.channel, row.ts = channel, ts
        session.add(row)
