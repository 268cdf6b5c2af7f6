"""The imperative shell around the routing engine: load, decide, apply, in one transaction.

Handlers, the deadline sweep, the CLI and the demo all go through `Service`. It never decides protocol:
`routing.decide` does; this module persists the decision (item row, audit rows, card rows, outbox rows)
through the `store.items` and `store.outbox` repositories.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
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


@dataclass
class _Outgoing:
    """What one decision sends: outbox rows (`outbox.new_row`) and new cards (key, recipient), written at the end
    of `_apply` in one statement per table."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    cards: list[tuple[str, int]] = field(default_factory=list)


class Service:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # more messages than this go as one row the dispatcher expands (`CSTBOT_FANOUT_THRESHOLD`)
        self.fanout_threshold = getattr(deps.settings, "cstbot_fanout_threshold", outbox.FANOUT_THRESHOLD)

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
        with self.deps.session(write=True) as session:
            event = Event(EventKind.ASKED, actor.id, self.deps.now(), item_kind=kind, text=text,
                          district_id=district_id, topics=topics, urgency=urgency)
            return self._create(session, event, source={})

    def forward(self, actor: Person, *, requester: Person, kind: ItemKind, text: str,
                source: dict[str, Any], topics: tuple[str, ...] = ()) -> tuple[ItemState, bool]:
        """A member passes on a message a district person sent them. The same message passed on twice (a double
        click, two members) is one item and the district person is told once: returns (state, created).

        The check and the creation share one write transaction, serialised per district person."""
        with self.deps.session(write=True) as session:
            row = repo.forwarded(session=session, requester_id=requester.id, channel=source.get("channel"),
                                 ts=source.get("ts"))
            if row is not None:
                return ItemState.from_dict(row.state), False
            event = Event(EventKind.REDIRECTED, actor.id, self.deps.now(), item_kind=kind, text=text,
                          requester_id=requester.id, topics=topics)
            return self._create(session, event, source=source), True

    def act(self, actor: Person, *, item_id: int, kind: EventKind, **fields: Any) -> ItemState:
        """An owner's (or asked person's) action on an item. Raises Refused with a polite message."""
        for attempt in range(MAX_RACE_RETRIES):
            now = self.deps.now()
            with self.deps.session(write=True) as session:
                directory = self.directory(session)
                row, state = self.item(session, item_id)
                if not involved(state, actor.id, directory):  # they learn nothing about it, not even that it exists
                    raise NoSuchItem(item_id)
                protocol = self.deps.protocols.get(state.protocol_version)
                extra = self._allocation_left(session, directory, protocol, state, actor, fields, now) if (
                    kind is EventKind.OFFERED) else {}
                decision = decide(state, Event(kind, actor.id, now, **fields, **extra), directory, protocol)
                try:
                    return self._apply(session, row, decision, directory, protocol, actor_id=actor.id)
                except _LostRace:
                    session.rollback()
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
        """Send due reminders and move items whose deadline passed. Safe to run twice at once."""
        with self.deps.session() as session:
            due = repo.due_ids(session=session, now=now)
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
               source: dict[str, Any] | None = None, actor_id: int | None = None) -> ItemState:
        now = self.deps.now()
        state = decision.state
        if row is None:
            row = repo.insert(session=session, state=state, source=source or {}, now=now)
            state = replace(state, id=row.id)
            existing: list[ItemCard] = []
        else:
            existing = repo.cards(session=session, item_id=row.id)
            if not repo.update_if_unchanged(session=session, row=row, state=state, now=now):
                raise _LostRace()
        repo.add_audits(session=session, item_id=row.id, audits=decision.audits, at=now)
        for commitment in decision.commitments:  # the allocation ledger, in the same transaction as the match
            allocation.add(session=session, item_id=row.id, commitment=commitment, at=now)
        ctx = cards.RenderContext(directory=directory, protocol=protocol, timezone=self.deps.settings.timezone)
        existing_keys = {card.key for card in existing}
        permalink = (row.source or {}).get("permalink")
        notices = [n for n in decision.notices
                   if not (cards.is_card(n.template) and cards.card_key(n.template, n.recipient_id) in existing_keys)]
        # (a sticky card, the asker's status, is edited with the other existing cards instead of posted again)
        if len(notices) + len(existing) > self.fanout_threshold:
            self._fan_out(session, row.id, state, notices, existing, permalink, now, ctx=ctx, actor_id=actor_id)
            return state
        out = _Outgoing()
        for notice in notices:
            self._notify(session, out, row.id, state, notice, ctx, now, permalink, actor_id=actor_id)
        for card in existing:  # every earlier message about the item shows the new state
            self._refresh_card(out, card, state, ctx, now, permalink)
        # One INSERT per table whatever the number of recipients.
        repo.add_cards(session=session, item_id=row.id, cards=out.cards, now=now)
        outbox.enqueue_many(out.rows, session=session, now=now)
        return state

    def _fan_out(self, session: Session, item_id: int, state: ItemState, notices: list[Notify],
                 existing: list[ItemCard], permalink: str | None, now: datetime, *, ctx,
                 actor_id: int | None) -> None:
        """More messages than the fan-out threshold (a training request passed to every facilitator): the cards
        and one "ask these N" outbox row naming the notices, written now; the dispatcher renders them and writes
        the N rows (`render_fan_out`), so the request costs the same whatever N is. The row carries the actor, so
        each recipient's working-hours hold is worked out when it is expanded. A reminder (it names its own row in
        its *Remind me tomorrow* block) is written here directly, as `_notify` writes it outside a fan-out."""
        specs, new_cards = [], []
        direct = _Outgoing()
        for notice in notices:
            if notice.template is Notice.REMINDER:
                self._notify(session, direct, item_id, state, notice, ctx, now, permalink, actor_id=actor_id)
                continue
            key = cards.card_key(notice.template, notice.recipient_id) if cards.is_card(notice.template) else None
            if key is not None:
                new_cards.append((key, notice.recipient_id))
            specs.append({"notice": notice.template.value, "recipient_id": notice.recipient_id,
                          "context": dict(notice.context), "key": key})
        repo.add_cards(session=session, item_id=item_id, cards=new_cards + direct.cards, now=now)
        outbox.enqueue_many(direct.rows, session=session, now=now)
        outbox.enqueue_fanout([], session=session, now=now, item_id=item_id, render={
            "item_id": item_id, "state": state.to_dict(), "permalink": permalink, "notices": specs,
            "actor_id": actor_id,
            "refresh": [{"key": c.key, "recipient_id": c.recipient_id} for c in existing],
        })

    def render_fan_out(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        """The outbox rows (`outbox.new_row`) of a fan-out written by `_fan_out`: each notice rendered for its
        recipient and each existing card refreshed, from the item's state when it was decided (later changes
        edit the cards as usual). The dispatcher calls this when it expands the row."""
        state = ItemState.from_dict(spec["state"])
        with self.deps.session() as session:
            directory = self.directory(session)
        protocol = self.deps.protocols.get(state.protocol_version)
        ctx = cards.RenderContext(directory=directory, protocol=protocol, timezone=self.deps.settings.timezone)
        item_id, permalink, now = spec["item_id"], spec.get("permalink"), self.deps.now()
        actor_id = spec.get("actor_id")
        out = _Outgoing()
        for n in spec["notices"]:
            notice = Notify(n["recipient_id"], Notice(n["notice"]), n.get("context") or {})
            self._notify(None, out, item_id, state, notice, ctx, now, permalink, actor_id=actor_id, key=n.get("key"))
        for c in spec.get("refresh") or []:
            card = ItemCard(item_id=item_id, key=c["key"], recipient_id=c["recipient_id"])
            self._refresh_card(out, card, state, ctx, now, permalink)
        return out.rows

    def _notify(self, session: Session | None, out: _Outgoing, item_id: int, state: ItemState, notice: Notify,
                ctx, now: datetime, permalink: str | None = None, actor_id: int | None = None, *,
                key: str | None = None):
        """One notice as a DM (a row in `out`). It waits for the recipient's working hours unless the protocol
        delivers the item's urgency at once, or the recipient is the one who just acted (they are at work: the
        answer to their click or form goes now). A reminder carries *Remind me tomorrow* (its block names its own
        row, so it is written here directly, in `session`) and is dropped at dispatch if the step it is about is
        over by then. `session` is None only when a fan-out is expanded, which holds no reminder (`_fan_out`)."""
        recipient = ctx.directory.person(notice.recipient_id)
        context = {**notice.context, "item_id": item_id}
        message = cards.notice(notice.template, context, state=state, recipient_id=notice.recipient_id, ctx=ctx,
                               permalink=permalink)
        payload: dict[str, Any] = {"text": message["text"], "blocks": message["blocks"]}
        if cards.is_card(notice.template):
            key = key or cards.card_key(notice.template, notice.recipient_id)
            out.cards.append((key, notice.recipient_id))
            payload[outbox.CARD_META] = {"item_id": item_id, "key": key, "notice": notice.template.value}
        at_once = ctx.protocol.delivery.urgent(state.urgency) or notice.recipient_id == actor_id
        held_until = hours.hold(ctx.protocol, recipient, now, at_once=at_once)
        if notice.template is Notice.REMINDER and recipient is not None and recipient.slack_id and session is not None:
            payload["channel"] = recipient.slack_id
            deadline = state.deadline_at.isoformat() if state.deadline_at else None
            reminders.enqueue_reminder(session, person=recipient, payload=payload, now=now, held_until=held_until,
                                       check_key=checks.item_key(item_id, deadline), item_id=item_id)
            return
        self._send_dm(out, recipient, payload, item_id, now, what=notice.template.value, held_until=held_until)

    def _refresh_card(self, out: _Outgoing, card: ItemCard, state: ItemState, ctx, now: datetime,
                      permalink: str | None = None) -> None:
        notice = cards.card_notice(card.key)
        message = cards.card(notice, state=state, recipient_id=card.recipient_id, ctx=ctx, permalink=permalink)
        payload = {"text": message["text"], "blocks": message["blocks"],
                   outbox.CARD_META: {"item_id": card.item_id, "key": card.key}}
        out.rows.append(outbox.new_row(method="chat.update", payload=payload, item_id=card.item_id))

    def _send_dm(self, out: _Outgoing, recipient: Person | None, payload: dict, item_id: int | None,
                 now: datetime, *, what: str, held_until: datetime | None = None) -> None:
        if recipient is None or not recipient.slack_id:
            # Nobody to deliver to: keep the row, failed, so admins see it instead of it vanishing.
            who = recipient.label if recipient else "an unknown person"
            out.rows.append(outbox.new_row(method="chat.postMessage", payload=payload, item_id=item_id,
                                           failed=f"{who} has no Slack account in the roster; {what} not delivered"))
            log.warning("item %s: %s has no Slack id; %s kept as failed delivery", item_id, who, what)
            return
        payload["channel"] = recipient.slack_id  # a user id posts to the person's DM with the app
        out.rows.append(outbox.new_row(method="chat.postMessage", payload=payload, item_id=item_id,
                                       held_until=held_until))


def fan_out_renderer(deps: Deps):
    """The dispatcher's `expander`: an item's fan-out rendered into its outbox rows."""
    return lambda spec: Service(deps).render_fan_out(spec)
