"""Events: the App Home tab is rendered fresh each time someone opens it."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.handlers.common import deps_of
from bot.home import service as home
from bot.items.service import Service, UnknownPerson
from templates import render_json

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)


def handle_home_opened(event: dict, client: WebClient, context) -> None:
    if event.get("tab") not in (None, "home"):
        return  # the Messages tab
    deps = deps_of(context)
    svc = Service(deps)
    user = event["user"]
    with deps.session() as session:
        directory = svc.directory(session)
        try:
            person = svc.person(directory, user)
        except UnknownPerson as exc:
            view = render_json("home/unknown.json.j2", admins=[a.label for a in exc.admins])
        else:
            view = home.home_view(deps, session, directory, person)
    client.views_publish(user_id=user, view=view)
