"""The routing engine: `decide(state, event, directory, protocol) -> Decision`. Pure: no I/O, no clock.

One handler per EventKind (the HANDLERS table). Chains (question, update, district) live in routing.chains,
trainer matching in routing.training, missing reports (compliance items) in routing.compliance; this module
checks what is common (the item exists, is open, the event's time is aware, the actor may act) and dispatches.
Every state change carries at least one Audit effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from types import MappingProxyType

from routing import chains, compliance, training
from routing.change import Change, Context, pending_asked, release_pending, require_owner
from routing.directory import Directory
from routing.errors import Refused
from routing.model import AuditKind, Decision, Event, EventKind, ItemKind, ItemState, Notice, Status
from routing.protocol import Protocol, StageMode
from routing.vocabulary import unknown_message

Handler = Callable[[ItemState | None, Context], Change]

CREATING = frozenset({EventKind.ASKED, EventKind.REDIRECTED, EventKind.REPORT_MISSING})


def decide(state: ItemState | None, event: Event, directory: Directory, protocol: Protocol) -> Decision:
    """The item's new state and the effects of `event`.

    `state` is None only for ASKED, REDIRECTED and REPORT_MISSING.
    `protocol` must be the one the item started under (ProtocolBook.get(state.protocol_version)).
    Raises Refused (with a polite message) when the actor may not do this now.
    """
    if event.at.tzinfo is None or event.at.utcoffset() is None:
        raise ValueError(f"event.at must be an aware datetime, got {event.at!r}")
    if state is not None and state.protocol_version != protocol.version:
        raise ValueError(
            f"item started under protocol {state.protocol_version!r}, got {protocol.version!r}: "
            "pass ProtocolBook.get(state.protocol_version)"
        )
    _check_existence(state, event)
    ctx = Context.of(event, directory, protocol)
    return HANDLERS[event.kind](state, ctx).decision()


def _check_existence(state: ItemState | None, event: Event) -> None:
    if event.kind in CREATING:
        if state is not None:
            raise Refused("exists", "This item already exists.")
        return
    if state is None:
        raise Refused("no_item", "There is no such item.")
    if not state.is_open and event.kind is not EventKind.OFFERED:
        raise Refused("closed", f"Thanks! This {state.kind.value} is already {state.status.value}: nothing more to do.")


def _is_training(state: ItemState) -> bool:
    return state.kind is ItemKind.TRAINING


# --- creating ------------------------------------------------------------------------------------------------


def _new_state(ctx: Context, kind: ItemKind, asker_id: int, redirected_by: int | None) -> ItemState:
    event, directory, protocol = ctx.event, ctx.directory, ctx.protocol
    if directory.person(asker_id) is None:
        raise Refused("unknown_person", "Sorry, that person is not in the roster; an admin can add them.")
    if event.district_id is not None and event.district_id not in directory.districts:
        raise Refused("unknown_district", "Sorry, that district is not in the roster.")
    topics = _topics(ctx)
    return ItemState(
        kind=kind,
        status=Status.OPEN,
        protocol_version=protocol.version,
        asker_id=asker_id,
        district_id=event.district_id,
        topics=topics,
        text=event.text,
        urgency=event.urgency,
        opened_at=event.at.astimezone(UTC),
        redirected_by=redirected_by,
    )


def _topics(ctx: Context) -> tuple[str, ...]:
    """The event's topics as the protocol names them, without repeats; an unknown one is refused."""
    topics: list[str] = []
    for topic in ctx.event.topics:
        name = ctx.protocol.canonical_topic(topic)
        if name is None:
            raise Refused("unknown_topic", f"Sorry, {unknown_message('topic', topic, ctx.protocol.topics)}")
        if name not in topics:
            topics.append(name)
    return tuple(topics)


def _start(ctx: Context, state: ItemState, also_tell: tuple[int, ...] = ()) -> Change:
    flow = training.start if _is_training(state) else chains.start
    return flow(ctx, state, also_tell=also_tell)


def _asked(state: ItemState | None, ctx: Context) -> Change:
    event = ctx.event
    if event.item_kind is None or event.actor_id is None:
        raise ValueError("ASKED needs item_kind and actor_id")
    return _start(ctx, _new_state(ctx, event.item_kind, event.actor_id, None))


def _redirected(state: ItemState | None, ctx: Context) -> Change:
    """A member passes on a request a district person sent them: it goes to the facilitator, and both are told."""
    event = ctx.event
    if event.requester_id is None or event.actor_id is None:
        raise Refused("no_requester", "Please say who sent you the request.")
    kind = event.item_kind or ItemKind.DISTRICT
    if kind not in (ItemKind.DISTRICT, ItemKind.TRAINING):
        raise Refused("not_redirectable", "Only district requests and training requests are passed on this way.")
    change = _start(ctx, _new_state(ctx, kind, event.requester_id, event.actor_id), also_tell=(event.actor_id,))
    if change.state.is_open:
        member, owner = event.actor_id, change.state.owner_id
        change.audit(
            AuditKind.REDIRECTED,
            f"{ctx.name(member)} passed on a request from {ctx.name(event.requester_id)} to {ctx.name(owner)}.",
        )
        if member != owner:
            change.notify(event.requester_id, Notice.REDIRECT_TO_DISTRICT_PERSON, redirected_by_name=ctx.name(member))
            change.notify(member, Notice.REDIRECT_TO_MEMBER)
    return change


# --- acting on an item ---------------------------------------------------------------------------------------


