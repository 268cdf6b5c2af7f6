"""Events: the App Home tab is rendered fresh each time someone opens it."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.home import service as home


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)


def handle_home_opened(event: dict, client: WebClient, context) -> None:
    if event.get("tab") not in (None, "home"):
        return  # the Messages tab
    deps, person = context["deps"], context.get("person")
    if person is None:
        return  # an event that names no user: nobody's Home tab to draw
    with deps.session() as session:
        view = home.home_view(deps, session, context["directory"], person)
    client.views_publish(user_id=person.slack_id, view=view)
