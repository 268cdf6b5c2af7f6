"""The monthly CST update: the form's submission, the buttons that open it, and *Acknowledge*."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.home.service import refresh_if_home
from bot.ids import Action, Callback
from bot.slack.replies import tell_clicker
from bot.updates import flows


def register(app: App) -> None:
    app.view(Callback.UPDATE.value)(handle_update_submission)
    app.action(Action.UPDATE_OPEN.value)(handle_open_update)
    app.action(Action.UPDATE_ACK.value)(handle_acknowledge)


def handle_open_update(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    view = flows.open_form_modal(context["deps"], context["directory"], context["person"], action.get("value"))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_update_submission(ack: Ack, view: dict, context) -> None:
    flows.submit(context["deps"], context["directory"], context["person"], view).send(ack)


def handle_acknowledge(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context) -> None:
    ack()
    deps, directory, person = context["deps"], context["directory"], context["person"]
    refusal = flows.acknowledge(deps, directory, person, action.get("value"))
    if refusal:
        tell_clicker(body, client, respond, refusal)
    refresh_if_home(deps, client, directory, person, body)
