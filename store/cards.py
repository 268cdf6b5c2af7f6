"""Messages the bot edits in place: where Slack put them, whether their post is still on its way, which edit is
the newest.

Two kinds share one mechanism. An item's cards (`item_card`, see `store.items`) and a message card
(`message_card`: a lead's CST update, meeting minutes) are both written with their message, given a
`CARD_META` in the outbox payload, located by the dispatcher when Slack answers the post, and edited with
chat.update at that location. The dispatcher asks this module, whichever kind the payload names:

- item cards: ``{"item_id": int, "key": str}``
- message cards: ``{"card": int, "rev": int}`` (``rev`` is the card's revision when the edit was written)

Every function takes the caller's session (keyword-only) and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from store import items, outbox
from store.models import MessageCard, Outbox


def _message_card(session: Session, meta: dict[str, Any]) -> MessageCard | None:
    card_id = meta.get("card")
    return session.get(MessageCard, card_id) if isinstance(card_id, int) else None


# --- what the dispatcher asks, for either kind -------------------------------------------------------------


def location(*, session: Session, meta: dict[str, Any]) -> dict[str, str] | None:
    """Where Slack put the card ({channel, ts}), once it was posted."""
    if "item_id" in meta:
        return items.card_location(session=session, item_id=meta["item_id"], key=meta["key"])
    row = _message_card(session, meta)
    return {"channel": row.channel, "ts": row.ts} if row is not None and row.ts else None


def remember_location(*, session: Session, meta: dict[str, Any], channel: str, ts: str) -> None:
    if "item_id" in meta:
        items.remember_card_location(session=session, item_id=meta["item_id"], key=meta["key"], channel=channel, ts=ts)
        return
    row = _message_card(session, meta)
    if row is not None:
        row.channel, row.ts = channel, ts
        session.add(row)


def post_pending(*, session: Session, meta: dict[str, Any]) -> datetime | None:
    """When the card's first post, still waiting to be sent, is due (an edit of it waits for it); None if it is
    not waiting."""
    if "item_id" in meta:
        return outbox.card_pending(session=session, item_id=meta["item_id"], key=meta["key"])
    row = _message_card(session, meta)
    if row is None or row.post_outbox_id is None:
        return None
    post = session.get(Outbox, row.post_outbox_id)
    return post.next_attempt_at if post is not None and post.status in (outbox.PENDING, outbox.SENDING) else None


def superseded(*, session: Session, meta: dict[str, Any]) -> bool:
    """Whether a newer edit of this message card was written since this one: only the newest is sent, so an
    older edit retried late never overwrites a newer one. (Item cards keep order through their item instead.)"""
    if "card" not in meta:
        return False
    row = _message_card(session, meta)
    return row is not None and row.revision > int(meta.get("rev", 0))


# --- message cards -----------------------------------------------------------------------------------------


def get(*, session: Session, subject: str, key: str) -> MessageCard | None:
    return session.exec(select(MessageCard).where(MessageCard.subject == subject, MessageCard.key == key)).first()


def add(*, session: Session, subject: str, key: str, recipient_id: int | None, target: str,
        now: datetime) -> MessageCard:
    row = MessageCard(subject=subject, key=key, recipient_id=recipient_id, target=target, created_at=now,
                      updated_at=now)
    session.add(row)
    session.flush()
    return row


def of_subject(*, session: Session, subject: str) -> list[MessageCard]:
    """Every card about `subject`, in the order they were written."""
    return list(session.exec(select(MessageCard).where(MessageCard.subject == subject).order_by(MessageCard.id)))


def of_subjects(*, session: Session, subjects: Iterable[str]) -> list[MessageCard]:
    """Every card about any of `subjects` (one query), in the order they were written."""
    wanted = list(dict.fromkeys(subjects))
    if not wanted:
        return []
    return list(session.exec(select(MessageCard).where(MessageCard.subject.in_(wanted)).order_by(MessageCard.id)))


def set_posted(*, session: Session, card: MessageCard, outbox_id: int | None) -> None:
    card.post_outbox_id = outbox_id
    session.add(card)


def bump(*, session: Session, card: MessageCard, now: datetime) -> int:
    """A new edit of the card is being written: its revision, which the edit carries."""
    card.revision += 1
    card.updated_at = now
    session.add(card)
    return card.revision


def acknowledge(*, session: Session, card: MessageCard, now: datetime) -> bool:
    """Record the reader's acknowledgement; False if it was already recorded."""
    if card.acked_at is not None:
        return False
    card.acked_at = now
    card.updated_at = now
    session.add(card)
    return True
