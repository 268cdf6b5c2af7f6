"""Small helpers for the outbox tests: a hand-driven clock and one-transaction row helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store import outbox as repo
from store.models import Item, ItemCard, Outbox, Person

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TOKEN = "xoxb-outbox-test"


class Clock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def enqueue(engine: Engine, clock: Clock, method: str, payload: dict[str, Any], **kw: Any) -> int | None:
    """Enqueue one row in its own committed transaction; its id, or None when deduplicated."""
    with Session(engine) as session:
        row = repo.enqueue(session=session, method=method, payload=payload, now=clock(), **kw)
        row_id = row.id if row is not None else None
        session.commit()
    return row_id


def get(engine: Engine, row_id: int) -> Outbox:
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(Outbox, row_id)
        assert row is not None, f"no outbox row {row_id}"
        return row


def make_item(engine: Engine, *, cards: tuple[str, ...] = ()) -> int:
    """A minimal Item (and the Person asking it), with one ItemCard per key in `cards`; the item id."""
    with Session(engine) as session:
        person = Person(name="Ann Asker")
        session.add(person)
        session.flush()
        item = Item(kind="question", status="open", protocol_version="test", asker_id=person.id, text="Why?")
        session.add(item)
        session.flush()
        for key in cards:
            session.add(ItemCard(item_id=item.id, key=key, recipient_id=person.id))
        session.commit()
        return item.id


def get_card(engine: Engine, item_id: int, key: str) -> ItemCard:
    with Session(engine, expire_on_commit=False) as session:
        row = session.exec(select(ItemCard).where(ItemCard.item_id == item_id, ItemCard.key == key)).first()
        assert row is not None, f"no card {key} for item {item_id}"
        return row
