"""The lead's monthly update from Slack payload to reply: open the form, send it, acknowledge it."""

from __future__ import annotations

import logging
from typing import Any

from bot.deps import Deps
from bot.slack import forms
from bot.slack.format import slack_date
from bot.slack.replies import Submission, error_text, message_modal
from bot.updates import service
from bot.updates.modals import UpdateForm, modal_title
from routing.coaching_log import month_label
from routing.directory import Directory, Person
from store.summary import parse_month
from templates import render_text

log = logging.getLogger(__name__)

def open_form(deps: Deps, directory: Directory, person: Person, month: str | None = None) -> dict | str:
    """`/cst update`: the form, or (for someone who does not send updates) who does."""
    return service.form(deps, directory, person, month)


def open_form_modal(deps: Deps, directory: Directory, person: Person, month: str | None = None) -> dict:
    """A button (the reminder, the Home tab): the form, or a small modal saying who sends updates."""
    view = open_form(deps, directory, person, month)
    return message_modal(modal_title(deps.protocols.current.words()), view) if isinstance(view, str) else view


def submit(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    why = service.why_not_lead(deps, directory, person)
    if why:
        return Submission.says("Not sent", why)
    form = UpdateForm.from_view(view)
    if form.errors:
        return Submission(errors=form.errors)
    try:
        parse_month(form.month)
    except ValueError:
        form.token = ""
    if not form.token:
        log.warning("CST update submitted without a valid month or its token")
        return Submission.says("Not sent", error_text())
    try:
        sent = service.send(deps, directory, person, form)
    except service.Changed as exc:
        text = render_text("messages/update_changed.md.j2", month_label=month_label(form.month),
                           sent=slack_date(exc.sent_at, deps.settings.timezone)).strip()
        return Submission.says("Not sent", text)
    if sent.already:
        return Submission.says("Already sent", render_text(
            "messages/update_sent.md.j2", replaced=sent.replaced, month_label=month_label(form.month),
            for_all=form.for_all, readers=0, channels=0, missing=[],
            words=deps.protocols.current.words()).strip().split("\n")[0])
    text = render_text("messages/update_sent.md.j2", replaced=sent.replaced, month_label=month_label(form.month),
                       for_all=form.for_all, readers=sent.readers, channels=sent.channels, missing=sent.missing,
                       words=deps.protocols.current.words())
    return Submission.says("Replaced" if sent.replaced else "Sent", text.strip())


def acknowledge(deps: Deps, directory: Directory, person: Person, raw_id: Any) -> str | None:
    """*Acknowledge*: None when recorded (the message itself changes), else what to tell the clicker."""
    try:
        update_id = forms.as_id(raw_id)
    except (TypeError, ValueError):
        log.warning("Acknowledge button without an update id")
        return error_text()
    return service.acknowledge(deps, directory, person, update_id)
