"""Turn engine notices and item states into Slack messages, through templates/.

Cards are messages with buttons about one item (the owner's card, an offer request, the asker's status).
They are re-rendered from the item's current state on every change and edited in place (chat.update).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Action
from bot.slack.format import addressed_to, mention, slack_date
from routing import compliance
from routing.actions import available_actions, role_on_item
from routing.directory import Directory, Role
from routing.explain import owner_role
from routing.model import EventKind, ItemKind, ItemState, Notice
from routing.protocol import Protocol, Stage, StageMode
from routing.vocabulary import in_sentence
from templates import render_json, render_text, slack_escape

# Notices that become a card (re-rendered on every change); the others are plain messages.
CARD_NOTICES = frozenset(
    {Notice.ITEM_ASSIGNED, Notice.ITEM_SHARED, Notice.TRAINING_CANDIDATES, Notice.TRAINING_STAGE,
     Notice.OFFER_REQUEST, Notice.ASKER_STATUS, Notice.RPDC_REFERRAL}
)
# One card per item and recipient, updated in place rather than posted again.
STICKY_NOTICES = frozenset({Notice.ASKER_STATUS})

# The role a notice reaches its recipient in when the item does not say (see routing.actions.role_on_item).
NOTICE_ROLES = {Notice.ADMIN_ALERT: Role.ADMIN}

# Buttons, in the order a card shows them: engine event -> (action id, label, style).
BUTTONS: dict[EventKind, tuple[Action, str, str | None]] = {
    EventKind.TAKEN: (Action.TAKE, "Take it", "primary"),
    EventKind.ANSWERED: (Action.ANSWER, "Answer", "primary"),
    EventKind.OFFERED: (Action.OFFER, "Offer a trainer", "primary"),
    EventKind.DECLINED: (Action.DECLINE, "No one to offer", None),
    EventKind.ESCALATED: (Action.ESCALATE, "Escalate", None),
    EventKind.REASSIGNED: (Action.REASSIGN, "Reassign", None),
    EventKind.CONVERTED: (Action.CONVERT, "This is a training request", None),
    EventKind.WITHDRAWN: (Action.WITHDRAW, "Withdraw", "danger"),
}


# On a training request, escalating means "nobody suitable at this stage": the next stage is asked.
TRAINING_LABELS = {EventKind.ESCALATED: "No match here", EventKind.ANSWERED: "Record the outcome"}
# On a missing report (compliance), answering closes it with what the owner found or arranged.
COMPLIANCE_LABELS = {EventKind.ANSWERED: "Close with a note"}


def buttons_for(state: ItemState, actions: tuple[EventKind, ...], protocol: Protocol | None = None
                ) -> list[dict[str, Any]]:
    """The buttons a card or the Home tab shows for these actions; each carries the item id. At a pick stage
    where nobody on the team lists the expertise, passing is the main button and says whom it asks next."""
    labels: dict[EventKind, str] = dict(TRAINING_LABELS) if state.kind is ItemKind.TRAINING else (
        dict(COMPLIANCE_LABELS) if state.kind is ItemKind.COMPLIANCE else {})
    styles: dict[EventKind, str] = {}
    following = next_stage(protocol, state) if protocol is not None else None
    if state.kind is ItemKind.TRAINING and not state.candidates and following is not None and _at_pick(protocol, state):
        labels[EventKind.ESCALATED] = f"Ask {in_sentence(following.label)}"[:75]
        styles[EventKind.ESCALATED] = "primary"
    return [
        {"action_id": BUTTONS[a][0].value, "text": labels.get(a, BUTTONS[a][1]),
         "style": styles.get(a, BUTTONS[a][2]), "value": str(state.id)}
        for a in actions
        if a in BUTTONS
    ]


def next_stage(protocol: Protocol, state: ItemState) -> Stage | None:
    """The training stage after the item's current one, if any."""
    if state.kind is not ItemKind.TRAINING or protocol.training is None or state.tier is None:
        return None
    sequence = protocol.training.sequence
    names = [s.name for s in sequence]
    if state.tier not in names:
        return None
    index = names.index(state.tier)
    return sequence[index + 1] if index + 1 < len(sequence) else None


def moves_on(protocol: Protocol, state: ItemState) -> bool:
    """Whether the item's current step moves on by itself at its deadline (the last tier and the last resort
    stay where they are, overdue)."""
    if not state.is_open or state.tier is None:
        return False
    if state.kind is ItemKind.TRAINING:  # the last stage too: the request then closes unmatched
        return protocol.training is not None and not any(
            s.name == state.tier and s.mode is StageMode.REFERRAL for s in protocol.training.sequence)
    chain = protocol.chains.get(state.kind)
    return chain is not None and state.tier in [t.name for t in chain.tiers[:-1]]


def _at_pick(protocol: Protocol | None, state: ItemState) -> bool:
    if protocol is None or protocol.training is None or state.tier is None:
        return False
    return any(s.name == state.tier and s.mode is StageMode.PICK for s in protocol.training.sequence)


