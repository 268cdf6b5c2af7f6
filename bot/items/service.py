"""The imperative shell around the routing engine: load, decide, apply, in one transaction.

Handlers, the deadline sweep, the CLI and the demo all go through `Service`. It never decides protocol:
`routing.decide` does; this module persists the decision (item row, audit rows, card rows, outbox rows)
through the `store.items` and `store.outbox` repositories.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.delivery import checks, hours, reminders
from bot.deps import Deps
from bot.items import cards
from bot.trainers import service as ledger_service
from routing import compliance
from routing.actions import committing_contact, involved
from routing.directory import Directory, Person
from routing.engine import decide
from routing.errors import CstbotError, Refused
from routing.model import Decision, Event, EventKind, ItemKind, ItemState, Notice, Notify
from store import allocation, deliveries, outbox
from store import items as repo
from store.db import pipelined
from store.models import Item, ItemCard

log = logging.getLogger(__name__)

MAX_RACE_RETRIES = 3


class NoSuchItem(CstbotError):
    """No such item, or one the person is not part of: both read the same to them."""

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

    def item(self, session: Session, item_id: int) -> tuple[Item, ItemState]:
        row = repo.get(session=session, item_id=item_id)
        if row is None:
            raise NoSuchItem(item_id)
        return row, ItemState.from_dict(row.state)

    def read(self, item_id: int) -> ItemState:
        with self.deps.session() as session:
            return self.item(session, item_id)[1]

    # --- writing ---------------------------------------------------------------------------------------

    def start(
        self,
        actor: Person,
        *,
        kind: ItemKind,
        text: str,
        district_id: int | None = None,
        topics: tuple[str, ...] = (),
        urgency: str = "normal",
    ) -> ItemState:
        """A new item asked by `actor`."""
        def work(session: Session) -> ItemState:
            event = Event(EventKind.ASKED, actor.id, self.deps.now(), item_kind=kind, text=text,
                          district_id=district_id, topics=topics, urgency=urgency)
            return self._create(session, event, source={})
        return self.deps.transaction(work, write=True)

    def forward(self, actor: Person, *, requester: Person, kind: ItemKind, text: str,
                source: dict[str, Any], topics: tuple[str, ...] = ()) -> tuple[ItemState, bool]:
        """A member passes on a message a district person sent them. The same message passed on twice (a double
        click, two members) is one item and the district person is told once: returns (state, created).

        The check and the creation share one write transaction, serialised per district person."""
        def work(session: Session) -> tuple[ItemState, bool]:
            row = repo.forwarded(session=session, requester_id=requester.id, channel=source.get("channel"),
                                 ts=source.get("ts"))
            if row is not None:
                return ItemState.from_dict(row.state), False
            event = Event(EventKind.REDIRECTED, actor.id, self.deps.now(), item_kind=kind, text=text,
                          requester_id=requester.id, topics=topics)
            return self._create(session, event, source=source), True
        return self.deps.transaction(work, write=True)

    def act(self, actor: Person, *, item_id: int, kind: EventKind, **fields: Any) -> ItemState:
        """An owner's (or asked person's) action on an item. Raises Refused with a polite message."""
        def work(session: Session) -> ItemState:
            now = self.deps.now()
            directory = self.directory(session)
            row, state = self.item(session, item_id)
            if not involved(state, actor.id, directory):  # they learn nothing about it, not even that it exists
                raise NoSuchItem(item_id)
            protocol = self.deps.protocols.get(state.protocol_version)
            extra = self._allocation_left(session, directory, protocol, state, actor, fields, now) if (
                kind is EventKind.OFFERED) else {}
            decision = decide(state, Event(kind, actor.id, now, **fields, **extra), directory, protocol)
            return self._apply(session, row, decision, directory, protocol, actor_id=actor.id)

        for attempt in range(MAX_RACE_RETRIES):
            try:
                return self.deps.transaction(work, write=True)
            except _LostRace:
                log.info("item %s changed under us (attempt %d); deciding again", item_id, attempt + 1)
        raise Refused("busy", "This item is changing right now. Please try again in a moment.")

    def open_missing_report(self, *, report: str, month: str, owed_by: int, team_id: int | None,
                            due_at: datetime, now: datetime) -> ItemState | None:
        """A missing report becomes a compliance item, once per (report, month, team or lead): the claim of a
        scheduled-delivery key in the same transaction lets one of two racing runs create it. None when it was
        opened already. Raises Refused when the protocol has nowhere to send it (nothing is written)."""
        with self.deps.session(write=True) as session:
            key = f"team:{team_id}" if report == compliance.COACHING_LOG else f"person:{owed_by}"
            if deliveries.claim(session=session, kind=f"compliance:{report}", period=month, recipient=key,
                                now=now) is None:
                return None
            event = Event(EventKind.REPORT_MISSING, None, now, report=report, month=month, requester_id=owed_by,
                          team_id=team_id, due_at=due_at)
            source = {"compliance": {"report": report, "month": month, "team_id": team_id, "owed_by": owed_by}}
            return self._create(session, event, source=source)

    def report_in(self, item_id: int, *, actor_id: int | None, now: datetime) -> ItemState | None:
        """The report a compliance item is about came in: close it and edit its cards. None when it was closed
        already (answered, withdrawn, closed by an earlier call) or kept changing under us (the next compliance
        run closes it then)."""
        for attempt in range(MAX_RACE_RETRIES):
            with self.deps.session(write=True) as session:
                row, state = self.item(session, item_id)
                if not state.is_open:
                    return None
                directory = self.directory(session)
                protocol = self.deps.protocols.get(state.protocol_version)
                decision = decide(state, Event(EventKind.REPORT_IN, actor_id, now), directory, protocol)
                try:
                    return self._apply(session, row, decision, directory, protocol, actor_id=actor_id)
                except _LostRace:
                    session.rollback()
                    log.info("item %s changed under us (attempt %d); deciding again", item_id, attempt + 1)
        log.warning("item %s: its report came in but it kept changing; the next compliance run closes it", item_id)
        return None

    def sweep(self, *, now: datetime) -> SweepStats:
        """Send due reminders and move items whose deadline passed. Safe to run twice at once.

        One read for every due item and one for their cards; then each item is written in a transaction of its
        own (its writes batched as `_apply` does), under the revision it was read at: an item someone changed
        since is left to the next sweep, and one broken item does not stop the others."""
        with self.deps.session() as session:
            due = repo.due(session=session, now=now)
            cards_of = repo.cards_of(session=session, item_ids=[row.id for row in due])
            directory = self.directory(session)
        reminded = moved = refused = 0
        for row in due:
            state = ItemState.from_dict(row.state)
            if not state.is_open:
                continue
            if state.deadline_at and state.deadline_at <= now:
                kind = EventKind.DEADLINE_PASSED
            elif state.remind_at and state.remind_at <= now:
                kind = EventKind.REMINDER_DUE
            else:
                continue
            try:
                protocol = self.deps.protocols.get(state.protocol_version)
                decision = decide(state, Event(kind, None, now), directory, protocol)
                with self.deps.session(write=True) as session:
                    self._apply(session, row, decision, directory, protocol, existing=cards_of.get(row.id, []))
            except Refused as exc:
                refused += 1
                log.warning("sweep: item %s: %s (%s)", row.id, exc.code, exc.message)
                continue
            except _LostRace:
                continue  # someone acted on it meanwhile; the next sweep sees the new state
            except Exception:  # one broken item must not stop every later escalation
                refused += 1
                log.exception("sweep: item %s could not be moved on; the others go on", row.id)
                continue
            if kind is EventKind.DEADLINE_PASSED:
                moved += 1
            else:
                reminded += 1
        return SweepStats(reminded=reminded, moved=moved, refused=refused)

    def _allocation_left(self, session: Session, directory: Directory, protocol, state: ItemState, actor: Person,
                         fields: dict[str, Any], now: datetime) -> dict[str, Any]:
        """What remains of the allocation an offer would commit (the engine refuses going past it unconfirmed)."""
        candidate = fields.get("candidate_id") if fields.get("candidate_id") is not None else actor.id
        contact = committing_contact(directory, state, actor.id, candidate) if state.is_open else None
        if contact is None:
            return {}
        return {"allocation_left": ledger_service.remaining_for(session, directory, protocol, contact, now)}

    # --- applying a decision ---------------------------------------------------------------------------

    def _create(self, session: Session, event: Event, *, source: dict[str, Any]) -> ItemState:
        directory = self.directory(session)
        protocol = self.deps.protocols.current
        decision = decide(None, event, directory, protocol)
        return self._apply(session, None, decision, directory, protocol, source=source, actor_id=event.actor_id)

    def _apply(self, session: Session, row: Item | None, decision: Decision, directory: Directory, protocol, *,
               source: dict[str, Any] | None = None, existing: list[ItemCard] | None = None,
               actor_id: int | None = None) -> ItemState:
        """Write the decision: the item (a new one with its id taken first, so no UPDATE follows), then one
        multi-row INSERT each for its audit rows, its new cards and its outbox rows. Core statements only, except
        for a reminder (`reminders.enqueue_reminder`: its *Remind me tomorrow* button names its own row), written
        after the pipeline."""
        now = self.deps.now()
        state = decision.state
        if row is None:
            existing = []
            permalink = (source or {}).get("permalink")
        else:
            item_id = row.id
            if existing is None:  # the sweep read every due item's cards at once
                existing = repo.cards(session=session, item_id=item_id)
            permalink = (row.source or {}).get("permalink")
            if not repo.update_if_unchanged(session=session, row=row, state=state, now=now):
                raise _LostRace()
        with pipelined(session):  # PostgreSQL: BEGIN and the id in one round trip, every INSERT in one more
            if row is None:
                item_id = repo.new_id(session=session)
                state = replace(state, id=item_id)
                repo.insert(session=session, item_id=item_id, state=state, source=source or {}, now=now)
            due_reminders = self._write(session, item_id, state, decision, existing, directory, protocol, permalink,
                                        now, actor_id)
        for person, payload, held_until, check_key in due_reminders:
            reminders.enqueue_reminder(session, person=person, payload=payload, now=now, held_until=held_until,
                                       check_key=check_key, item_id=item_id)
        return state

    def _write(self, session: Session, item_id: int, state: ItemState, decision: Decision, existing: list[ItemCard],
               directory: Directory, protocol, permalink: str | None, now: datetime,
               actor_id: int | None) -> list[tuple[Person, dict[str, Any], datetime | None, str]]:
        """Everything but the item's reminders, which are returned (recipient, payload, held until, check key)
        for `_apply` to write."""
        repo.add_audits(session=session, item_id=item_id, audits=decision.audits, at=now)
        for commitment in decision.commitments:  # the allocation ledger, in the same transaction as the match
            allocation.add(session=session, item_id=item_id, commitment=commitment, at=now)
        ctx = cards.RenderContext(directory=directory, protocol=protocol, timezone=self.deps.settings.timezone)
        snapshot = state.to_dict()  # what each notice is rendered from when it is sent
        existing_keys = {card.key for card in existing}
        new_cards: list[tuple[str, int]] = []
        messages: list[dict[str, Any]] = []
        due_reminders: list[tuple[Person, dict[str, Any], datetime | None, str]] = []
        for notice in decision.notices:
            if cards.is_card(notice.template) and cards.card_key(notice.template, notice.recipient_id) in existing_keys:
                continue  # a sticky card (the asker's status) is edited below instead of posted again
            recipient = ctx.directory.person(notice.recipient_id)
            at_once = ctx.protocol.delivery.urgent(state.urgency) or notice.recipient_id == actor_id
            held_until = hours.hold(ctx.protocol, recipient, now, at_once=at_once)
            if notice.template is Notice.REMINDER and recipient is not None and recipient.slack_id:
                due_reminders.append(self._reminder(item_id, state, notice, recipient, ctx, permalink, held_until))
                continue
            row = self._notify(item_id, snapshot, notice, ctx, permalink, new_cards)
            if not row.get("failed"):  # a row nobody can receive is failed at once, as before
                row["held_until"] = held_until
            messages.append(row)
        for card in existing:  # every earlier message about the item shows the new state
            messages.append(self._refresh_card(card, snapshot, permalink))
        repo.add_cards(session=session, item_id=item_id, cards=new_cards, now=now)
        outbox.enqueue_many(messages, session=session, now=now)
        return due_reminders

    @staticmethod
    def _reminder(item_id: int, state: ItemState, notice: Notify, recipient: Person, ctx, permalink: str | None,
                  held_until: datetime | None) -> tuple[Person, dict[str, Any], datetime | None, str]:
        """A reminder, rendered now (not at dispatch): it carries *Remind me tomorrow*, whose click copies the
        row's blocks (`reminders.snooze`), and is dropped at dispatch if the step it is about is over by then
        (its check key: the item and the deadline it reminds of)."""
        context = {**notice.context, "item_id": item_id}
        message = cards.notice(notice.template, context, state=state, recipient_id=notice.recipient_id, ctx=ctx,
                               permalink=permalink)
        payload = {"channel": recipient.slack_id, "text": message["text"], "blocks": message["blocks"]}
        deadline = state.deadline_at.isoformat() if state.deadline_at else None
        return recipient, payload, held_until, checks.item_key(item_id, deadline)

    def _notify(self, item_id: int, snapshot: dict[str, Any], notice: Notify, ctx, permalink: str | None,
                new_cards: list[tuple[str, int]]) -> dict[str, Any]:
        """The notice as an outbox row; the dispatcher renders it when it sends (`cards.Renderer`). It waits for
        the recipient's working hours (`held_until`, set by `_write`) unless the protocol delivers the item's
        urgency at once, or the recipient is the one who just acted (the answer to their click or form goes now)."""
        recipient = ctx.directory.person(notice.recipient_id)
        context = {**notice.context, "item_id": item_id}
        payload: dict[str, Any] = {}
        if cards.is_card(notice.template):
            key = cards.card_key(notice.template, notice.recipient_id)
            new_cards.append((key, notice.recipient_id))
            payload[outbox.CARD_META] = {"item_id": item_id, "key": key, "notice": notice.template.value}
        row = self._dm(recipient, payload, item_id, what=notice.template.value)
        row.update(notice=notice.template.value, recipient_id=notice.recipient_id,
                   context=cards.stored_notice(context, state=snapshot, permalink=permalink))
        return row

    def _refresh_card(self, card: ItemCard, snapshot: dict[str, Any], permalink: str | None) -> dict[str, Any]:
        """A chat.update of an earlier card showing the item's new state, rendered when it is sent."""
        notice = cards.card_notice(card.key)
        payload = {outbox.CARD_META: {"item_id": card.item_id, "key": card.key}}
        return {"method": "chat.update", "payload": payload, "item_id": card.item_id, "notice": notice.value,
                "recipient_id": card.recipient_id,
                "context": cards.stored_notice({}, state=snapshot, permalink=permalink, refresh=True)}

    def _dm(self, recipient: Person | None, payload: dict, item_id: int, *, what: str) -> dict[str, Any]:
        row: dict[str, Any] = {"method": "chat.postMessage", "payload": payload, "item_id": item_id}
        if recipient is None or not recipient.slack_id:
            # Nobody to deliver to: keep the row, failed, so admins see it instead of it vanishing.
            who = recipient.label if recipient else "an unknown person"
            row["failed"] = f"{who} has no Slack account in the roster; {what} not delivered"
            log.warning("item %s: %s has no Slack id; %s kept as failed delivery", item_id, who, what)
            return row
        payload["channel"] = recipient.slack_id  # a user id posts to the person's DM with the app
        return row
