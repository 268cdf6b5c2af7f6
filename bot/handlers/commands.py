"""`/cst ask | train | log | update | minutes | share | inbox | help`: one command, routed by its first word."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.coaching_log.service import entry_modal
from bot.home import service as home
from bot.ids import COMMAND
from bot.items.flows import render_ctx
from bot.items.modals import ask_view
from bot.minutes import flows as minutes
from bot.share import flows as share
from bot.updates import flows as updates
from templates import render_text

SUBCOMMANDS = ("ask", "train", "log", "update", "minutes", "share", "inbox", "help")
# Subcommands that open a feature's form: (deps, directory, person) -> the modal, or a reply saying why not.
FORMS = {"log": entry_modal, "update": updates.open_form, "minutes": minutes.open_form, "share": share.open_form}


def register(app: App) -> None:
    app.command(COMMAND)(handle_cst)


def handle_cst(ack: Ack, command: dict, client: WebClient, context) -> None:
    deps, directory, person = context["deps"], context["directory"], context["person"]
    sub, _, rest = (command.get("text") or "").strip().partition(" ")
    sub = sub.lower()
    if sub in ("ask", "train"):
        view = ask_view(render_ctx(deps, directory), person, training=sub == "train", now=deps.now(),
                        initial_text=rest.strip())
        if isinstance(view, str):
            return ack(text=view)
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=view)
    elif sub in FORMS:
        view = FORMS[sub](deps, directory, person)
        if isinstance(view, str):
            return ack(text=view)
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=view)
    elif sub == "inbox":
        ack(**home.inbox_message(deps, directory, person))
    elif sub in ("help", ""):
        ack(text=home.help_text(deps, directory, person))
    else:
        ack(text=render_text("messages/help_unknown_sub.md.j2", sub=sub, subs=SUBCOMMANDS).strip())
