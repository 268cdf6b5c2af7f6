"""The modals of routed items (ask, train, answer, escalate, decline, reassign, offer), built from the directory
and the protocol through templates/modals."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.ids import Block, Callback
from bot.items.cards import RenderContext, common_context
from bot.slack.format import mention, played, slack_date
from routing.actions import offerable
from routing.directory import Directory, District, Person, Role
from routing.explain import explain
from routing.model import EventKind, ItemKind, ItemState
from routing.protocol import Protocol
from templates import render_json, render_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AskChoices:
    """What the ask/train modal offers a person."""

    kind: ItemKind
    districts: tuple[District, ...]
    district_required: bool
    kind_choice: bool  # CST roles choose "question" or "update"


def ask_choices(directory: Directory, person: Person, *, training: bool) -> AskChoices:
    roles = directory.roles_of(person.id)
    staff_districts = directory.districts_of_staff(person.id)
    if staff_districts and not training:
        return AskChoices(ItemKind.DISTRICT, staff_districts, len(staff_districts) > 1, False)
    if staff_districts:
        return AskChoices(ItemKind.TRAINING, staff_districts, len(staff_districts) > 1, False)
    team_districts: list[District] = []
    for m in directory.memberships_of(person.id):
        team_districts.extend(directory.districts_of_team(m.team_id))
    if not team_districts and (training or Role.ADMIN in roles or Role.LEAD in roles):
        districts = directory.active_districts()  # already by name (the index keeps them sorted)
    else:
        districts = tuple(sorted(team_districts, key=lambda d: d.name))
    if training:
        # A facilitator or member requests training on a district's behalf: the district must be named.
        return AskChoices(ItemKind.TRAINING, districts, True, False)
    return AskChoices(ItemKind.QUESTION, districts, False, True)


def ask_modal(choices: AskChoices, ctx: RenderContext, *, initial_text: str = "", route_line: str = "",
              acting: int | None = None) -> dict:
    protocol = ctx.protocol
    training = choices.kind is ItemKind.TRAINING
    groups = topic_groups(protocol)
    if not training:
        groups.reverse()
    meta: dict[str, Any] = {"kind": choices.kind.value}
    if acting is not None:  # the person the form was opened for (an account may play several: roster try)
        meta["as"] = acting
    if len(choices.districts) == 1:
        meta["district_id"] = choices.districts[0].id
    return render_json(
        "modals/ask_modal.json.j2",
        callback_id=(Callback.TRAIN if training else Callback.ASK).value,
        metadata=json.dumps(meta),
        kind=choices.kind.value,
        kind_choice=choices.kind_choice,
        districts=[{"id": d.id, "name": d.name} for d in choices.districts],
        district_required=choices.district_required,
        topic_groups=groups,
        initial_text=initial_text,
        route_line=route_line,
    )


def note_modal(*, callback_id: Callback, item_id: int, title: str, submit: str, intro: str, label: str,
               block_id: Block, required: bool, max_length: int = 3000) -> dict:
    return render_json(
        "modals/note_modal.json.j2",
        callback_id=callback_id.value,
        metadata=json.dumps({"item_id": item_id}),
        title=title,
        submit=submit,
        intro=intro,
        label=label,
        block_id=block_id.value,
        required=required,
        max_length=max_length,
    )


def reassign_modal(item_id: int, intro: str) -> dict:
    return render_json("modals/reassign_modal.json.j2", callback_id=Callback.REASSIGN.value,
                       metadata=json.dumps({"item_id": item_id}), intro=intro)


def offer_modal(item_id: int, intro: str, options: list[dict[str, str]],
                allocation: dict[str, Any] | None = None) -> dict:
    """`allocation` ({contact, label, left, allocated, year}): the offer commits days of a state contact's
    allocation, so the modal asks how many, says what is left, and offers the over-allocation confirmation."""
    return render_json("modals/offer_modal.json.j2", callback_id=Callback.OFFER.value,
                       metadata=json.dumps({"item_id": item_id}), intro=intro, options=options,
                       allocation=allocation)


def topic_groups(protocol: Protocol) -> list[dict[str, Any]]:
    return [
        {"label": "Expertise areas", "options": list(protocol.expertise)},
        {"label": "Standards for Professional Learning", "options": list(protocol.standards)},
    ]


def convert_modal(state: ItemState, ctx: RenderContext) -> dict:
    """*This is a training request*: which expertise the training needs, the item's topics preselected."""
    protocol = ctx.protocol
    training = protocol.training.label if protocol.training else "training request"
    intro = render_text("messages/convert_intro.md.j2", summary=item_summary(state, ctx), training=training,
                        first_stage=protocol.training.sequence[0].label if protocol.training else "").strip()
    known = set(protocol.topics)
    return render_json("modals/convert_modal.json.j2", callback_id=Callback.CONVERT.value,
                       metadata=json.dumps({"item_id": state.id}), intro=intro, topic_groups=topic_groups(protocol),
                       initial=[t for t in state.topics if t in known and t in protocol.expertise])


