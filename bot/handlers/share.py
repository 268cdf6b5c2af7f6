"""`/cst share`'s form submission and the Home tab's *Share with the network* button (the command itself is
routed by `commands.py`)."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.ids import Action, Callback
from bot.share import flows


def register(app: App) -> None:
    app.view(Callback.SHARE.value)(handle_share_submission)
    app.action(Action.SHARE_OPEN.value)(handle_open_share)


def handle_open_share(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    view = flows.open_form_modal(context["deps"], context["directory"], context["person"])
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_share_submission(ack: Ack, view: dict, context) -> None:
    flows.submit(context["deps"], context["directory"], context["person"], view).send(ack)
