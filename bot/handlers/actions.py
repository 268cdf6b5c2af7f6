"""Buttons on cards and on the Home tab. Each button's value is the item id."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.handlers.common import deps_of, render_ctx, unknown_person_text
from bot.home import service as home
from bot.ids import Action, Block, Callback
from bot.items.modals import (
    ask_choices,
    ask_modal,
    item_summary,
    message_modal,
    note_modal,
    offer_modal,
    reassign_modal,
)
from bot.items.service import NoSuchItem, Service, UnknownPerson
from routing.actions import available_actions
from routing.directory import Role
from routing.errors import Refused
from routing.model import EventKind, ItemKind
from templates import render_text

log = logging.getLogger(__name__)

# Button -> (engine event it leads to, modal to open first or None to act at once).
BUTTON_EVENTS = {
    Action.ANSWER: EventKind.ANSWERED,
    Action.ESCALATE: EventKind.ESCALATED,
    Action.REASSIGN: EventKind.REASSIGNED,
    Action.OFFER: EventKind.OFFERED,
    Action.DECLINE: EventKind.DECLINED,
    Action.WITHDRAW: EventKind.WITHDRAWN,
}


def register(app: App) -> None:
    for action in BUTTON_EVENTS:
        app.action(action.value)(handle_item_button)
    app.action(Action.PICK.value)(handle_pick)
    app.action(Action.HOME_ASK.value)(handle_home_open)
    app.action(Action.HOME_TRAIN.value)(handle_home_open)
    app.action(Action.HOME_HELP.value)(handle_home_help)
    app.action(Action.NOOP.value)(lambda ack: ack())


def _refuse(respond: Respond, text: str, body: dict | None = None, client: WebClient | None = None) -> None:
    """Tell only the clicker why nothing happened: ephemerally under a message, or in a small modal for a click
    on the Home tab (which has no response_url)."""
    try:
        if body is not None and client is not None and not body.get("response_url") and body.get("trigger_id"):
            client.views_open(trigger_id=body["trigger_id"], view=message_modal("Nothing changed", text))
        else:
            respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception as exc:  # the refusal is also in the logs
        log.warning("could not send a refusal to the user (%s)", type(exc).__name__)


def handle_item_button(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context) -> None:
    ack()
    deps = deps_of(context)
    svc = Service(deps)
    action_id = Action(action["action_id"])
    event = BUTTON_EVENTS[action_id]
    try:
        item_id = int(action.get("value", ""))
    except ValueError:
        log.warning("button %s without an item id", action_id)
        return _refuse(respond, render_text("messages/error_reply.md.j2", reason="unknown").strip(), body, client)
    try:
        with deps.session() as session:
            directory = svc.directory(session)
            person = svc.person(directory, body["user"]["id"])
            row, state = svc.item(session, item_id)
        protocol = deps.protocols.get(state.protocol_version)
    except UnknownPerson as exc:
        return _refuse(respond, unknown_person_text(exc, directory), body, client)
    except NoSuchItem:
        return _refuse(respond, render_text("messages/no_item.md.j2", item_id=item_id).strip(), body, client)
    if event not in available_actions(state, person.id, directory, protocol):
        return _refuse(respond, _why_not(person.id, state, directory), body, client)
    ctx = render_ctx(deps, directory, protocol)
    summary = item_summary(state, ctx)
    trigger = body["trigger_id"]
    if event is EventKind.ANSWERED:
        client.views_open(trigger_id=trigger, view=note_modal(
            callback_id=Callback.ANSWER, item_id=item_id, title="Answer", submit="Send answer", intro=summary,
            label="Your answer", block_id=Block.ANSWER, required=True))
    elif event is EventKind.ESCALATED:
        training = state.kind is ItemKind.TRAINING
        client.views_open(trigger_id=trigger, view=note_modal(
            callback_id=Callback.ESCALATE, item_id=item_id, title="No match here" if training else "Escalate",
            submit="Ask the next stage" if training else "Escalate",
            intro=render_text("messages/escalate_intro.md.j2", summary=summary, training=training).strip(),
            label="Note for the next tier (optional)", block_id=Block.NOTE, required=False, max_length=1000))
    elif event is EventKind.DECLINED:
        client.views_open(trigger_id=trigger, view=note_modal(
            callback_id=Callback.DECLINE, item_id=item_id, title="No one to offer", submit="Send",
            intro=summary, label="Anything the facilitator should know? (optional)", block_id=Block.NOTE,
            required=False, max_length=1000))
    elif event is EventKind.REASSIGNED:
        client.views_open(trigger_id=trigger, view=reassign_modal(item_id, summary))
    elif event is EventKind.OFFERED:
        client.views_open(trigger_id=trigger, view=offer_modal(item_id, summary, _offer_options(directory, person)))
    else:  # withdraw: the button carries a confirm dialog, so act at once
        try:
            svc.act(slack_id=person.slack_id, item_id=item_id, kind=event)
        except Refused as exc:
            _refuse(respond, exc.message, body, client)


def _offer_options(directory, person) -> list[dict[str, str]]:
    """The offerer first, then the people on their teams (a facilitator offers one of their members)."""
    ids = [person.id]
    for m in directory.memberships_of(person.id):
        ids += [x.person_id for x in directory.team_memberships(m.team_id) if x.person_id not in ids]
    options = []
    for pid in ids:
        p = directory.person(pid)
        if p is not None and p.active:
            options.append({"text": p.label + (" (me)" if pid == person.id else ""), "value": str(pid)})
    return options


def _why_not(person_id, state, directory) -> str:
    owner = directory.person(state.owner_id) if state.owner_id else None
    return render_text(
        "messages/not_yours.md.j2",
        status=state.status.value,
        item_id=state.id,
        owner=f"<@{owner.slack_id}>" if owner and owner.slack_id else (owner.label if owner else "nobody"),
        is_admin=Role.ADMIN in directory.roles_of(person_id),
    ).strip()


def handle_pick(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, context) -> None:
    ack()
    deps = deps_of(context)
    value = (action.get("selected_option") or {}).get("value", "")
    try:
        item_id, candidate_id = (int(x) for x in value.split(":", 1))
    except ValueError:
        log.warning("pick without item:candidate value")
        return _refuse(respond, render_text("messages/error_reply.md.j2", reason="unknown").strip(), body, client)
    try:
        Service(deps).act(slack_id=body["user"]["id"], item_id=item_id, kind=EventKind.MATCHED,
                          candidate_id=candidate_id)
    except (Refused, NoSuchItem) as exc:
        _refuse(respond, getattr(exc, "message", str(exc)), body, client)
    except UnknownPerson as exc:
        _refuse(respond, unknown_person_text(exc), body, client)


def handle_home_open(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    deps = deps_of(context)
    svc = Service(deps)
    with deps.session() as session:
        directory = svc.directory(session)
    training = action["action_id"] == Action.HOME_TRAIN.value
    try:
        person = svc.person(directory, body["user"]["id"])
    except UnknownPerson as exc:
        from bot.items.modals import message_modal

        client.views_open(trigger_id=body["trigger_id"],
                          view=message_modal("Not in the roster", unknown_person_text(exc, directory)))
        return
    choices = ask_choices(directory, person, training=training)
    route_line = home.route_line(deps, directory, person, choices)
    client.views_open(trigger_id=body["trigger_id"],
                      view=ask_modal(choices, render_ctx(deps, directory), route_line=route_line))


def handle_home_help(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    deps = deps_of(context)
    svc = Service(deps)
    from bot.items.modals import message_modal

    with deps.session() as session:
        directory = svc.directory(session)
    try:
        person = svc.person(directory, body["user"]["id"])
        text = home.help_text(deps, directory, person)
    except UnknownPerson as exc:
        text = unknown_person_text(exc, directory)
    client.views_open(trigger_id=body["trigger_id"], view=message_modal("How cstbot works", text))