def forward_modal(ctx: RenderContext, *, author: Person, text: str, metadata: str) -> dict:
    """The *Send to facilitator* shortcut's one question: a question (preselected) or a training request?"""
    protocol = ctx.protocol
    question = protocol.kind_label(ItemKind.DISTRICT)
    training = protocol.kind_label(ItemKind.TRAINING) if protocol.training else ""
    intro = render_text("messages/forward_intro.md.j2", author=mention(ctx.directory, author.id), text=text,
                        facilitator=protocol.label(Role.FACILITATOR)).strip()
    return render_json("modals/forward_modal.json.j2", callback_id=Callback.FORWARD.value, metadata=metadata,
                       intro=intro, question=f"A question or request ({question})",
                       training=f"A training request ({training})" if training else "A training request",
                       topic_groups=topic_groups(protocol))


def item_summary(state: ItemState, ctx: RenderContext) -> str:
    """One line about an item for modals' intros: '#12 Question from @x: "..."'."""
    c = common_context(state, ctx)
    return render_text("messages/item_line.md.j2", **c, who=lambda pid: mention(ctx.directory, pid),
                       when=lambda v: slack_date(v, ctx.timezone)).strip()


def route_line(directory: Directory, protocol: Protocol, person: Person, choices: AskChoices, now: datetime) -> str:
    """'Goes to @pat (CST facilitator)' for the ask modal, from the same explanation `cstbot route explain` prints."""
    district_id = choices.districts[0].id if len(choices.districts) == 1 else None
    try:
        exp = explain(directory, protocol, asker_id=person.id, kind=choices.kind, now=now, district_id=district_id)
    except Exception as exc:  # an explanation is a courtesy; never block the form on it
        log.warning("no route line for the ask modal (%s)", type(exc).__name__)
        return ""
    step = exp.receiver
    if step is None or (step.owner_id is None and not step.holders):
        return ""
    who = mention(directory, step.owner_id) if step.owner_id is not None else " or ".join(step.holders)
    return render_text("messages/route_line.md.j2", who=who, label=exp.receiver_label,
                       shared=step.owner_id is None).strip()


def ask_view(ctx: RenderContext, person: Person, *, training: bool, now: datetime,
             initial_text: str = "") -> dict | str:
    """The ask or train modal for this person, or why they cannot open it (a sentence)."""
    choices = ask_choices(ctx.directory, person, training=training)
    if training and not choices.districts:
        return render_text("messages/no_districts.md.j2").strip()
    line = route_line(ctx.directory, ctx.protocol, person, choices, now)
    if asking_as := played(ctx.directory, ctx.protocol, person):
        line = render_text("messages/asking_as.md.j2", who=asking_as).strip() + ("\n" + line if line else "")
    return ask_modal(choices, ctx, initial_text=initial_text, route_line=line, acting=person.id)


def action_modal(event: EventKind, state: ItemState, ctx: RenderContext, person: Person,
                 allocation: dict[str, Any] | None = None) -> dict | None:
    """The modal a card's button opens before the action is taken; None for an action taken at once (withdraw and
    take it: the first asks for confirmation itself, the second is one click)."""
    summary = item_summary(state, ctx)
    training = state.kind is ItemKind.TRAINING
    if event is EventKind.ANSWERED and state.kind is ItemKind.COMPLIANCE:
        return note_modal(callback_id=Callback.ANSWER, item_id=state.id, title="Close it", submit="Close it",
                          intro=summary, label="What you found or arranged", block_id=Block.ANSWER, required=True)
    if event is EventKind.ANSWERED:
        return note_modal(callback_id=Callback.ANSWER, item_id=state.id, title="Answer", submit="Send answer",
                          intro=summary, label="Your answer", block_id=Block.ANSWER, required=True)
    if event is EventKind.ESCALATED:
        later = []
        if training and ctx.protocol.training is not None:
            names = [s.name for s in ctx.protocol.training.sequence]
            if state.tier in names:
                later = [s.label for s in ctx.protocol.training.sequence[names.index(state.tier) + 1:]]
        return note_modal(
            callback_id=Callback.ESCALATE, item_id=state.id, title="No match here" if training else "Escalate",
            submit="Ask the next stage" if training else "Escalate",
            intro=render_text("messages/escalate_intro.md.j2", summary=summary, training=training,
                              later=later).strip(),
            label="Note for the next tier (optional)", block_id=Block.NOTE, required=False, max_length=1000)
    if event is EventKind.CONVERTED:
        return convert_modal(state, ctx)
    if event is EventKind.DECLINED:
        return note_modal(callback_id=Callback.DECLINE, item_id=state.id, title="No one to offer", submit="Send",
                          intro=summary, label="Anything the facilitator should know? (optional)",
                          block_id=Block.NOTE, required=False, max_length=1000)
    if event is EventKind.REASSIGNED:
        return reassign_modal(state.id, summary)
    if event is EventKind.OFFERED:
        return offer_modal(state.id, summary, offer_options(ctx.directory, state, person), allocation)
    return None


def offer_options(directory: Directory, state: ItemState, person: Person) -> list[dict[str, str]]:
    """Whom the person may offer (the engine checks the same list): themselves first, then the members of the
    teams they facilitate."""
    return [
        {"text": (p.label + (" (me)" if p.id == person.id else ""))[:75], "value": str(p.id)}
        for pid in offerable(directory, state, person.id)[:100]
        if (p := directory.person(pid)) is not None
    ]
