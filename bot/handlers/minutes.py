"""Management minutes: the form's submission, *Got it*, *Share with my team* and its modal, the Home button."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.home.service import refresh_if_home
from bot.ids import Action, Callback
from bot.minutes import flows
from bot.slack.replies import tell_clicker


def register(app: App) -> None:
    app.view(Callback.MINUTES.value)(handle_minutes_submission)
    app.view(Callback.MINUTES_SHARE.value)(handle_share_submission)
    app.action(Action.MINUTES_OPEN.value)(handle_open_minutes)
    app.action(Action.MINUTES_ACK.value)(handle_got_it)
    app.action(Action.MINUTES_SHARE.value)(handle_open_share)


def handle_open_minutes(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    view = flows.open_form_modal(context["deps"], context["directory"], context["person"])
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_minutes_submission(ack: Ack, view: dict, context) -> None:
    flows.submit(context["deps"], context["directory"], context["person"], view).send(ack)


def handle_got_it(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context) -> None:
    ack()
    deps, directory, person = context["deps"], context["directory"], context["person"]
    refusal = flows.acknowledge(deps, directory, person, action.get("value"))
    if refusal:
        tell_clicker(body, client, respond, refusal)
    refresh_if_home(deps, client, directory, person, body)


def handle_open_share(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context) -> None:
    ack()
    view = flows.open_share(context["deps"], context["directory"], context["person"], action.get("value"))
    if isinstance(view, str):
        return tell_clicker(body, client, respond, view)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_share_submission(ack: Ack, view: dict, context) -> None:
    flows.submit_share(context["deps"], context["directory"], context["person"], view).send(ack)