@dataclass(frozen=True)
class RenderContext:
    directory: Directory
    protocol: Protocol
    timezone: ZoneInfo


def is_card(notice: Notice) -> bool:
    return notice in CARD_NOTICES


def card_key(notice: Notice, recipient_id: int) -> str:
    if notice in STICKY_NOTICES:
        return f"{notice.value}:{recipient_id}"
    return f"{notice.value}:{recipient_id}:{uuid.uuid4().hex[:8]}"


def card_notice(key: str) -> Notice:
    return Notice(key.split(":", 1)[0])


# --- context ----------------------------------------------------------------------------------------------


def tier_label(protocol: Protocol, state: ItemState) -> str:
    if state.tier is None:
        return ""
    if state.kind is ItemKind.TRAINING and protocol.training is not None:
        stages = list(protocol.training.stages)
        if protocol.training.last_resort is not None:
            stages.append(protocol.training.last_resort)
        return next((s.label for s in stages if s.name == state.tier), state.tier)
    chain = protocol.chains.get(state.kind)
    if chain is None:
        return state.tier
    return next((t.label for t in chain.tiers if t.name == state.tier), state.tier)


def common_context(state: ItemState, ctx: RenderContext) -> dict[str, Any]:
    d = ctx.directory
    district = d.districts.get(state.district_id) if state.district_id is not None else None
    return {
        "item_id": state.id,
        "item_kind": state.kind.value,
        "kind_label": ctx.protocol.kind_label(state.kind),
        "status": state.status.value,
        "text": state.text,
        "topics": list(state.topics),
        "urgency": state.urgency,
        "asker_id": state.asker_id,
        "asker_name": _name(d, state.asker_id),
        "owner_id": state.owner_id,
        "owner_name": _name(d, state.owner_id),
        "tier": state.tier,
        "tier_label": tier_label(ctx.protocol, state),
        "district_name": district.name if district else None,
        "deadline_at": state.deadline_at.isoformat() if state.deadline_at else None,
        "protocol_version": state.protocol_version,
        "role_label": owner_role(d, ctx.protocol, state),
        "where": status_words(state, ctx) if state.is_open else state.status.value,
    }


def _name(directory: Directory, person_id: int | None) -> str | None:
    person = directory.person(person_id) if person_id is not None else None
    return person.label if person else None


def _view_model(notice: Notice, context: dict[str, Any], state: ItemState, recipient_id: int,
                ctx: RenderContext) -> dict[str, Any]:
    d, protocol = ctx.directory, ctx.protocol
    actions = available_actions(state, recipient_id, d, protocol) if is_card(notice) else ()
    buttons = buttons_for(state, actions, protocol)
    pick = None
    if EventKind.MATCHED in actions and state.candidates:
        pick = {
            "action_id": Action.PICK.value,
            "options": [
                {"text": f"{c.rank}. {c.name}"[:75], "value": f"{state.id}:{c.person_id}"}
                for c in state.candidates[:100]
            ],
        }
    role = NOTICE_ROLES.get(notice) or role_on_item(state, recipient_id, d, ctx.protocol)
    return {
        **context,
        "addressed_to": addressed_to(d, ctx.protocol, recipient_id, role),
        **_facts(state, recipient_id, ctx),
        "notice": notice.value,
        "state": state,
        "closed": not state.is_open,
        "buttons": buttons,
        "button_words": [b["text"] for b in buttons],
        "pick": pick,
        "who": lambda pid: mention(d, pid),
        "when": lambda value: slack_date(value, ctx.timezone),
        "esc": slack_escape,
        "label": lambda role: protocol.label(Role(role)),
        "protocol": protocol,
        "recipient_id": recipient_id,
        "refresh": False,
    }


def _facts(state: ItemState, recipient_id: int, ctx: RenderContext) -> dict[str, Any]:
    """What every item text may say, true at this moment, in the protocol's words."""
    d, protocol = ctx.directory, ctx.protocol
    training = protocol.training
    following = next_stage(protocol, state)
    sequence = training.sequence if training is not None and state.kind is ItemKind.TRAINING else ()
    names = [s.name for s in sequence]
    later = sequence[names.index(state.tier) + 1:] if state.tier in names else ()
    mine = next((s.candidates for s in state.suggestions if s.person_id == recipient_id), ())
    asked_now = [a.person_id for a in state.asked if a.stage == state.tier]
    last = training.last_resort if training is not None else None
    return {
        "at_pick": _at_pick(protocol, state),
        "moves_on": moves_on(protocol, state),
        "team_name": d.teams[state.team_id].name if state.team_id in d.teams else "the team",
        "next_stage_label": following.label if following else "",
        "later_stage_labels": [s.label for s in later],
        "all_stage_labels": [s.label for s in sequence] if sequence else (
            [s.label for s in training.sequence] if training else []),
        "my_candidates": [c.to_dict() for c in mine],
        "asked_now": [{"id": p, "declined": p in state.declined} for p in dict.fromkeys(asked_now)],
        "asked_later": list(state.next_asked),
        "holders": list(state.holders),
        "shared": state.shared,
        "told": list(state.referred_to),
        "told_as": protocol.audience(last.notify).singular if last is not None and last.notify else "",
        "allocation_label": training.allocation.label if training else "",
        "is_state_contact": d.index.network_role(recipient_id, Role.STATE_CONTACT) is not None,
        "converted_from_label": protocol.kind_label(ItemKind(state.converted_from)) if state.converted_from else "",
        **_report_facts(state, ctx),
    }


