"""`/cst ask | train | log | inbox | help`."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.handlers.coaching_log import log_view_for
from bot.handlers.common import deps_of, render_ctx, unknown_person_text
from bot.home import service as home
from bot.ids import COMMAND
from bot.items.modals import ask_choices, ask_modal
from bot.items.service import Service, UnknownPerson
from templates import render_text

log = logging.getLogger(__name__)

SUBCOMMANDS = ("ask", "train", "log", "inbox", "help")


def register(app: App) -> None:
    app.command(COMMAND)(handle_cst)


def handle_cst(ack: Ack, command: dict, client: WebClient, context) -> None:
    deps = deps_of(context)
    sub, _, rest = (command.get("text") or "").strip().partition(" ")
    sub = sub.lower()
    if sub not in SUBCOMMANDS and sub:
        ack(text=render_text("messages/help_unknown_sub.md.j2", sub=sub, subs=SUBCOMMANDS).strip())
        return
    svc = Service(deps)
    with deps.session() as session:
        directory = svc.directory(session)
        try:
            person = svc.person(directory, command["user_id"])
        except UnknownPerson as exc:
            ack(text=unknown_person_text(exc, directory))
            return
    ctx = render_ctx(deps, directory)
    if sub in ("ask", "train"):
        choices = ask_choices(directory, person, training=sub == "train")
        if sub == "train" and not choices.districts:
            ack(text=render_text("messages/no_districts.md.j2").strip())
            return
        route_line = home.route_line(deps, directory, person, choices)
        ack()
        client.views_open(trigger_id=command["trigger_id"],
                          view=ask_modal(choices, ctx, initial_text=rest.strip(), route_line=route_line))
    elif sub == "inbox":
        ack(**home.inbox_message(deps, directory, person))
    elif sub == "log":
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=log_view_for(deps, command["user_id"]))
    else:
        ack(text=home.help_text(deps, directory, person))
