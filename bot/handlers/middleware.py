"""Who is asking: resolved once per request, before any listener runs.

Puts the roster `directory` and the acting `person` into the Bolt context. A Slack user the roster does not
know (or no longer lists as active) is answered here, in the way their request can be answered, and no
listener runs: a slash command gets an ephemeral reply, a modal submission a replacement modal, a click a reply
only they see, the Home tab a page saying whom to ask.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.ids import Action
from bot.slack.format import mention
from bot.slack.replies import message_modal
from bot.trial.service import acting_person
from routing.directory import Directory, Role
from templates import render_json, render_text

log = logging.getLogger(__name__)

TITLE = "Not in the roster"
# Requests anyone may make without being in the roster: a link button's click (Slack sends one; nothing happens).
OPEN_ACTIONS = frozenset({Action.NOOP.value})
# How long a request from someone the cached roster lacks waits for a newer roster that is loading (every US
# state's loads in about a second); Slack waits 3 s for the whole request.
RELOAD_WAIT_SECONDS = 1.5


def register(app: App) -> None:
    app.use(resolve_person)


def acting_user(body: dict[str, Any]) -> str | None:
    """The Slack user id of whoever made the request, wherever this kind of request carries it."""
    if body.get("type") == "event_callback":
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        return event.get("user") if event.get("type") == "app_home_opened" else None
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id")


def resolve_person(body: dict, context, client: WebClient, next) -> BoltResponse | None:
    deps = context["deps"]
    with deps.session() as session:
        directory = deps.directories.get(session=session)
    context["directory"] = directory
    user = acting_user(body)
    actions = body.get("actions") or []
    if user is None or (actions and all(a.get("action_id") in OPEN_ACTIONS for a in actions)):
        return next()
    people = tuple(p for p in directory.people_of_slack(user) if p.active)
    if not people and deps.directories.reloading:
        # A new roster version is loading: this may be someone it adds (or brings back). Wait for it.
        directory = context["directory"] = deps.directories.wait_for_reload(RELOAD_WAIT_SECONDS) or directory
        people = tuple(p for p in directory.people_of_slack(user) if p.active)
    if people:
        # One account normally stands for one person; `cstbot roster try` binds it to one person per role.
        context["person"] = people[0] if len(people) == 1 else acting_person(deps, directory, people, body)
        return next()
    log.warning("Slack user %s is not in the roster; told whom to ask", user)
    return answer_stranger(body, client, directory, user, deps.protocols.current.words())


def stranger_text(directory: Directory, words: dict[str, str]) -> str:
    admins = [mention(directory, a.id) for a in directory.holders(Role.ADMIN)]
    return render_text("messages/unknown_person.md.j2", admins=admins, words=words).strip()


def answer_stranger(body: dict, client: WebClient, directory: Directory, user: str,
                    words: dict[str, str]) -> BoltResponse:
    text = stranger_text(directory, words)
    kind = body.get("type")
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    if kind == "view_submission":
        return BoltResponse(status=200, body={"response_action": "update", "view": message_modal(TITLE, text)})
    try:
        if kind == "event_callback":
            admins = [a.label for a in directory.holders(Role.ADMIN)]
            client.views_publish(user_id=user, view=render_json("home/unknown.json.j2", admins=admins, words=words))
        elif body.get("response_url"):
            WebhookClient(body["response_url"], timeout=2).send(text=text, response_type="ephemeral",
                                                                replace_original=False)
        elif body.get("trigger_id"):
            client.views_open(trigger_id=body["trigger_id"], view=message_modal(TITLE, text))
    except Exception as exc:  # the refusal is logged above; Slack still gets its 200
        log.warning("could not tell an unknown user whom to ask (%s)", type(exc).__name__)
    return BoltResponse(status=200, body="")
