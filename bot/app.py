"""The Bolt app factory. Nothing registers at import time: `build_app(deps)` wires everything."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk.webhook import WebhookClient

from bot.deps import Deps
from bot.handlers import register_listeners
from bot.slack.replies import error_text
from store import events
from templates import render_json

log = logging.getLogger(__name__)


def build_app(deps: Deps, *, process_before_response: bool = True) -> App:
    """Build the Bolt app.

    process_before_response=True: the HTTP response is sent when the listener returns, so listeners must
    finish fast (they do: a transaction and an outbox write; Slack calls that can wait go through the
    outbox). It avoids Bolt's 10 ms ack polling, which caps a process at ~80 requests/s.
    """
    settings = deps.settings
    settings.require("slack_bot_token")
    app = App(
        signing_secret=settings.secret("slack_signing_secret"),
        client=deps.client,
        process_before_response=process_before_response,
        token_verification_enabled=False,  # no auth.test at start-up: start even while Slack is unreachable
        raise_error_for_unhandled_request=True,
        logger=logging.getLogger("cstbot.bolt"),
    )

    def inject_deps(context, next):
        context["deps"] = deps
        next()

    def once_per_event(body, next):
        """Slack retries an event it thinks we missed (X-Slack-Retry-Num); handle each event id once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with deps.session(write=True) as s:
                first = events.first_time(session=s, event_id=event_id, now=deps.now())
            if not first:
                log.info("event %s already handled; ignoring Slack's retry", event_id)
                return BoltResponse(status=200, body="")
        next()

    app.use(inject_deps)
    app.use(once_per_event)
    register_listeners(app)
    app.error(_on_error)
    return app


def _describe(body: dict[str, Any]) -> str:
    """What the request was, for logs: its kind and ids, never its text."""
    kind = body.get("type") or ("slash_command" if body.get("command") else "unknown")
    parts = [kind]
    if body.get("command"):
        parts.append(f"{body['command']} {str(body.get('text', '')).split(' ', 1)[0]}")
    if (view := body.get("view")) and isinstance(view, dict):
        parts.append(f"callback_id={view.get('callback_id')}")
    if body.get("callback_id"):
        parts.append(f"callback_id={body['callback_id']}")
    for action in body.get("actions") or []:
        parts.append(f"action_id={action.get('action_id')}")
    if (event := body.get("event")) and isinstance(event, dict):
        parts.append(f"event={event.get('type')}")
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    if user:
        parts.append(f"user={user}")
    return " ".join(parts)


def _on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
    """One place for failures: log with context, answer the person, never a 500 or a traceback."""
    body = body or {}
    unhandled = isinstance(error, BoltUnhandledRequestError)
    if unhandled:
        log.warning("no listener for request: %s", _describe(body))
    else:
        log.exception("listener failed on %s", _describe(body))
    reason = "unknown" if unhandled else "failure"
    kind = body.get("type")
    if kind == "view_submission":
        view = render_json("modals/error_modal.json.j2", reason=reason)
        return BoltResponse(status=200, body={"response_action": "update", "view": view})
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": error_text(reason)})
    # Actions, shortcuts and events: acknowledge so Slack does not retry or show a timeout; a block
    # action also gets an ephemeral reply through its response_url when Slack gave us one.
    if kind == "block_actions" and body.get("response_url"):
        _reply_via_response_url(body["response_url"], error_text(reason))
    return BoltResponse(status=200, body="")


def _reply_via_response_url(url: str, text: str) -> None:
    try:
        WebhookClient(url, timeout=2).send(text=text, response_type="ephemeral", replace_original=False)
    except Exception as exc:  # best effort: the failure itself is already logged
        log.warning("could not send the error reply: %s", type(exc).__name__)
