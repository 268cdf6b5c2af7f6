"""The edge of the app: what a request from Slack must look like before any listener sees it.

`web.py` checks the signature over the raw bytes first; only a signed request is decoded and parsed here
(`parse`). Every request, over HTTP or Socket Mode, is then checked for its shape (`problem`): the fields Slack
always sends, and every field Bolt or a listener reads, of the type Slack sends. A request that fails is
answered 400 and logged in one line; no listener runs. What passes has every string cleaned of NUL and other
control characters (`clean`; newlines and tabs stay), so no person's text reaches the database with them
(PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

MAX_DEPTH = 32  # Slack's deepest payloads (a modal's blocks inside a view) are about 12 levels deep
MAX_BODY = 1_000_000  # bytes; Slack's largest (a view with 100 blocks) is well under this

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


class MalformedRequest(ValueError):  # noqa: N818 - it is what the request is
    """A signed request that is not what Slack sends: answered 400, logged in one line (no traceback)."""


# --- signature -------------------------------------------------------------------------------------------

MAX_CLOCK_SKEW = 5 * 60  # seconds; Slack's own verifiers refuse a timestamp further from now (a replay)


def signed(raw: bytes, headers: dict[str, str], secret: str) -> bool:
    """Slack's signature over the raw bytes (as sent: even bytes that are not UTF-8 are checked, not decoded):
    `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{body}`), the timestamp within five minutes of now."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not timestamp.isascii() or not timestamp.isdigit() or not signature:
        return False
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
        return False
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


# --- parsing -----------------------------------------------------------------------------------------------


