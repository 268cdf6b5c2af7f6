"""The Bolt app factory. Nothing registers at import time: `build_app(deps)` wires everything."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import IntegrityError

from bot.deps import Deps
from bot.handlers import register_listeners
from bot.slack import edge
from bot.slack.once import FAILED, submit_once
from bot.slack.replies import error_text, message_modal
from store import events
from templates import render_json, render_text

log = logging.getLogger(__name__)


class CstApp(App):
    """Bolt's App with cstbot's edge: every request, over HTTP (whose signature `bot.slack.web` has checked
    before reading the body) or Socket Mode, is checked for its shape before Bolt or a listener reads it (400 if
    it is not what Slack sends), its text is cleaned of control characters, and each modal submission is
    answered once per view (`bot.slack.once`)."""

    deps: Deps

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        if found := edge.problem(req.body):
            log.warning("malformed request from Slack: %s", found)
            return BoltResponse(status=400, body={"error": "malformed payload"})
        edge.clean(req.body)
        if req.body.get("type") == "view_submission":
            return submit_once(self.deps, req, super().dispatch)
        return super().dispatch(req)


def build_app(deps: Deps, *, process_before_response: bool = True) -> App:
    """Build the Bolt app.

    process_before_response=True: the HTTP response is sent when the listener returns, so listeners must
    finish fast (they do: a transaction and an outbox write; Slack calls that can wait go through the
    outbox). It avoids Bolt's 10 ms ack polling, which caps a process at ~80 requests/s.
    """
    settings = deps.settings
    settings.require("slack_bot_token")
    app = CstApp(
        signing_secret=settings.secret("slack_signing_secret"),
        client=deps.client,
        process_before_response=process_before_response,
        token_verification_enabled=False,  # no auth.test at start-up: start even while Slack is unreachable
        raise_error_for_unhandled_request=True,
        logger=logging.getLogger("cstbot.bolt"),
    )
    app.deps = deps

    def inject_deps(context, next):
        context["deps"] = deps
        next()

    def once_per_event(body, next):
        """Slack retries an event it thinks we missed (X-Slack-Retry-Num); handle each event id once. An event
        that names no user does nothing here, and is not recorded; one whose listener fails is forgotten again
        (`_on_error`), so Slack's retry is handled."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and (body.get("event") or {}).get("user"):
            with deps.session(write=True) as s:
                first = events.first_time(session=s, event_id=event_id, now=deps.now())
            if not first:
                log.info("event %s already handled; ignoring Slack's retry", event_id)
                return BoltResponse(status=200, body="")
        next()

    app.use(inject_deps)
    app.use(once_per_event)
    register_listeners(app)

    def on_error(error: Exception, body: dict[str, Any], request: BoltRequest) -> BoltResponse:
        request.context[FAILED] = True
        body = body or {}
        if body.get("type") == "event_callback" and body.get("event_id"):
            try:
                with deps.session(write=True) as s:
                    events.forget(session=s, event_id=body["event_id"])
            except Exception as exc:  # the database itself may be why the listener failed
                log.warning("could not forget failed event %s (%s)", body["event_id"], type(exc).__name__)
        return _on_error(error, body)

    app.error(on_error)
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


def _on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
    """One place for failures: log with context, answer the person, never a 500 or a traceback.

    A signed request that is not what Slack sends (`edge.MalformedRequest`, e.g. private metadata cstbot never
    wrote) is a 400 logged in one line. A unique violation is a race lost to someone acting at the same moment:
    the person is told so (nothing of theirs was saved), logged in one line."""
    if isinstance(error, edge.MalformedRequest):
        log.warning("malformed request from Slack: %s (%s)", error, _describe(body))
        return BoltResponse(status=400, body={"error": "malformed payload"})
    unhandled = isinstance(error, BoltUnhandledRequestError)
    race = isinstance(error, IntegrityError)
    if unhandled:
        log.warning("no listener for request: %s", _describe(body))
    elif race:
        log.warning("lost a race to another request (nothing saved): %s", _describe(body))
    elif isinstance(error, SlackClientError | OSError):  # Slack failed or timed out: not a fault in the code
        log.warning("a Slack call failed (%s) on %s", type(error).__name__, _describe(body))
    else:
        log.exception("listener failed on %s", _describe(body))
    reason = "unknown" if unhandled else "failure"
    text = render_text("messages/race_reply.md.j2").strip() if race else error_text(reason)
    kind = body.get("type")
    if kind == "view_submission":
        view = message_modal("Not saved", text) if race else render_json("modals/error_modal.json.j2", reason=reason)
        return BoltResponse(status=200, body={"response_action": "update", "view": view})
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    # Actions, shortcuts and events: acknowledge so Slack does not retry or show a timeout; a block
    # action also gets an ephemeral reply through its response_url when Slack gave us one.
    if kind == "block_actions" and body.get("response_url"):
        _reply_via_response_url(body["response_url"], text)
    return BoltResponse(status=200, body="")


def _reply_via_response_url(url: str, text: str) -> None:
    try:
        WebhookClient(url, timeout=2).send(text=text, response_type="ephemeral", replace_original=False)
    except Exception as exc:  # best effort: the failure itself is already logged
        log.warning("could not send the error reply: %s", type(exc).__name__)
