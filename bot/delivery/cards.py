"""Post a message card (a message about something other than an item) through the outbox, and edit it in place.

A card is one `message_card` row per (subject, reader): the post is an outbox row keyed by the card, so writing
it twice (a double click, a retried submission) posts once; an edit is a chat.update the dispatcher sends where
Slack put the post (`store.cards`), and only the newest edit of a card is sent. All in the caller's transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from routing.directory import Person
from store import cards, outbox
from store.models import MessageCard

log = logging.getLogger(__name__)


def person_key(person_id: int) -> str:
    return f"person:{person_id}"


def channel_key(channel_id: str) -> str:
    return f"channel:{channel_id}"


def post(session: Session, *, subject: str, key: str, target: str, message: dict[str, Any], now: datetime,
         recipient_id: int | None = None, held_until: datetime | None = None) -> MessageCard:
    """The card for (subject, key), posted to `target` (a user id: their DM; or a channel id) unless it was
    posted already. `message` is {"text", "blocks"}. `held_until`: the reader's working morning it waits for
    (`bot.delivery.hours.hold`)."""
    card = cards.get(session=session, subject=subject, key=key)
    if card is None:
        card = cards.add(session=session, subject=subject, key=key, recipient_id=recipient_id, target=target, now=now)
    if card.post_outbox_id is None:
        payload = {**message, "channel": target, outbox.CARD_META: {"card": card.id, "rev": card.revision}}
        row = outbox.enqueue(session=session, method="chat.postMessage", payload=payload, now=now,
                             dedupe_key=f"card:{card.id}:post", held_until=held_until)
        if row is not None:
            cards.set_posted(session=session, card=card, outbox_id=row.id)
    return card


def edit(session: Session, *, card: MessageCard, message: dict[str, Any], now: datetime) -> None:
    """Edit the posted card in place with `message` ({"text", "blocks"}); an older edit still waiting is dropped."""
    revision = cards.bump(session=session, card=card, now=now)
    payload = {**message, outbox.CARD_META: {"card": card.id, "rev": revision}}
    outbox.enqueue(session=session, method="chat.update", payload=payload, now=now,
                   dedupe_key=f"card:{card.id}:rev:{revision}")


def undeliverable(session: Session, *, person: Person, message: dict[str, Any], what: str, now: datetime,
                  dedupe_key: str) -> None:
    """Someone the message is for has no Slack account in the roster: keep it as a failed delivery, so admins see
    it on their Home tab instead of it vanishing."""
    row = outbox.enqueue(session=session, method="chat.postMessage", payload=dict(message), now=now,
                         dedupe_key=dedupe_key)
    if row is not None:
        outbox.mark_failed(session=session, row=row,
                           error=f"{person.label} has no Slack account in the roster; {what} not delivered")
        log.warning("%s: %s has no Slack id; kept as a failed delivery", what, person.label)


def send_dm(session: Session, *, person: Person, message: dict[str, Any], now: datetime, dedupe_key: str,
            what: str, held_until: datetime | None = None) -> bool:
    """A one-off DM (no later edits), sent once under `dedupe_key`. False if the person has no Slack account.
    `held_until`: the person's working morning it waits for (`bot.delivery.hours.hold`)."""
    if not person.slack_id:
        undeliverable(session, person=person, message=message, what=what, now=now, dedupe_key=dedupe_key)
        return False
    outbox.enqueue(session=session, method="chat.postMessage", payload={**message, "channel": person.slack_id},
                   now=now, dedupe_key=dedupe_key, held_until=held_until)
    return True
