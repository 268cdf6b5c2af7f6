"""Reports and notices shared with the network's audiences (`share`, `/cst share`).

Every function takes the caller's session (keyword-only) and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store import outbox
from store.models import Share


def delivery_key(share_id: int, person_id: int) -> str:
    """The outbox dedupe key of a share's message to one person: unique per share and recipient."""
    return f"share:{share_id}:person:{person_id}"


def by_token(*, session: Session, form_token: str) -> Share | None:
    return session.exec(select(Share).where(Share.form_token == form_token)).first()


def add(*, session: Session, sender_id: int, title: str, text: str, link: str, files: list[dict[str, Any]],
        audiences: list[str], recipient_ids: list[int], form_token: str, now: datetime) -> Share | None:
    """The new share, or None when this form was sent already (a double submission)."""
    if by_token(session=session, form_token=form_token) is not None:
        return None
    row = Share(sender_id=sender_id, title=title, text=text, link=link, files=files, audiences=audiences,
                recipient_ids=recipient_ids, form_token=form_token, sent_at=now, created_at=now)
    try:
        with session.begin_nested():  # the same form sent twice at once: the second loses here
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def sent_by(*, session: Session, sender_id: int, limit: int) -> list[Share]:
    """The person's newest shares first."""
    return list(session.exec(
        select(Share).where(Share.sender_id == sender_id).order_by(Share.sent_at.desc(), Share.id.desc()).limit(limit)
    ))


def delivered(*, session: Session, shares: Iterable[Share]) -> dict[int, int]:
    """How many of each share's messages Slack has taken (outbox rows sent), by share id."""
    rows = list(shares)
    keys = [delivery_key(s.id, p) for s in rows for p in s.recipient_ids]
    state = outbox.states(session=session, dedupe_keys=keys)
    return {s.id: sum(1 for p in s.recipient_ids if state.get(delivery_key(s.id, p)) == outbox.SENT) for s in rows}
