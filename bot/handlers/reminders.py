"""*Remind me tomorrow* on any reminder (`bot.delivery.reminders`)."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.delivery.reminders import snooze_clicked
from bot.ids import Action
from bot.slack.replies import tell_clicker


def register(app: App) -> None:
    app.action(Action.SNOOZE.value)(handle_snooze)


def handle_snooze(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context) -> None:
    ack()
    text = snooze_clicked(context["deps"], context["person"], action.get("value"))
    tell_clicker(body, client, respond, text, title="Remind me tomorrow")
