"""Routed items: the ask and train modals' submissions, the buttons on item cards and the modals they open,
and the *Send to facilitator* message shortcut (and its one question)."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.ids import Action, Callback
from bot.items import flows
from bot.slack.replies import tell_clicker
from routing.model import EventKind

# Button -> the engine event it leads to (most open a modal first; see bot.items.modals.action_modal).
BUTTON_EVENTS = {
    Action.ANSWER: EventKind.ANSWERED,
    Action.ESCALATE: EventKind.ESCALATED,
    Action.REASSIGN: EventKind.REASSIGNED,
    Action.OFFER: EventKind.OFFERED,
    Action.DECLINE: EventKind.DECLINED,
    Action.WITHDRAW: EventKind.WITHDRAWN,
    Action.TAKE: EventKind.TAKEN,
    Action.CONVERT: EventKind.CONVERTED,
}


def register(app: App) -> None:
    app.view(Callback.ASK.value)(handle_ask)
    app.view(Callback.TRAIN.value)(handle_ask)
    for callback in flows.NOTE_SUBMISSIONS:
        app.view(callback.value)(handle_note)
    app.view(Callback.REASSIGN.value)(handle_reassign)
    app.view(Callback.OFFER.value)(handle_offer)
    app.view(Callback.CONVERT.value)(handle_convert)
    app.view(Callback.FORWARD.value)(handle_forward)
    for action in BUTTON_EVENTS:
        app.action(action.value)(handle_item_button)
    app.action(Action.PICK.value)(handle_pick)
    app.shortcut(Callback.SEND_TO_FACILITATOR.value)(handle_send_to_facilitator)


def handle_ask(ack: Ack, view: dict, context) -> None:
    flows.ask(context["deps"], context["directory"], context["person"], view).send(ack)


def handle_note(ack: Ack, view: dict, context) -> None:
    flows.note(context["deps"], context["person"], view).send(ack)


def handle_reassign(ack: Ack, view: dict, context) -> None:
    flows.reassign(context["deps"], context["directory"], context["person"], view).send(ack)


def handle_offer(ack: Ack, view: dict, context) -> None:
    flows.offer(context["deps"], context["person"], view).send(ack)


def handle_convert(ack: Ack, view: dict, context) -> None:
    flows.convert(context["deps"], context["person"], view).send(ack)


def handle_forward(ack: Ack, view: dict, context) -> None:
    flows.forward_submitted(context["deps"], context["directory"], context["person"], view).send(ack)


def handle_item_button(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context) -> None:
    ack()
    deps, person = context["deps"], context["person"]
    event = BUTTON_EVENTS[Action(action["action_id"])]
    checked = flows.clickable(deps, context["directory"], person, action.get("value"), event)
    if isinstance(checked, str):
        return tell_clicker(body, client, respond, checked)
    state, ctx = checked
    view = flows.item_modal(deps, event, state, ctx, person)
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    elif refusal := flows.act_now(deps, person, state.id, event):  # withdraw (its button confirms), take it
        tell_clicker(body, client, respond, refusal)


def handle_pick(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context) -> None:
    ack()
    value = (action.get("selected_option") or {}).get("value", "")
    if refusal := flows.pick(context["deps"], context["person"], value):
        tell_clicker(body, client, respond, refusal)


def handle_send_to_facilitator(ack: Ack, body: dict, client: WebClient, respond: Respond, context) -> None:
    """Asks "a question or a training request?" (a question preselected: one click), then it goes to the
    district's facilitator; what cannot go is said to the member alone."""
    ack()
    answer = flows.forward(context["deps"], context["directory"], context["person"], body)
    if isinstance(answer, dict):
        client.views_open(trigger_id=body["trigger_id"], view=answer)
    else:
        tell_clicker(body, None, respond, answer)
