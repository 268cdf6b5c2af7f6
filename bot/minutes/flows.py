"""Minutes from Slack payload to reply: open the form, share them, *Got it*, *Share with my team*."""

from __future__ import annotations

import logging
from typing import Any

from bot.deps import Deps
from bot.minutes import service
from bot.minutes.cards import meeting_label
from bot.minutes.modals import MinutesForm, ShareForm
from bot.slack.forms import as_id
from bot.slack.replies import Submission, error_text, message_modal
from routing.directory import Directory, Person
from templates import render_text

log = logging.getLogger(__name__)


def open_form(deps: Deps, directory: Directory, person: Person) -> dict | str:
    """`/cst minutes`: the form, or why this person cannot share minutes."""
    return service.form(deps, directory, person)


def open_form_modal(deps: Deps, directory: Directory, person: Person) -> dict:
    """The Home tab's button: the form, or a small modal saying why not."""
    view = open_form(deps, directory, person)
    return message_modal("Meeting minutes", view) if isinstance(view, str) else view


def submit(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    why = service.why_not_sender(deps, directory, person)
    if why:
        return Submission.says("Not shared", why)
    form = MinutesForm.from_view(view, today=service.today(deps))
    if form.errors:
        return Submission(errors=form.errors)
    if not form.token:
        log.warning("minutes submitted without their form token")
        return Submission.says("Not shared", error_text())
    sent = service.send(deps, directory, person, form)
    text = render_text("messages/minutes_sent.md.j2", meeting=meeting_label(sent.minutes),
                       facilitators=sent.facilitators, channels=sent.channels, missing=sent.missing,
                       words=deps.protocols.current.words()).strip()
    if sent.already:
        return Submission.says("Already shared", text.split("\n")[0].replace(":white_check_mark: ", "", 1))
    return Submission.says("Shared", text)


def _minutes_id(raw: Any) -> int | None:
    try:
        return as_id(raw)
    except (TypeError, ValueError):
        log.warning("minutes button without a minutes id")
        return None


def acknowledge(deps: Deps, directory: Directory, person: Person, raw_id: Any) -> str | None:
    """*Got it*: None when recorded (the message itself changes), else what to tell the clicker."""
    minutes_id = _minutes_id(raw_id)
    return error_text() if minutes_id is None else service.acknowledge(deps, directory, person, minutes_id)


def open_share(deps: Deps, directory: Directory, person: Person, raw_id: Any) -> dict | str:
    """*Share with my team*: the modal, or what to tell the clicker."""
    minutes_id = _minutes_id(raw_id)
    return error_text() if minutes_id is None else service.share_form(deps, directory, person, minutes_id)


def submit_share(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    form = ShareForm.from_view(view)
    if form.errors:
        return Submission(errors=form.errors)
    if form.minutes_id is None:
        return Submission.says("Not shared", error_text())
    return Submission.says("Shared with your team", service.share(deps, directory, person, form))
