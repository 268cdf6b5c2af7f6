"""The App Home tab's buttons: ask, request training, how cstbot works, and *Viewing as* (roster try)."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.home import quiet
from bot.home import service as home
from bot.home.service import refresh_home
from bot.ids import Action, Callback
from bot.items.flows import render_ctx
from bot.items.modals import ask_view
from bot.slack.replies import message_modal


def register(app: App) -> None:
    app.action(Action.HOME_ASK.value)(handle_home_ask)
    app.action(Action.HOME_TRAIN.value)(handle_home_ask)
    app.action(Action.HOME_HELP.value)(handle_home_help)
    app.action(Action.HOME_AS.value)(handle_viewing_as)
    app.action(Action.HOME_QUIET.value)(handle_home_quiet)
    app.view(Callback.QUIET.value)(handle_quiet_submission)
    app.action(Action.NOOP.value)(lambda ack: ack())


def handle_home_ask(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    deps = context["deps"]
    training = action["action_id"] == Action.HOME_TRAIN.value
    view = ask_view(render_ctx(deps, context["directory"]), context["person"], training=training, now=deps.now())
    if isinstance(view, str):  # cannot ask for training without a district
        view = message_modal("Request training", view)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_home_help(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    text = home.help_text(context["deps"], context["directory"], context["person"])
    client.views_open(trigger_id=body["trigger_id"], view=message_modal("How cstbot works", text))


def handle_viewing_as(ack: Ack, body: dict, client: WebClient, context) -> None:
    """*Viewing as* on the Home tab (an account that plays several people): the middleware already chose them."""
    ack()
    deps, person = context["deps"], context["person"]
    with deps.session() as session:
        view = home.home_view(deps, session, context["directory"], person)
    client.views_publish(user_id=body["user"]["id"], view=view)


def handle_home_quiet(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=quiet.view(context["deps"], context["person"]))


def handle_quiet_submission(ack: Ack, client: WebClient, view: dict, context) -> None:
    """Saved: the Home tab says so at once (routing sees it through the directory version it bumped)."""
    deps, person = context["deps"], context["person"]
    answer = quiet.submit(deps, person, view)
    answer.send(ack)
    if not answer.errors:
        refresh_home(deps, client, person)
