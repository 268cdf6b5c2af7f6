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
from routing.actions import available_actions, role_on_item
from routing.directory import Directory, Role
from routing.model import EventKind, ItemKind, ItemState, Notice
from routing.protocol import Protocol
from templates import render_json, render_text

# Notices that become a card (re-rendered on every change); the others are plain messages.
CARD_NOTICES = frozenset(
    {Notice.ITEM_ASSIGNED, Notice.TRAINING_CANDIDATES, Notice.TRAINING_STAGE, Notice.OFFER_REQUEST,
     Notice.ASKER_STATUS, Notice.RPDC_REFERRAL}
)
# One card per item and recipient, updated in place rather than posted again.
STICKY_NOTICES = frozenset({Notice.ASKER_STATUS})

# The role a notice reaches its recipient in when the item does not say (see routing.actions.role_on_item).
NOTICE_ROLES = {Notice.ADMIN_ALERT: Role.ADMIN}

# Buttons, in the order a card shows them: engine event -> (action id, label, style).
BUTTONS: dict[EventKind, tuple[Action, str, str | None]] = {
    EventKind.ANSWERED: (Action.ANSWER, "Answer", "primary"),
    EventKind.OFFERED: (Action.OFFER, "Offer a trainer", "primary"),
    EventKind.DECLINED: (Action.DECLINE, "No one to offer", None),
    EventKind.ESCALATED: (Action.ESCALATE, "Escalate", None),
    EventKind.REASSIGNED: (Action.REASSIGN, "Reassign", None),
    EventKind.WITHDRAWN: (Action.WITHDRAW, "Withdraw", "danger"),
}


# On a training request, escalating means "nobody suitable at this stage": the next stage is asked.
TRAINING_LABELS = {EventKind.ESCALATED: "No match here", EventKind.ANSWERED: "Record the outcome"}


def buttons_for(state: ItemState, actions: tuple[EventKind, ...]) -> list[dict[str, Any]]:
    """The buttons a card or the Home tab shows for these actions; each carries the item id."""
    labels = TRAINING_LABELS if state.kind is ItemKind.TRAINING else {}
    return [
        {"action_id": BUTTONS[a][0].value, "text": labels.get(a, BUTTONS[a][1]), "style": BUTTONS[a][2],
         "value": str(state.id)}
        for a in actions
        if a in BUTTONS
    ]


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
    }


def _name(directory: Directory, person_id: int | None) -> str | None:
    person = directory.person(person_id) if person_id is not None else None
    return person.label if person else None


def _view_model(notice: Notice, context: dict[str, Any], state: ItemState, recipient_id: int,
                ctx: RenderContext) -> dict[str, Any]:
    d = ctx.directory
    actions = available_actions(state, recipient_id, d, ctx.protocol) if is_card(notice) else ()
    buttons = buttons_for(state, actions)
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
        "notice": notice.value,
        "state": state,
        "closed": not state.is_open,
        "buttons": buttons,
        "pick": pick,
        "who": lambda pid: mention(d, pid),
        "when": lambda value: slack_date(value, ctx.timezone),
        "recipient_id": recipient_id,
        "refresh": False,
    }


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