def _answered(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    require_owner(state, ctx, "answer")
    actor, text = ctx.event.actor_id, ctx.event.text
    change = Change(ctx, state, state)
    if _is_training(state):
        release_pending(change, "answered")
    change.close(Status.ANSWERED, answer=text, answered_by=actor)
    change.audit(AuditKind.ANSWERED, f"Answered by {ctx.name(actor)}.")
    change.notify(state.asker_id, Notice.ANSWER_TO_ASKER, answer=text, answered_by_name=ctx.name(actor))
    for earlier in dict.fromkeys(state.owners):
        if earlier not in (actor, state.asker_id):
            change.notify(earlier, Notice.ANSWER_TO_CHAIN, answer=text, answered_by_name=ctx.name(actor))
    return change


def _escalated(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    return training.pass_stage(ctx, state) if _is_training(state) else chains.escalate(ctx, state)


def _reassigned(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    return training.reassign(ctx, state) if _is_training(state) else chains.reassign(ctx, state)


def _declined(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    if not _is_training(state):
        raise Refused(
            "not_applicable",
            "Declining is for trainer requests. To pass this on, use Escalate; to hand it to a colleague, Reassign.",
        )
    return training.declined(ctx, state)


def _offered(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    if not _is_training(state):
        raise Refused("not_applicable", "Offers are for trainer requests only.")
    return training.offered(ctx, state)


def _matched(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    if not _is_training(state):
        raise Refused("not_applicable", "Matching a trainer applies to training requests only; use Answer instead.")
    return training.matched(ctx, state)


def _converted(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    if state.kind not in (ItemKind.DISTRICT, ItemKind.QUESTION):
        raise Refused("not_convertible", "Only a question or a district request can become a training request.")
    require_owner(state, ctx, "make a training request of")
    return training.convert(ctx, state, _topics(ctx))


def _taken(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    if state.kind is ItemKind.TRAINING:
        raise Refused("not_applicable", "A training request has one owner throughout; there is nothing to take.")
    return chains.take(ctx, state)


def _withdrawn(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    actor = ctx.event.actor_id
    if state.kind is ItemKind.COMPLIANCE and not ctx.is_admin(actor):
        raise Refused("not_asker", "Only an admin can withdraw a missing-report item; it closes by itself when the "
                                   "report comes in, or its owner can answer it.")
    if actor != state.asker_id and not ctx.is_admin(actor):
        raise Refused("not_asker", "Only the person who asked (or an admin) can withdraw it.")
    change = Change(ctx, state, state)
    release_pending(change, "withdrawn")
    change.close(Status.WITHDRAWN)
    why = f"Withdrawn by {ctx.name(actor)}"
    change.audit(
        AuditKind.WITHDRAWN,
        f"{why}: {ctx.event.reason}." if ctx.event.reason else f"{why}.",
    )
    change.notify(state.owner_id, Notice.ITEM_WITHDRAWN, withdrawn_by_name=ctx.name(actor))
    return change


# --- the scheduler's events ----------------------------------------------------------------------------------


def _report_missing(state: ItemState | None, ctx: Context) -> Change:
    return compliance.missing(ctx)


def _report_in(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    return compliance.report_in(ctx, state)


def _deadline_passed(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    if state.deadline_at is None or ctx.at < state.deadline_at:
        raise Refused("not_due", "The deadline has not passed yet.")
    return training.deadline_passed(ctx, state) if _is_training(state) else chains.deadline_passed(ctx, state)


def _reminder_due(state: ItemState | None, ctx: Context) -> Change:
    assert state is not None
    if state.remind_at is None or ctx.at < state.remind_at:
        raise Refused("not_due", "No reminder is due yet.")
    change = Change(ctx, state, state)
    change.set(remind_at=None)
    waiting_on = _reminded(state, ctx)
    for person_id, role in waiting_on:
        change.notify(person_id, Notice.REMINDER, role=role)
    names = ", ".join(ctx.name(p) or "" for p, _ in waiting_on)
    change.audit(AuditKind.REMINDED, f"Reminded {names} before the deadline.")
    return change


def _reminded(state: ItemState, ctx: Context) -> list[tuple[int, str]]:
    """Whom a reminder is for: the owner; at a trainer-offer stage the people asked who have not answered; an item
    nobody has taken yet, everyone it was offered to."""
    if state.owner_id is None and state.holders:
        return [(p, "holder") for p in state.holders]
    if _is_training(state) and ctx.protocol.training is not None:
        stage = ctx.protocol.training.stage(state.tier or "")
        if stage.mode is StageMode.OFFERS:
            asked = pending_asked(state, stage.name)
            if asked:
                return [(p, "asked") for p in asked]
    assert state.owner_id is not None
    return [(state.owner_id, "owner")]


HANDLERS: Mapping[EventKind, Handler] = MappingProxyType(
    {
        EventKind.ASKED: _asked,
        EventKind.REDIRECTED: _redirected,
        EventKind.ANSWERED: _answered,
        EventKind.ESCALATED: _escalated,
        EventKind.REASSIGNED: _reassigned,
        EventKind.DECLINED: _declined,
        EventKind.OFFERED: _offered,
        EventKind.MATCHED: _matched,
        EventKind.DEADLINE_PASSED: _deadline_passed,
        EventKind.REMINDER_DUE: _reminder_due,
        EventKind.WITHDRAWN: _withdrawn,
        EventKind.TAKEN: _taken,
        EventKind.CONVERTED: _converted,
        EventKind.REPORT_MISSING: _report_missing,
        EventKind.REPORT_IN: _report_in,
    }
)
