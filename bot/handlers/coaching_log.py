"""The coaching interaction log: add and edit entries, review and submit a month, reopen it."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.coaching_log import service
from bot.ids import Action, Callback
from bot.slack.forms import as_id, metadata

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(Callback.LOG.value)(handle_log_submission)
    app.view(Callback.LOG_SUBMIT.value)(handle_month_submission)
    app.view(Callback.LOG_REOPEN.value)(handle_reopen_submission)
    app.action(Action.HOME_LOG.value)(handle_open_log)
    app.action(Action.LOG_REVIEW.value)(handle_open_review)
    app.action(Action.LOG_REOPEN.value)(handle_open_reopen)
    app.action(Action.LOG_ENTRY_MENU.value)(handle_entry_menu)


def handle_open_log(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    view = service.entry_modal(context["deps"], context["directory"], context["person"])
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_log_submission(ack: Ack, body: dict, view: dict, client: WebClient, context) -> None:
    deps, directory, person = context["deps"], context["directory"], context["person"]
    answer, refresh = service.save_entry(deps, directory, person, view)
    answer.send(ack)
    if refresh:
        service.refresh_review(deps, client, directory, metadata(view)["review"], person, *refresh)


def handle_open_review(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    parsed = service.parse_team_month(action.get("value", ""))
    if parsed is None:
        log.warning("log review button without team:month")
        return
    view = service.review_modal(context["deps"], context["directory"], context["person"], *parsed)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_entry_menu(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    deps, directory, person = context["deps"], context["directory"], context["person"]
    value = (action.get("selected_option") or {}).get("value", "")
    review = body.get("view") or {}
    meta = metadata(review)
    if service.parse_team_month(f"{meta.get('team_id')}:{meta.get('month')}") is None or not _entry_id(value):
        log.warning("log entry menu without an entry id")
        return
    pushed = service.entry_menu(deps, directory, person, value, review)
    if pushed is not None:
        client.views_push(trigger_id=body["trigger_id"], view=pushed)
    else:
        service.refresh_review(deps, client, directory, review.get("id"), person, meta["team_id"], meta["month"])


def _entry_id(value: str) -> bool:
    try:
        return bool(as_id(value.partition(":")[2]))
    except ValueError:
        return False


def handle_month_submission(ack: Ack, body: dict, view: dict, context) -> None:
    service.submit_month(context["deps"], context["directory"], context["person"], view).send(ack)


def handle_open_reopen(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    parsed = service.parse_team_month(action.get("value", ""))
    if parsed is None:
        return
    view = service.reopen_modal(context["deps"], context["directory"], context["person"], *parsed)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_reopen_submission(ack: Ack, body: dict, view: dict, context) -> None:
    service.reopen(context["deps"], context["directory"], context["person"], view).send(ack)
