"""Build modals and the Home tab from the directory and the protocol, through templates/views and templates/home."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.ids import Block, Callback
from bot.items.cards import RenderContext, common_context, mention, slack_date
from routing.directory import Directory, District, Person, Role
from routing.model import ItemKind, ItemState
from templates import render_json, render_text


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
        team_districts = [d for d in directory.districts.values() if d.active]
    team_districts.sort(key=lambda d: d.name)
    if training:
        # A facilitator or member requests training on a district's behalf: the district must be named.
        return AskChoices(ItemKind.TRAINING, tuple(team_districts), True, False)
    return AskChoices(ItemKind.QUESTION, tuple(team_districts), False, True)


def ask_modal(choices: AskChoices, ctx: RenderContext, *, initial_text: str = "", route_line: str = "") -> dict:
    protocol = ctx.protocol
    training = choices.kind is ItemKind.TRAINING
    groups = [
        {"label": "Expertise areas", "options": list(protocol.expertise)},
        {"label": "Standards for Professional Learning", "options": list(protocol.standards)},
    ]
    if not training:
        groups.reverse()
    meta: dict[str, Any] = {"kind": choices.kind.value}
    if len(choices.districts) == 1:
        meta["district_id"] = choices.districts[0].id
    return render_json(
        "views/ask_modal.json.j2",
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
        "views/note_modal.json.j2",
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
    return render_json("views/reassign_modal.json.j2", callback_id=Callback.REASSIGN.value,
                       metadata=json.dumps({"item_id": item_id}), intro=intro)


def offer_modal(item_id: int, intro: str, options: list[dict[str, str]]) -> dict:
    return render_json("views/offer_modal.json.j2", callback_id=Callback.OFFER.value,
                       metadata=json.dumps({"item_id": item_id}), intro=intro, options=options)


def message_modal(title: str, text: str) -> dict:
    return render_json("views/message_modal.json.j2", title=title, text=text)


def item_summary(state: ItemState, ctx: RenderContext) -> str:
    """One line about an item for modals' intros: '#12 Question from @x: "..."'."""
    c = common_context(state, ctx)
    return render_text("messages/item_line.md.j2", **c, who=lambda pid: mention(ctx.directory, pid),
                       when=lambda v: slack_date(v, ctx.timezone)).strip()


def now_label(now: datetime, ctx: RenderContext) -> str:
    return slack_date(now, ctx.timezone)
