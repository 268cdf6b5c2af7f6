"""`/cst share` from Slack payload to reply: open the form, share."""

from __future__ import annotations

import logging
from typing import Any

from bot.deps import Deps
from bot.share import service
from bot.share.modals import BLOCKS, ShareForm
from bot.slack.replies import Submission, error_text, message_modal
from routing.directory import Directory, Person
from templates import render_text

log = logging.getLogger(__name__)


def open_form(deps: Deps, directory: Directory, person: Person) -> dict | str:
    """`/cst share`: the form, or who can share (to anyone else)."""
    return service.form(deps, directory, person)


def open_form_modal(deps: Deps, directory: Directory, person: Person) -> dict:
    """The Home tab's button: the form, or a small modal saying who can share."""
    view = open_form(deps, directory, person)
    return message_modal("Share with the network", view) if isinstance(view, str) else view


def submit(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    why = service.why_not_sender(deps, directory, person)  # checked again: a forged submission writes nothing
    if why:
        return Submission.says("Not shared", why)
    form = ShareForm.from_view(view)
    if not form.errors and (nobody := service.nobody_in(deps, directory, person, form.audiences)):
        form.errors[BLOCKS["audiences"]] = nobody
    if form.errors:
        return Submission(errors=form.errors)
    if not form.token:
        log.warning("a share submitted without its form token")
        return Submission.says("Not shared", error_text())
    sent = service.send(deps, directory, person, form)
    protocol = deps.protocols.current
    text = render_text("messages/share_sent.md.j2", title=sent.share.title, recipients=len(sent.share.recipient_ids),
                       audiences=[service.audience_label(protocol, a, in_text=True) for a in sent.share.audiences],
                       missing=sent.missing).strip()
    if sent.already:
        return Submission.says("Already shared", text.split("\n")[0].replace(":white_check_mark: ", "", 1))
    return Submission.says("Shared", text)
