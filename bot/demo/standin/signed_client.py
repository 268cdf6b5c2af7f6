"""Send requests to a running Slack app exactly as Slack does: signed, with Slack's field names and shapes.

Stdlib only (``http.client``), so it shares nothing with the code under test.

Usage::

    with SlackStandIn() as slack, serve_wsgi(handler) as app_url:
        client = SignedSlackClient(app_url, "signing-secret", response_url_base=slack.hooks_url)
        assert client.slash_command("/cst", "ask", user_id="U1").status == 200
        client.interactivity(client.block_action("U1", "claim", "item-7"))
        values = {"q": {"text": {"type": "plain_text_input", "value": "?"}}}
        client.interactivity(client.view_submission("U1", "ask", values))
        client.event({"type": "app_home_opened", "user": "U1", "tab": "home"})

Signing: ``v0=`` + HMAC-SHA256(secret, ``f"v0:{timestamp}:{raw_body}"``), timestamp = ``int(time.time())``
read at send time (so freezegun controls it: build and send inside the frozen block). Every send method takes
``sign=`` (:class:`Sign`: valid, wrong, missing, stale) and ``timestamp=`` to test request verification.

``response_url``s point at ``response_url_base`` (default: a closed local port, so a forgotten wiring fails
fast instead of reaching the network); pass ``response_url_base=slack.hooks_url`` to record them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode, urlsplit

from .slack_standin import (
    DEFAULT_API_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
)

__all__ = ["AppResponse", "Sign", "SignedSlackClient", "slack_signature"]

DEFAULT_USER_ID = "U0CSTUSR1"
DEFAULT_CHANNEL_ID = "C0CSTGEN1"
DEFAULT_CHANNEL_NAME = "general"
STALE_SECONDS = 10 * 60  # Slack's verifiers reject timestamps more than 5 minutes away
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class Sign(StrEnum):
    """How to sign a request."""

    VALID = "valid"
    WRONG = "wrong"  # well-formed v0= signature made with another secret
    MISSING = "missing"  # no X-Slack-Signature and no X-Slack-Request-Timestamp header
    STALE = "stale"  # correct signature over a timestamp 10 minutes in the past (replay)


def slack_signature(signing_secret: str, timestamp: int | str, body: str | bytes) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + raw
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AppResponse:
    """The app's HTTP answer. ``headers`` has lower-case names."""

    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body)."""
        return json.loads(self.text) if self.text else None


class SignedSlackClient:
    """Posts Slack-shaped, signed requests to an app endpoint (``base_url + path``)."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        path: str = "/slack/events",
        team_id: str = DEFAULT_TEAM_ID,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        api_app_id: str = DEFAULT_API_APP_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_id: str = DEFAULT_BOT_ID,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        verification_token: str = "cst-verification-token",
        response_url_base: str = "http://127.0.0.1:1/hooks/",
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be http(s)://host[:port], got {base_url!r}")
        self.base_url = base_url
        self.signing_secret = signing_secret
        self.path = parts.path.rstrip("/") + path
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.enterprise_id = enterprise_id
        self.enterprise_name = enterprise_name
        self.verification_token = verification_token
        self.response_url_base = response_url_base if response_url_base.endswith("/") else response_url_base + "/"
        self.timeout = timeout
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()

    # ------------------------------------------------------------------ sending

    def post(
        self,
        body: str | bytes,
        *,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        sign: Sign = Sign.VALID,
        timestamp: int | None = None,
    ) -> AppResponse:
        """POST a raw body (text, or bytes sent as they are), signed as asked. The other send methods end here."""
        sign = Sign(sign)
        ts = timestamp if timestamp is not None else int(time.time())
        if sign is Sign.STALE and timestamp is None:
            ts -= STALE_SECONDS
        request_headers = {
            "Content-Type": content_type,
            "User-Agent": SLACK_USER_AGENT,
            "Accept": "application/json,*/*",
        }
        if sign is not Sign.MISSING:
            secret = self.signing_secret if sign is not Sign.WRONG else self.signing_secret + "-wrong"
            request_headers["X-Slack-Request-Timestamp"] = str(ts)
            request_headers["X-Slack-Signature"] = slack_signature(secret, ts, body)
        request_headers.update(headers or {})

        conn_class = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        conn = conn_class(self._host, self._port, timeout=self.timeout)
        try:
            raw = body.encode("utf-8") if isinstance(body, str) else body
            conn.request("POST", self.path, body=raw, headers=request_headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", errors="replace")
            return AppResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, text)
        finally:
            conn.close()

    def slash_command(
        self,
        command: str = "/cst",
        text: str = "",
        *,
        user_id: str = DEFAULT_USER_ID,
        user_name: str | None = None,
        channel_id: str = DEFAULT_CHANNEL_ID,
        channel_name: str = DEFAULT_CHANNEL_NAME,
        trigger_id: str | None = None,
        response_url: str | None = None,
        sign: Sign = Sign.VALID,
        timestamp: int | None = None,
    ) -> AppResponse:
        """Send a slash command, form-encoded with the fields (and order) Slack uses.

        ``enterprise_id``/``enterprise_name`` are sent only for an Enterprise Grid client, as Slack does.
        """
        fields = self.command_fields(command, text, user_id=user_id, user_name=user_name, channel_id=channel_id,
                                     channel_name=channel_name, trigger_id=trigger_id, response_url=response_url)
        return self.post(urlencode(fields), content_type=FORM, sign=sign, timestamp=timestamp)

    def command_fields(
        self,
        command: str = "/cst",
        text: str = "",
        *,
        user_id: str = DEFAULT_USER_ID,
        user_name: str | None = None,
        channel_id: str = DEFAULT_CHANNEL_ID,
        channel_name: str = DEFAULT_CHANNEL_NAME,
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> dict[str, str]:
        """A slash command's fields, as Slack sends them (form-encoded over HTTP, a JSON object in Socket Mode)."""
        fields: dict[str, str] = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
        }
        if self.enterprise_id is not None:
            fields["enterprise_id"] = self.enterprise_id
            fields["enterprise_name"] = self.enterprise_name or ""
        fields.update(
            {
                "channel_id": channel_id,
                "channel_name": channel_name,
                "user_id": user_id,
                "user_name": user_name or _user_name(user_id),
                "command": command,
                "text": text,
                "api_app_id": self.api_app_id,
                "is_enterprise_install": "false",
                "response_url": response_url or self._response_url("commands"),
                "trigger_id": trigger_id or self.next_trigger_id(),
            }
        )
        return fields

    def interactivity(
        self, payload: Mapping[str, Any], *, sign: Sign = Sign.VALID, timestamp: int | None = None
    ) -> AppResponse:
        """Send an interaction payload as Slack does: form field ``payload=<json>``."""
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, content_type=FORM, sign=sign, timestamp=timestamp)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        event_time: int | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        sign: Sign = Sign.VALID,
        timestamp: int | None = None,
    ) -> AppResponse:
        """Send an Events API ``event_callback`` envelope (JSON); optionally as a retry delivery."""
        envelope = self.event_envelope(event, event_id=event_id, event_time=event_time)
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.post(json.dumps(envelope), content_type=JSON, headers=headers, sign=sign, timestamp=timestamp)

    def event_envelope(
        self, event: Mapping[str, Any], *, event_id: str | None = None, event_time: int | None = None
    ) -> dict[str, Any]:
        """An Events API ``event_callback`` body (an HTTP request's JSON, a Socket Mode envelope's payload)."""
        n = self._next_seq()
        envelope: dict[str, Any] = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or f"Ev{n:08d}",
            "event_time": event_time if event_time is not None else int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": self._event_context(event),
        }
        if self.enterprise_id is not None:
            envelope["enterprise_id"] = self.enterprise_id
        return envelope

    def url_verification(
        self,
        challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        *,
        sign: Sign = Sign.VALID,
        timestamp: int | None = None,
    ) -> AppResponse:
        """Send the ``url_verification`` handshake; a correct app echoes ``challenge``."""
        body = json.dumps({"token": self.verification_token, "challenge": challenge, "type": "url_verification"})
        return self.post(body, content_type=JSON, sign=sign, timestamp=timestamp)

    def ssl_check(self, *, sign: Sign = Sign.VALID, timestamp: int | None = None) -> AppResponse:
        """Send Slack's slash-command SSL check (``ssl_check=1``)."""
        body = urlencode({"ssl_check": "1", "token": self.verification_token})
        return self.post(body, content_type=FORM, sign=sign, timestamp=timestamp)

    # ------------------------------------------------------------------ payload builders

    def user(self, user_id: str, user_name: str | None = None) -> dict[str, Any]:
        """The ``user`` object of interaction payloads."""
        name = user_name or _user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def team(self) -> dict[str, Any]:
        """The ``team`` object of interaction payloads."""
        team: dict[str, Any] = {"id": self.team_id, "domain": self.team_domain}
        if self.enterprise_id is not None:
            team.update({"enterprise_id": self.enterprise_id, "enterprise_name": self.enterprise_name or ""})
        return team

    def bot_message(
        self, text: str = "", blocks: list[dict[str, Any]] | None = None, ts: str | None = None
    ) -> dict[str, Any]:
        """A message as posted by the app's bot, as it appears inside interaction payloads."""
        return {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.api_app_id,
            "team": self.team_id,
            "text": text,
            "ts": ts or self._ts(),
            "blocks": blocks or [],
        }

    def block_action(
        self,
        user_id: str,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str = "actions",
        action_type: str = "button",
        action: Mapping[str, Any] | None = None,
        message: Mapping[str, Any] | None = None,
        container: Mapping[str, Any] | None = None,
        channel_id: str = DEFAULT_CHANNEL_ID,
        channel_name: str = DEFAULT_CHANNEL_NAME,
        view: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
        trigger_id: str | None = None,
        user_name: str | None = None,
    ) -> dict[str, Any]:
        """A ``block_actions`` payload for one action, in a message (default) or in a ``view``.

        ``action`` adds/overrides fields of the action (e.g. ``{"selected_option": {...}}`` for a select;
        then pass ``value=None``). In a message, ``message`` defaults to :meth:`bot_message` and there is a
        ``channel`` and a ``response_url``; in a view (modal or Home tab) there are neither.
        """
        act: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": action_type,
            "action_ts": self._ts(),
        }
        if action_type == "button":
            act["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
        if value is not None:
            act["value"] = value
        act.update(action or {})
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self.user(user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": {},
            "trigger_id": trigger_id or self.next_trigger_id(),
            "team": self.team(),
            "enterprise": self._enterprise(),
            "is_enterprise_install": False,
        }
        if view is not None:
            view_dict = dict(view)
            if state is not None:
                view_dict["state"] = dict(state)
            view_dict.setdefault("state", {"values": {}})
            payload["container"] = (
                dict(container) if container else {"type": "view", "view_id": view_dict.get("id", "")}
            )
            payload["view"] = view_dict
        else:
            msg = dict(message) if message is not None else self.bot_message()
            payload["container"] = (
                dict(container)
                if container
                else {
                    "type": "message",
                    "message_ts": msg["ts"],
                    "channel_id": channel_id,
                    "is_ephemeral": False,
                }
            )
            payload["channel"] = {"id": channel_id, "name": channel_name}
            payload["message"] = msg
            payload["state"] = dict(state) if state is not None else {"values": {}}
            payload["response_url"] = self._response_url("actions")
        payload["actions"] = [act]
        return payload

    def view_submission(
        self,
        user_id: str,
        callback_id: str | None = None,
        values: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
        private_metadata: str | None = None,
        view_id: str | None = None,
        hash: str | None = None,  # noqa: A002 - Slack's field name
        *,
        view: Mapping[str, Any] | None = None,
        view_type: str = "modal",
        response_urls: list[dict[str, Any]] | None = None,
        trigger_id: str | None = None,
        user_name: str | None = None,
    ) -> dict[str, Any]:
        """A ``view_submission`` payload.

        ``values[block_id][action_id]`` is the state value,
        e.g. ``{"type": "plain_text_input", "value": "x"}``.
        ``view`` may be the view the app opened (e.g. ``slack.last("views.open").args["view"]`` or the
        ``view`` of the stand-in's answer): its blocks, title, callback_id and private_metadata are used
        unless given here.
        """
        base = dict(view or {})
        vid = view_id or base.get("id") or f"V{self._next_seq():08d}"
        submitted: dict[str, Any] = {
            "id": vid,
            "team_id": self.team_id,
            "type": base.get("type", view_type),
            "blocks": base.get("blocks", []),
            "private_metadata": private_metadata if private_metadata is not None else base.get("private_metadata", ""),
            "callback_id": callback_id if callback_id is not None else base.get("callback_id", ""),
            "state": {"values": {b: {a: dict(v) for a, v in acts.items()} for b, acts in (values or {}).items()}},
            "hash": hash or base.get("hash") or f"{int(time.time())}.{vid[-8:]}",
            "title": base.get("title", {"type": "plain_text", "text": "CST", "emoji": True}),
            "clear_on_close": base.get("clear_on_close", False),
            "notify_on_close": base.get("notify_on_close", False),
            "close": base.get("close", {"type": "plain_text", "text": "Cancel", "emoji": True}),
            "submit": base.get("submit", {"type": "plain_text", "text": "Submit", "emoji": True}),
            "previous_view_id": base.get("previous_view_id"),
            "root_view_id": base.get("root_view_id", vid),
            "app_id": self.api_app_id,
            "external_id": base.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        return {
            "type": "view_submission",
            "team": self.team(),
            "user": self.user(user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id or self.next_trigger_id(),
            "view": submitted,
            "response_urls": list(response_urls or []),
            "is_enterprise_install": False,
            "enterprise": self._enterprise(),
        }

    def message_shortcut(
        self,
        user_id: str,
        callback_id: str,
        message: Mapping[str, Any],
        channel_id: str = DEFAULT_CHANNEL_ID,
        trigger_id: str | None = None,
        *,
        channel_name: str = DEFAULT_CHANNEL_NAME,
        user_name: str | None = None,
    ) -> dict[str, Any]:
        """A ``message_action`` payload (message shortcut) on ``message`` (needs at least ``ts``)."""
        return {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": self._ts(),
            "team": self.team(),
            "user": self.user(user_id, user_name),
            "channel": {"id": channel_id, "name": channel_name},
            "is_enterprise_install": False,
            "enterprise": self._enterprise(),
            "callback_id": callback_id,
            "trigger_id": trigger_id or self.next_trigger_id(),
            "response_url": self._response_url("app"),
            "message_ts": message["ts"],
            "message": dict(message),
        }

    def global_shortcut(
        self, user_id: str, callback_id: str, trigger_id: str | None = None, *, user_name: str | None = None
    ) -> dict[str, Any]:
        """A ``shortcut`` payload (global shortcut): no channel, no message, no response_url."""
        return {
            "type": "shortcut",
            "token": self.verification_token,
            "action_ts": self._ts(),
            "team": self.team(),
            "user": self.user(user_id, user_name),
            "is_enterprise_install": False,
            "enterprise": self._enterprise(),
            "callback_id": callback_id,
            "trigger_id": trigger_id or self.next_trigger_id(),
        }

    def next_trigger_id(self) -> str:
        """A fresh, unique trigger_id shaped like Slack's (``13345224609.738474920.8088930838d88f008e0``)."""
        n = self._next_seq()
        return f"{1_000_000_000_000 + n}.738474920.{n:032x}"

    # ------------------------------------------------------------------ internals

    def _next_seq(self) -> int:
        with self._seq_lock:
            return next(self._seq)

    def _ts(self) -> str:
        return f"{int(time.time())}.{self._next_seq():06d}"

    def _enterprise(self) -> dict[str, str] | None:
        if self.enterprise_id is None:
            return None
        return {"id": self.enterprise_id, "name": self.enterprise_name or ""}

    def _response_url(self, kind: str) -> str:
        n = self._next_seq()
        return f"{self.response_url_base}{kind}/{self.team_id}/{n}/{n:024x}"

    def _event_context(self, event: Mapping[str, Any]) -> str:
        context = {
            "et": event.get("type", ""),
            "tid": self.team_id,
            "aid": self.api_app_id,
            "cid": event.get("channel", ""),
        }
        raw = json.dumps(context, separators=(",", ":")).encode()
        return "4-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _user_name(user_id: str) -> str:
    return "user." + user_id.lower()