def _report_facts(state: ItemState, ctx: RenderContext) -> dict[str, Any]:
    """A compliance item's report: its name, what it is, what bringing it in is called."""
    if state.kind is not ItemKind.COMPLIANCE or state.report is None or state.month is None:
        return {"report_title": "", "report_what": "", "report_verb": ""}
    name = compliance.report_name(ctx.directory, ctx.protocol, state.report, state.month, team_id=state.team_id,
                                  owed_by=state.asker_id)
    return {"report_title": name, "report_what": compliance.what(state.report, ctx.protocol),
            "report_verb": compliance.verb(state.report)}


def status_words(state: ItemState, ctx: RenderContext) -> str:
    """Where an open item is, true now: "with @pat (CST facilitator)", or, at a tier held by several people
    nobody has taken it at yet, "offered to @a and @b (Lead facilitator), not taken yet"."""
    d = ctx.directory
    role = owner_role(d, ctx.protocol, state)
    if state.shared:
        people = [mention(d, p) for p in state.holders]
        listed = ", ".join(people[:-1]) + f" and {people[-1]}" if len(people) > 1 else people[0]
        return f"offered to {listed} ({role}), not taken yet"
    if state.owner_id is None:
        return "with nobody yet"
    return f"with {mention(d, state.owner_id)}" + (f" ({role})" if role else "")


def notice(notice: Notice, context: dict[str, Any], *, state: ItemState, recipient_id: int,
           ctx: RenderContext, permalink: str | None = None) -> dict[str, Any]:
    """A notice as a chat.postMessage body: {"text": fallback, "blocks": [...]}."""
    context = {**common_context(state, ctx), **context, "permalink": permalink}
    model = _view_model(notice, context, state, recipient_id, ctx)
    return _message(model)


def card(notice: Notice, *, state: ItemState, recipient_id: int, ctx: RenderContext,
         permalink: str | None = None) -> dict[str, Any]:
    """A card re-rendered from the item's current state (for chat.update)."""
    context = {**common_context(state, ctx), "permalink": permalink}
    model = _view_model(notice, context, state, recipient_id, ctx)
    model["refresh"] = True
    return _message(model)


def _message(model: dict[str, Any]) -> dict[str, Any]:
    body = render_text(f"notices/{model['notice']}.md.j2", **model).strip()
    headline, _, rest = body.partition("\n")
    model = {**model, "headline": headline.strip(), "body": rest.strip()}
    blocks = render_json("cards/message.json.j2", **model)
    return {"text": _plain(headline), "blocks": blocks}


def _plain(text: str) -> str:
    """Notification fallback text: mrkdwn without the markup that reads badly in a push notification."""
    return text.replace("*", "").replace("_", "").strip()[:300]


# --- notices rendered when they are sent --------------------------------------------------------------------


def stored_notice(context: dict[str, Any], *, state: dict[str, Any], permalink: str | None,
                  refresh: bool = False) -> dict[str, Any]:
    """What an outbox row keeps of a notice (`Outbox.context`) so the dispatcher renders it as `notice()` or
    `card()` would have when the change was written: the item's state then (`ItemState.to_dict()`), the
    notice's own context."""
    return {"state": state, "notice_context": context, "permalink": permalink, "refresh": refresh}


class Renderer:
    """Renders an outbox row's notice when the dispatcher sends it (`Dispatcher.render`), with the directory
    and protocol of this process: {"text", "blocks"} to add to the row's payload."""

    def __init__(self, deps: Any) -> None:
        self.deps = deps

    def __call__(self, name: str, recipient_id: int | None, context: dict[str, Any]) -> dict[str, Any]:
        state = ItemState.from_dict(context["state"])
        with self.deps.session() as session:
            directory = self.deps.directories.get(session=session)
        protocol = self.deps.protocols.get(state.protocol_version)
        ctx = RenderContext(directory=directory, protocol=protocol, timezone=self.deps.settings.timezone)
        kind = Notice(name)
        if recipient_id is None:
            raise ValueError(f"{name} has no recipient")
        if context.get("refresh"):
            return card(kind, state=state, recipient_id=recipient_id, ctx=ctx, permalink=context.get("permalink"))
        return notice(kind, context.get("notice_context") or {}, state=state, recipient_id=recipient_id, ctx=ctx,
                      permalink=context.get("permalink"))

    def payload(self, row: Any) -> dict[str, Any]:
        """The row's payload as it is sent (rendered if it holds a notice): for readers of queued rows."""
        if not row.notice:
            return dict(row.payload)
        return {**row.payload, **self(row.notice, row.recipient_id, row.context)}