def parse(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body of a signed request as Slack sends it: JSON (events), `payload=<json>` (interactivity) or a
    form (slash commands). Raises MalformedRequest for anything else."""
    if len(raw) > MAX_BODY:
        raise MalformedRequest(f"body of {len(raw)} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("body is not UTF-8") from None
    if not text:
        return {}
    if (content_type or "").split(";")[0].strip() == "application/json" or text.lstrip().startswith(("{", "[")):
        return _object(_json(text), "body")
    try:
        params = dict(parse_qsl(text, keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        raise MalformedRequest("a form field is not UTF-8") from None
    if "payload" in params:
        return _object(_json(params["payload"]), "payload")
    if "command" not in params and "ssl_check" not in params:
        raise MalformedRequest("a form that is neither a slash command nor an interaction")
    return params


def _json(text: str) -> Any:
    if _nesting(text) > MAX_DEPTH:
        raise MalformedRequest(f"JSON nested deeper than {MAX_DEPTH}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedRequest("not JSON") from None


def _nesting(text: str) -> int:
    """An upper bound of the JSON's nesting (brackets inside strings count too: it only errs high)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedRequest(f"{what} is JSON {type(value).__name__}, not an object")
    return value


# --- shape -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opt:
    """An optional field: absent or null (unless `null=False`: Bolt indexes some fields it finds), else of `spec`."""

    spec: Any
    null: bool = True


@dataclass(frozen=True)
class OneOf:
    specs: tuple


@dataclass(frozen=True)
class ListOf:
    spec: Any
    min: int = 0


@dataclass(frozen=True)
class MapOf:
    """A JSON object with any keys, each value of `spec`."""

    spec: Any


ANY = object()
ID = str  # Slack ids, timestamps, callback and action ids are strings
TEAM = OneOf((str, {"id": Opt(str), "enterprise_id": Opt(str)}))
ENTERPRISE = OneOf((str, {"id": Opt(str)}))
USER = {"id": ID, "team_id": Opt(str)}
OPTION = {"value": str}
STATE_VALUE = {
    "type": Opt(str), "value": Opt(str), "selected_option": Opt(OPTION), "selected_options": Opt(ListOf(OPTION)),
    "selected_user": Opt(str), "selected_users": Opt(ListOf(str)), "selected_date": Opt(str),
    "selected_time": Opt(str), "selected_conversation": Opt(str), "selected_channel": Opt(str),
    "files": Opt(ListOf(dict)),
}
STATE = {"values": MapOf(MapOf(STATE_VALUE))}
VIEW = {
    "id": Opt(ID), "callback_id": Opt(str), "private_metadata": Opt(str), "state": Opt(STATE), "hash": Opt(str),
    "type": Opt(str), "blocks": Opt(ListOf(dict)), "team_id": Opt(str), "app_installed_team_id": Opt(str),
    "root_view_id": Opt(str), "previous_view_id": Opt(str), "external_id": Opt(str),
}
ACTION = {
    "action_id": ID, "block_id": Opt(str), "type": Opt(str), "value": Opt(str), "action_ts": Opt(str),
    "selected_option": Opt(OPTION), "selected_options": Opt(ListOf(OPTION)), "selected_user": Opt(str),
    "selected_date": Opt(str), "selected_conversation": Opt(str), "selected_channel": Opt(str),
}
MESSAGE = {"ts": ID, "text": Opt(str), "user": Opt(str), "thread_ts": Opt(str), "blocks": Opt(ListOf(dict)),
           "bot_id": Opt(str), "team": Opt(str)}
INNER_MESSAGE = {"ts": Opt(str), "text": Opt(str), "user": Opt(str), "thread_ts": Opt(str), "team": Opt(str)}
EVENT = {
    "type": str, "user": Opt(str), "channel": Opt(OneOf((str, {"id": Opt(str)}))), "tab": Opt(str),
    "team": Opt(str), "user_team": Opt(str), "thread_ts": Opt(str), "ts": Opt(str), "event_ts": Opt(str),
    "item": Opt({"channel": Opt(str)}), "message": Opt(INNER_MESSAGE), "previous_message": Opt(INNER_MESSAGE),
    "subtype": Opt(str), "channel_type": Opt(str), "bot_id": Opt(str), "text": Opt(str),
}

# Fields any request may carry (Bolt reads them to build its context): when present, of these types.
COMMON = {
    "type": Opt(str), "token": Opt(str), "team": Opt(TEAM), "team_id": Opt(str), "enterprise": Opt(ENTERPRISE),
    "enterprise_id": Opt(str), "is_enterprise_install": Opt(OneOf((bool, str))), "api_app_id": Opt(str),
    "authorizations": Opt(ListOf({"team_id": Opt(str), "enterprise_id": Opt(str), "user_id": Opt(str),
                                  "is_enterprise_install": Opt(OneOf((bool, str)))})),
    "user": Opt(USER), "user_id": Opt(str), "channel": Opt(OneOf((str, {"id": Opt(str)}))), "channel_id": Opt(str),
    "thread_ts": Opt(str), "message": Opt(MESSAGE), "previous_message": Opt(INNER_MESSAGE),
    "event": Opt(EVENT, null=False), "view": Opt(VIEW, null=False), "actions": Opt(ListOf(ACTION, min=1), null=False),
    "callback_id": Opt(str), "trigger_id": Opt(str),
    "response_url": Opt(str), "container": Opt(dict), "state": Opt(STATE), "command": Opt(str), "text": Opt(str),
    "is_ext_shared_channel": Opt(bool), "event_id": Opt(str), "function_data": Opt(dict),
    "response_urls": Opt(ListOf(dict), null=False), "challenge": Opt(str), "item": Opt(dict),
}

# What each kind of request must carry (besides COMMON's types).
REQUIRED = {
    "block_actions": {"user": USER, "actions": ListOf(ACTION, min=1), "trigger_id": ID},
    "view_submission": {"user": USER, "view": {"id": ID, "callback_id": str, "state": STATE, "type": str}},
    "view_closed": {"user": USER, "view": {"id": ID, "callback_id": str}},
    "shortcut": {"user": USER, "callback_id": ID, "trigger_id": ID},
    "message_action": {"user": USER, "callback_id": ID, "trigger_id": ID, "message": MESSAGE,
                       "channel": {"id": ID}},
    "event_callback": {"event": EVENT, "event_id": ID},
    "url_verification": {"challenge": str},
}
COMMAND = {"command": str, "user_id": ID, "trigger_id": ID, "text": Opt(str)}


def problem(body: Any) -> str | None:
    """What is wrong with a request's parsed body (a path and what it should be), or None."""
    if not isinstance(body, dict):
        return f"the body is {type(body).__name__}, not an object"
    found = _check(body, COMMON, "") or _depth(body)
    if found:
        return found
    kind = body.get("type")
    if kind == "workflow_step_edit" or (kind == "view_submission" and isinstance(body.get("view"), dict)
                                        and body["view"].get("type") == "workflow_step"):
        return "a workflow step (cstbot has none)"  # Bolt would index a workflow_step field it may not have
    if kind in REQUIRED:
        return _check(body, REQUIRED[kind], "")
    if kind is None and "command" in body:
        return _check(body, COMMAND, "")
    return None


def _check(value: Any, spec: Any, path: str) -> str | None:  # noqa: PLR0911 - one return per kind of spec
    if spec is ANY:
        return None
    if isinstance(spec, Opt):
        if value is None:
            return None if spec.null else f"{path} is null"
        return _check(value, spec.spec, path)
    if isinstance(spec, OneOf):
        if any(_check(value, s, path) is None for s in spec.specs):
            return None
        return f"{path or 'body'} is {type(value).__name__}, not any of its forms"
    if isinstance(spec, type):
        if spec is not bool and isinstance(value, bool) or not isinstance(value, spec):
            return f"{path or 'body'} is {type(value).__name__}, not {spec.__name__}"
        return None
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return f"{path} is {type(value).__name__}, not a list"
        if len(value) < spec.min:
            return f"{path} is empty"
        for i, element in enumerate(value):
            if found := _check(element, spec.spec, f"{path}[{i}]"):
                return found
        return None
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return f"{path} is {type(value).__name__}, not an object"
        for key, element in value.items():
            if found := _check(element, spec.spec, f"{path}.{key}"):
                return found
        return None
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{path or 'body'} is {type(value).__name__}, not an object"
        for key, field_spec in spec.items():
            sub = f"{path}.{key}" if path else key
            if key not in value:
                if isinstance(field_spec, Opt):
                    continue
                return f"{sub} is missing"
            if found := _check(value.get(key), field_spec, sub):
                return found
        return None
    raise TypeError(f"not a spec: {spec!r}")


def _depth(body: dict[str, Any]) -> str | None:
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH}"
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return None


# --- cleaning ----------------------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """A person's text without NUL and other control characters (newlines and tabs stay)."""
    return _CONTROL.sub("", value) if _CONTROL.search(value) else value


def clean(value: Any) -> Any:
    """Every string in a parsed body cleaned (`clean_text`), dicts and lists changed in place."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        for key, element in value.items():
            value[key] = clean(element)
    elif isinstance(value, list):
        for i, element in enumerate(value):
            value[i] = clean(element)
    return value
