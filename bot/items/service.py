"""The imperative shell around the routing engine: load, decide, apply — in one transaction.

Handlers, the deadline sweep, the CLI and the demo all go through `Service`. It never decides protocol:
`routing.decide` does; this module persists the decision (item row, audit rows, outbox rows, cards).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, select

from bot.delivery.dispatcher import CARD_META
from bot.deps import Deps
from bot.items import cards as render
from routing.directory import Directory, Person, Role
from routing.engine import decide
from routing.errors import CstbotError, Refused
from routing.model import Audit, Decision, Event, EventKind, ItemKind, ItemState, Notify, Status
from store import outbox
from store.models import Item, ItemCard, ItemEvent
from store.models import Person as PersonRow

log = logging.getLogger(__name__)

MAX_RACE_RETRIES = 3


class UnknownPerson(CstbotError):
    """The Slack user is not in the roster. `admins` are the people to contact."""

    def __init__(self, slack_id: str, admins: tuple[Person, ...]):
        self.slack_id = slack_id
        self.admins = admins
        super().__init__(f"Slack user {slack_id} is not in the roster")


class NoSuchItem(CstbotError):
    def __init__(self, item_id: int):
        self.item_id = item_id
        super().__init__(f"item {item_id} does not exist")


class _LostRace(Exception):
    """Someone else changed the item between our read and our write."""


@dataclass(frozen=True)
class SweepStats:
    reminded: int = 0
    moved: int = 0
    refused: int = 0


class Service:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- reading ---------------------------------------------------------------------------------------

    def directory(self, session: Session) -> Directory:
        return self.deps.directories.get(session=session)

    def person(self, directory: Directory, slack_id: str) -> Person:
        person = directory.by_slack_id(slack_id)
        if person is None or not person.active:
            raise UnknownPerson(slack_id, directory.holders(Role.ADMIN))
        return person

    def item(self, session: Session, item_id: int) -> tuple[Item, ItemState]:
        row = session.get(Item, item_id)
        if row is None:
            raise NoSuchItem(item_id)
        return row, ItemState.from_dict(row.state)

    # --- writing ---------------------------------------------------------------------------------------

    def start(
        self,
        *,
        slack_id: str,
        kind: ItemKind,
        text: str,
        district_id: int | None = None,
        topics: tuple[str, ...] = (),
        urgency: str = "normal",
        requester_slack_id: str | None = None,
        source: dict[str, Any] | None = None,
    ) -> ItemState:
        """A new item: asked by `slack_id`, or redirected by them on behalf of `requester_slack_id`."""
        with self.deps.session(write=True) as session:
            return self._start(session, self.directory(session), slack_id=slack_id, kind=kind, text=text,
                               district_id=district_id, topics=topics, urgency=urgency,
                               requester_slack_id=requester_slack_id, source=source)

    def _start(self, session: Session, directory: Directory, *, slack_id: str, kind: ItemKind, text: str,
               district_id: int | None = None, topics: tuple[str, ...] = (), urgency: str = "normal",
               requester_slack_id: str | None = None, source: dict[str, Any] | None = None) -> ItemState:
        now = self.deps.now()
        protocol = self.deps.protocols.current
        actor = self.person(directory, slack_id)
        if requester_slack_id is not None:
            requester = self.person(directory, requester_slack_id)
            event = Event(EventKind.REDIRECTED, actor.id, now, item_kind=kind, text=text,
                          requester_id=requester.id, district_id=district_id, topics=topics, urgency=urgency)
        else:
            event = Event(EventKind.ASKED, actor.id, now, item_kind=kind, text=text,
                          district_id=district_id, topics=topics, urgency=urgency)
        decision = decide(None, event, directory, protocol)
        return self._apply(session, None, decision, directory, protocol, source=source or {})

    def forward(self, *, slack_id: str, requester_slack_id: str, kind: ItemKind, text: str,
                source: dict[str, Any]) -> tuple[ItemState, bool]:
        """A member passes on a message a district person sent them. The same message passed on twice (a double
        click, two members) is one item and the district person is told once: returns (state, created).

        The check and the creation share one write transaction, serialised per district person (their row is
        locked on PostgreSQL; SQLite has one writer)."""
        with self.deps.session(write=True) as session:
            directory = self.directory(session)
            requester = self.person(directory, requester_slack_id)
            session.exec(select(PersonRow.id).where(PersonRow.id == requester.id).with_for_update()).first()
            rows = session.exec(select(Item).where(Item.asker_id == requester.id, Item.kind.in_(
                [ItemKind.DISTRICT.value, ItemKind.TRAINING.value])))
            for row in rows:
                if row.source and (row.source.get("channel"), row.source.get("ts")) == (
                        source.get("channel"), source.get("ts")):
                    return ItemState.from_dict(row.state), False
            state = self._start(session, directory, slack_id=slack_id, kind=kind, text=text,
                                requester_slack_id=requester_slack_id, source=source)
            return state, True

    def act(self, *, slack_id: str, item_id: int, kind: EventKind, **fields: Any) -> ItemState:
        """An owner's (or asked person's) action on an item. Raises Refused with a polite message."""
        for attempt in range(MAX_RACE_RETRIES):
            now = self.deps.now()
            with self.deps.session(write=True) as session:
                directory = self.directory(session)
                actor = self.person(directory, slack_id)
                row, state = self.item(session, item_id)
                protocol = self.deps.protocols.get(state.protocol_version)
                decision = decide(state, Event(kind, actor.id, now, **fields), directory, protocol)
                try:
                    return self._apply(session, row, decision, directory, protocol)
                except _LostRace:
                    session.rollback()
                    log.info("item %s changed under us (attempt %d); deciding again", item_id, attempt + 1)
        raise Refused("busy", "This item is changing right now. Please try again in a moment.")

    def sweep(self, *, now: datetime) -> SweepStats:
        """Send due reminders and move items whose deadline passed. Safe to run twice at once."""
        with self.deps.session() as session:
            due = session.exec(
                select(Item.id).where(
                    Item.status == Status.OPEN.value,
                    or_(Item.deadline_at <= now, Item.remind_at <= now),
                ).order_by(Item.id)
            ).all()
        reminded = moved = refused = 0
        for item_id in due:
            with self.deps.session(write=True) as session:
                row, state = self.item(session, item_id)
                if not state.is_open:
                    continue
                if state.deadline_at and state.deadline_at <= now:
                    kind = EventKind.DEADLINE_PASSED
                elif state.remind_at and state.remind_at <= now:
                    kind = EventKind.REMINDER_DUE
                else:
                    continue
                directory = self.directory(session)
                protocol = self.deps.protocols.get(state.protocol_version)
                try:
                    decision = decide(state, Event(kind, None, now), directory, protocol)
                    self._apply(session, row, decision, directory, protocol)
                except Refused as exc:
                    refused += 1
                    log.warning("sweep: item %s: %s (%s)", item_id, exc.code, exc.message)
                    continue
                except _LostRace:
                    session.rollback()
                    continue  # someone acted on it meanwhile; the next sweep sees the new state
                except Exception:  # one broken item must not stop every later escalation
                    session.rollback()
                    refused += 1
                    log.exception("sweep: item %s could not be moved on; the others go on", item_id)
                    continue
                if kind is EventKind.DEADLINE_PASSED:
                    moved += 1
                else:
                    reminded += 1
        return SweepStats(reminded=reminded, moved=moved, refused=refused)

    # --- applying a decision ---------------------------------------------------------------------------

    def _apply(
        self,
        session: Session,
        row: Item | None,
        decision: Decision,
        directory: Directory,
        protocol,
        *,
        source: dict[str, Any] | None = None,
    ) -> ItemState:
        now = self.deps.now()
        state = decision.state
        if row is None:
            row = Item(
                kind=state.kind.value, status=state.status.value, protocol_version=state.protocol_version,
                asker_id=state.asker_id, text=state.text, source=source or {}, created_at=now, updated_at=now,
            )
            _copy_state(row, state)
            session.add(row)
            session.flush()
            state = replace(state, id=row.id)
            row.state = state.to_dict()
            existing_cards: list[ItemCard] = []
        else:
            existing_cards = list(session.exec(select(ItemCard).where(ItemCard.item_id == row.id)))
            values = _state_columns(state)
            result = session.execute(
                update(Item)
                .where(Item.id == row.id, Item.revision == row.revision)
                .values(**values, revision=row.revision + 1, updated_at=now)
            )
            if result.rowcount != 1:
                raise _LostRace()
            session.expire(row)
        for audit in decision.audits:
            session.add(_event_row(row.id, audit, now))
        ctx = render.RenderContext(directory=directory, protocol=protocol, timezone=self.deps.settings.timezone)
        existing_keys = {card.key for card in existing_cards}
        permalink = (row.source or {}).get("permalink")
        for notice in decision.notices:
            if render.is_card(notice.template) and render.card_key(notice.template, notice.recipient_id, state) in (
                existing_keys
            ):
                continue  # a sticky card (the asker's status) is edited below instead of posted again
            self._notify(session, row.id, state, notice, ctx, now, permalink)
        for card in existing_cards:  # every earlier message about the item shows the new state
            self._refresh_card(session, card, state, ctx, now, permalink)
        return state

    def _notify(self, session: Session, item_id: int, state: ItemState, notice: Notify, ctx, now: datetime,
                permalink: str | None = None):
        recipient = ctx.directory.person(notice.recipient_id)
        context = {**notice.context, "item_id": item_id}
        message = render.notice(notice.template, context, state=state, recipient_id=notice.recipient_id, ctx=ctx,
                                permalink=permalink)
        payload: dict[str, Any] = {"text": message["text"], "blocks": message["blocks"]}
        if render.is_card(notice.template):
            key = render.card_key(notice.template, notice.recipient_id, state)
            session.add(ItemCard(item_id=item_id, key=key, recipient_id=notice.recipient_id, created_at=now))
            payload[CARD_META] = {"item_id": item_id, "key": key, "notice": notice.template.value}
        self._send_dm(session, recipient, payload, item_id, now, what=notice.template.value)

    def _refresh_card(self, session: Session, card: ItemCard, state: ItemState, ctx, now: datetime,
                      permalink: str | None = None) -> None:
        notice = render.card_notice(card.key)
        message = render.card(notice, state=state, recipient_id=card.recipient_id, ctx=ctx, permalink=permalink)
        payload = {"text": message["text"], "blocks": message["blocks"],
                   CARD_META: {"item_id": card.item_id, "key": card.key}}
        outbox.enqueue(session=session, method="chat.update", payload=payload, now=now, item_id=card.item_id)

    def _send_dm(self, session: Session, recipient: Person | None, payload: dict, item_id: int | None,
                 now: datetime, *, what: str) -> None:
        if recipient is None or not recipient.slack_id:
            # Nobody to deliver to: keep the row, failed, so admins see it instead of it vanishing.
            row = outbox.enqueue(session=session, method="chat.postMessage", payload=payload, now=now,
                                 item_id=item_id)
            who = recipient.label if recipient else "an unknown person"
            outbox.mark_failed(session=session, row=row,
                               error=f"{who} has no Slack account in the roster; {what} not delivered")
            log.warning("item %s: %s has no Slack id; %s kept as failed delivery", item_id, who, what)
            return
        payload["channel"] = recipient.slack_id  # a user id posts to the person's DM with the app
        outbox.enqueue(session=session, method="chat.postMessage", payload=payload, now=now, item_id=item_id)


def _state_columns(state: ItemState) -> dict[str, Any]:
    return {
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


def _copy_state(row: Item, state: ItemState) -> None:
    for key, value in _state_columns(state).items():
        setattr(row, key, value)


def _event_row(item_id: int, audit: Audit, at: datetime) -> ItemEvent:
    return ItemEvent(
        item_id=item_id,
        kind=audit.kind.value,
        actor_id=audit.actor_id,
        at=at,
        from_owner_id=audit.from_owner_id,
        to_owner_id=audit.to_owner_id,
        reason=audit.reason,
        detail=dict(audit.detail),
    )
