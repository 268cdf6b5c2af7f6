"""How the app answers a person in Slack, the same way for every feature.

- A modal submission answers with field errors, a replacement modal, or by closing (`Submission`).
- A click is answered only to the clicker: ephemerally under the message, or, on the Home tab (no
  response_url), in a small modal (`tell_clicker`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from templates import render_json, render_text

log = logging.getLogger(__name__)


def message_modal(title: str, text: str) -> dict:
    """A modal that only says something (title up to 24 characters)."""
    return render_json("modals/message_modal.json.j2", title=title, text=text)


def error_text(reason: str = "unknown") -> str:
    return render_text("messages/error_reply.md.j2", reason=reason).strip()


@dataclass(frozen=True)
class Submission:
    """The answer to a modal submission: field errors (keyed by input block id), a modal that replaces the
    submitted one, or nothing (the modal closes; `clear` closes the whole stack)."""

    errors: dict[str, str] | None = None
    view: dict[str, Any] | None = None
    clear: bool = False

    @classmethod
    def says(cls, title: str, text: str) -> Submission:
        return cls(view=message_modal(title, text))

    def send(self, ack: Ack) -> None:
        if self.errors:
            ack(response_action="errors", errors=self.errors)
        elif self.view is not None:
            ack(response_action="update", view=self.view)
        elif self.clear:
            ack(response_action="clear")
        else:
            ack()


def tell_clicker(body: dict, client: WebClient, respond: Respond | None, text: str,
                 title: str = "Nothing changed") -> None:
    """Tell only the person who clicked why nothing happened (or what did)."""
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif body.get("trigger_id"):
            client.views_open(trigger_id=body["trigger_id"], view=message_modal(title, text))
    except Exception as exc:  # the reason is also in the logs
        log.warning("could not tell the clicker (%s)", type(exc).__name__)
