"""Modal submissions: ask/train, answer, escalate, reassign, decline, offer."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.handlers.common import deps_of, render_ctx, unknown_person_text
from bot.ids import Block, Callback
from bot.items.cards import common_context, mention, slack_date
from bot.items.forms import AskForm, NoteForm, metadata, selected, selected_user
from bot.items.modals import ask_choices, message_modal
from bot.items.service import NoSuchItem, Service, UnknownPerson
from routing.errors import Refused
from routing.model import EventKind, ItemKind
from templates import render_text

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(Callback.ASK.value)(handle_ask)
    app.view(Callback.TRAIN.value)(handle_ask)
    app.view(Callback.ANSWER.value)(handle_answer)
    app.view(Callback.ESCALATE.value)(handle_escalate)
    app.view(Callback.DECLINE.value)(handle_decline)
    app.view(Callback.REASSIGN.value)(handle_reassign)
    app.view(Callback.OFFER.value)(handle_offer)


def _close_with(ack: Ack, title: str, text: str) -> None:
    ack(response_action="update", view=message_modal(title, text))


def handle_ask(ack: Ack, body: dict, view: dict, context) -> None:
    deps = deps_of(context)
    svc = Service(deps)
    with deps.session() as session:
        directory = svc.directory(session)
    try:
        person = svc.person(directory, body["user"]["id"])
    except UnknownPerson as exc:
        return _close_with(ack, "Not in the roster", unknown_person_text(exc, directory))
    training = view.get("callback_id") == Callback.TRAIN.value
    choices = ask_choices(directory, person, training=training)
    form = AskForm.from_view(view, district_choices={d.id for d in choices.districts},
                             district_required=choices.district_required)
    if form.errors:
        return ack(response_action="errors", errors=form.errors)
    kind = choices.kind if not choices.kind_choice else ItemKind(form.kind if form.kind == "update" else "question")
    try:
        state = svc.start(slack_id=person.slack_id, kind=kind, text=form.text, district_id=form.district_id,
                          topics=form.topics, urgency=form.urgency)
    except Refused as exc:
        return _close_with(ack, "Not sent", exc.message)
    ctx = render_ctx(deps, directory)  # the directory read above: a roster import in between changes no name here
    text = render_text("messages/sent.md.j2", **common_context(state, ctx), who=lambda p: mention(directory, p),
                       when=lambda v: slack_date(v, ctx.timezone)).strip()
    _close_with(ack, "Sent", text)


def _act_from_modal(ack: Ack, body: dict, view: dict, context, kind: EventKind, **fields):
    deps = deps_of(context)
    item_id = metadata(view).get("item_id")
    try:
        Service(deps).act(slack_id=body["user"]["id"], item_id=int(item_id), kind=kind, **fields)
    except (Refused, NoSuchItem) as exc:
        return _close_with(ack, "Not done", getattr(exc, "message", str(exc)))
    except UnknownPerson as exc:
        return _close_with(ack, "Not in the roster", unknown_person_text(exc))
    except (TypeError, ValueError):
        log.warning("modal %s submitted without a valid item id", view.get("callback_id"))
        return _close_with(ack, "Not done", render_text("messages/error_reply.md.j2", reason="unknown").strip())
    ack(response_action="clear")


def handle_answer(ack: Ack, body: dict, view: dict, context) -> None:
    form = NoteForm.from_view(view, block=Block.ANSWER, required=True, what="your answer")
    if form.errors:
        return ack(response_action="errors", errors=form.errors)
    _act_from_modal(ack, body, view, context, EventKind.ANSWERED, text=form.note)


def handle_escalate(ack: Ack, body: dict, view: dict, context) -> None:
    form = NoteForm.from_view(view, block=Block.NOTE, required=False, what="a note")
    if form.errors:
        return ack(response_action="errors", errors=form.errors)
    _act_from_modal(ack, body, view, context, EventKind.ESCALATED, reason=form.note)


def handle_decline(ack: Ack, body: dict, view: dict, context) -> None:
    form = NoteForm.from_view(view, block=Block.NOTE, required=False, what="a note")
    if form.errors:
        return ack(response_action="errors", errors=form.errors)
    _act_from_modal(ack, body, view, context, EventKind.DECLINED, reason=form.note)


def handle_reassign(ack: Ack, body: dict, view: dict, context) -> None:
    deps = deps_of(context)
    target_slack = selected_user(view, Block.ASSIGNEE)
    form = NoteForm.from_view(view, block=Block.NOTE, required=False, what="a note")
    svc = Service(deps)
    with deps.session() as session:
        directory = svc.directory(session)
    target = directory.by_slack_id(target_slack) if target_slack else None
    if target is None or not target.active:
        form.errors[Block.ASSIGNEE] = "That person is not in the cstbot roster; pick someone who is."
    if form.errors:
        return ack(response_action="errors", errors=form.errors)
    try:
        svc.act(slack_id=body["user"]["id"], item_id=int(metadata(view).get("item_id")), kind=EventKind.REASSIGNED,
                target_id=target.id, reason=form.note)
    except Refused as exc:
        if exc.code in ("unknown_target", "same_owner", "target_unavailable", "not_in_tier"):
            return ack(response_action="errors", errors={Block.ASSIGNEE: exc.message})
        return _close_with(ack, "Not reassigned", exc.message)
    except (NoSuchItem, UnknownPerson, TypeError, ValueError) as exc:
        return _close_with(ack, "Not reassigned", getattr(exc, "message", str(exc)))
    ack(response_action="clear")


def handle_offer(ack: Ack, body: dict, view: dict, context) -> None:
    raw = selected(view, Block.CANDIDATE)
    try:
        candidate_id = int(raw) if raw is not None else None
    except ValueError:
        candidate_id = None
    if candidate_id is None:
        return ack(response_action="errors", errors={Block.CANDIDATE: "Please pick the trainer you offer."})
    _act_from_modal(ack, body, view, context, EventKind.OFFERED, candidate_id=candidate_id)
