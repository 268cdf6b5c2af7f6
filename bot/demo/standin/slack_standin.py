"""A local stand-in for the Slack Web API, for end-to-end tests and `cstbot demo`.

Usage::

    with SlackStandIn() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)  # or SLACK_API_URL=slack.base_url
        client.chat_postMessage(channel="C1", text="hi", blocks=[...])
        call = slack.last("chat.postMessage")
        assert call.args["blocks"][0]["type"] == "section"

Every request to ``/api/<method>`` is recorded as a :class:`Call` (failed ones too) and answered with a
realistic default body, a body set with :meth:`SlackStandIn.respond`, or a queued fault
(:meth:`fail_next`, :meth:`error_next`, :meth:`timeout_next`).

Besides the Web API the stand-in serves two other Slack endpoints, recorded under pseudo-method names
without a dot so they never clash with real methods:

* ``"upload"``: the ``upload_url`` returned by ``files.getUploadURLExternal`` (``/upload/<file_id>``);
  ``args`` = ``{"file_id": ..., "content": <bytes>}``.
* ``"response_url"``: anything under :attr:`SlackStandIn.hooks_url` (``/hooks/...``), i.e. the
  ``response_url`` of slash commands and interactions when the signed client is built with
  ``response_url_base=slack.hooks_url``; ``args`` is the posted JSON body.

Timeouts: :meth:`timeout_next` holds the response for ``delay`` seconds (default 5, released at once by
:meth:`release_held` or :meth:`stop`). To see the timeout, give the client a timeout well below ``delay``,
e.g. ``WebClient(base_url=slack.base_url, timeout=0.2)`` (``timeout`` is passed to ``urlopen`` as is, a
float works). A read timeout is raised as a bare ``TimeoutError`` that slack_sdk's default
``ConnectionErrorRetryHandler`` does not retry, so a single held response is enough. By default the held
call is carried out (a message is posted) like a real Slack call whose answer is lost on the way back;
``posted=False`` holds it and then answers 504 without doing anything. :meth:`reset_next` closes the
connection without an answer (the client sees a reset), after carrying the call out or not.

Messages: every message posted (chat.postMessage, and the message files.completeUploadExternal shares files
in) is kept per channel, edited by chat.update, removed by chat.delete, and read back by
``conversations.history`` (newest first, ``oldest``/``latest``/``inclusive``/``limit``/``cursor``; a
message's ``metadata`` only with ``include_all_metadata``) and :meth:`messages`.

Load: ``latency`` (seconds, or per method) delays every Web API answer like Slack's own; :meth:`rate_limit`
answers a method with 429 + ``Retry-After`` past a number of calls per minute; :meth:`chaos` gives a share
of calls a 500, a 429 or a hang in which the call is still carried out.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import math
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "DEFAULT_API_APP_ID",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "Call",
    "Reply",
    "SlackStandIn",
    "Upload",
]

DEFAULT_TEAM_ID = "T0CST0001"
DEFAULT_TEAM_DOMAIN = "cst-test"
DEFAULT_API_APP_ID = "A0CST0001"
DEFAULT_BOT_USER_ID = "U0CSTBOT1"
DEFAULT_BOT_ID = "B0CSTBOT1"

# Form fields that slack_sdk (and Slack) carry as JSON text inside form data.
JSON_FIELDS = frozenset(
    {"attachments", "blocks", "files", "metadata", "prompts", "unfurls", "user_auth_blocks", "view"}
)

UPLOAD = "upload"
RESPONSE_URL = "response_url"


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Call:
    """One request received by the stand-in.

    ``headers`` has lower-case names. ``status`` is the HTTP status sent back; ``fault`` names the injected
    fault (``"status"``, ``"error"``, ``"timeout"``, ``"reset"``) or is ``None`` for a normal answer.
    """

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    fault: str | None = None
    http_method: str = "POST"
    path: str = ""

    @property
    def token(self) -> str | None:
        """The token sent as ``Authorization: Bearer`` or as a ``token`` argument."""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        token = self.args.get("token")
        return token if isinstance(token, str) else None


@dataclass(frozen=True)
class Reply:
    """A full HTTP answer, for :meth:`SlackStandIn.respond` callables that need a status or headers."""

    body: dict[str, Any] | str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (the client sees a reset)


Responder: TypeAlias = dict[str, Any] | Callable[[Call], "dict[str, Any] | Reply"]


@dataclass(frozen=True)
class _Fault:
    kind: str  # "status" | "error" | "timeout" | "reset"
    status: int = 200
    error: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    posted: bool = True  # timeout / reset: the call is carried out before the answer is lost


@dataclass
class _Chaos:
    p_error: float
    p_ratelimit: float
    p_hang: float
    retry_after: int
    hang: float
    rng: random.Random


@dataclass
class _RateLimit:
    per_minute: int
    calls: deque[float] = field(default_factory=deque)


@dataclass
class _TokenBucket:
    """`per_second` calls a second on average, `burst` at once after a quiet spell."""

    per_second: float
    burst: float
    tokens: float
    at: float


class SlackStandIn:
    """Local HTTP server answering like the Slack Web API and recording every call.

    Bound to 127.0.0.1 on an ephemeral port; serves from a background thread. Use as a context manager or
    with :meth:`start` / :meth:`stop`. Safe to use from several threads.
    """

    def __init__(
        self,
        *,
        team_id: str = DEFAULT_TEAM_ID,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        api_app_id: str = DEFAULT_API_APP_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_id: str = DEFAULT_BOT_ID,
        latency: float | Mapping[str, float] = 0.0,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.users_by_email: dict[str, str] = {}
        """``users.lookupByEmail`` directory: email -> user id. Unknown emails get ``users_not_found``."""
        self.user_profiles: dict[str, dict[str, Any]] = {}
        """Extra fields merged into the ``user`` object of ``users.info`` / ``users.lookupByEmail``."""

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._responders: dict[str, Responder] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._held: set[threading.Event] = set()
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()
        self._last_ts = 0.0
        self._latency = latency
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._chaos: dict[str, _Chaos] = {}
        self._rate_limits: dict[str, _RateLimit | _TokenBucket] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackStandIn:
        """Bind 127.0.0.1:0 and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("SlackStandIn already started")
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held responses, stop serving and wait for in-flight requests to finish."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.release_held()
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackStandIn not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)`` / ``SLACK_API_URL``; ends with ``/api/``."""
        return f"{self.root_url}/api/"

    @property
    def hooks_url(self) -> str:
        """Prefix for fake ``response_url`` s; requests under it are recorded as ``"response_url"``."""
        return f"{self.root_url}/hooks/"

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[Call]:
        """A snapshot of all recorded calls, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to one method, oldest first."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def last(self, method: str) -> Call:
        """The latest call to ``method``; AssertionError if there was none."""
        calls = self.calls_to(method)
        if not calls:
            raise AssertionError(f"no call to {method}; calls so far: {self._summary()}")
        return calls[-1]

    def methods(self) -> list[str]:
        """Method names of all recorded calls, in order."""
        return [c.method for c in self.calls]

    def clear(self) -> None:
        """Forget recorded calls (responders and queued faults are kept)."""
        with self._lock:
            self._calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least ``count`` calls to ``method`` were recorded; return them.

        For calls made by background threads. Waits on a condition variable (no polling);
        raises AssertionError after ``timeout`` seconds.
        """
        with self._changed:
            done = self._changed.wait_for(
                lambda: sum(c.method == method for c in self._calls) >= count, timeout=timeout
            )
            calls = [c for c in self._calls if c.method == method]
        if not done:
            raise AssertionError(
                f"expected {count} call(s) to {method} within {timeout}s, got {len(calls)}; "
                f"calls so far: {self._summary()}"
            )
        return calls

    def _summary(self) -> str:
        with self._lock:
            return ", ".join(f"{c.method}[{c.status}]" for c in self._calls) or "none"

    # ------------------------------------------------------------------ behaviour

    def respond(self, method: str, body: Responder | None) -> None:
        """Answer every later call to ``method`` with ``body`` (until replaced; ``None``: default again).

        ``body`` is a dict (sent as JSON with status 200) or a callable taking the :class:`Call`
        (``status`` not yet known, 200) and returning a dict or a :class:`Reply`.
        """
        with self._lock:
            if body is None:
                self._responders.pop(method, None)
            else:
                self._responders[method] = body

    def fail_next(self, method: str, status: int = 429, retry_after: int | None = 2, times: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP ``status``.

        429 sends ``Retry-After: <retry_after>`` and ``{"ok": false, "error": "ratelimited"}``, like Slack;
        other statuses send ``{"ok": false, "error": "<reason>"}`` without Retry-After.
        ``method="*"`` matches any method whose own queue is empty.
        """
        self._queue(method, _Fault("status", status=status, retry_after=retry_after), times)

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP 200 ``{"ok": false, "error": error}``."""
        self._queue(method, _Fault("error", error=error), times)

    def timeout_next(self, method: str, times: int = 1, delay: float = 5.0, *, posted: bool = True) -> None:
        """Hold the next ``times`` answers to ``method`` for ``delay`` s, then answer.

        ``posted=True`` (default): the call is carried out at once (a message is posted, as Slack does when only
        its answer is late) and answered normally after the hold. ``posted=False``: nothing is done and the
        answer after the hold is a 504. The call is recorded on arrival (``fault="timeout"``), so
        :meth:`wait_for` sees it at once. Held answers are released early by :meth:`release_held` and
        :meth:`stop`.
        """
        self._queue(method, _Fault("timeout", status=504, delay=delay, posted=posted), times)

    def reset_next(self, method: str, times: int = 1, *, posted: bool = True) -> None:
        """Close the connection of the next ``times`` calls to ``method`` without answering.

        ``posted=True`` (default): the call is carried out first (Slack has the message, the client sees a
        reset); ``posted=False``: nothing is done. Recorded with ``fault="reset"`` and status 0.
        """
        self._queue(method, _Fault("reset", posted=posted), times)

    def chaos(
        self,
        method: str = "*",
        *,
        p_error: float = 0.0,
        p_ratelimit: float = 0.0,
        p_hang: float = 0.0,
        retry_after: int = 2,
        hang: float = 5.0,
        seed: int = 0,
    ) -> None:
        """From now on answer a share of the calls to ``method`` (``"*"``: every method) with a fault.

        Each call draws once: ``p_error`` HTTP 500 (nothing done), ``p_ratelimit`` HTTP 429 with
        ``Retry-After: retry_after`` (nothing done), ``p_hang`` a hang of ``hang`` seconds in which the call is
        carried out (a client with a shorter timeout gives up on a posted message). Queued faults come first.
        ``chaos(method)`` with no shares (or :meth:`calm`) ends it.
        """
        with self._lock:
            if p_error or p_ratelimit or p_hang:
                self._chaos[method] = _Chaos(p_error, p_ratelimit, p_hang, retry_after, hang, random.Random(seed))
            else:
                self._chaos.pop(method, None)

    def calm(self) -> None:
        """End every :meth:`chaos` and :meth:`rate_limit`."""
        with self._lock:
            self._chaos.clear()
            self._rate_limits.clear()

    def rate_limit(self, method: str, per_minute: int | None = None, *, per_second: float | None = None,
                   burst: float | None = None) -> None:
        """Answer ``method`` with 429 and ``Retry-After`` once more than ``per_minute`` calls came in the last
        60 s, like Slack's per-method tiers (``None`` removes the limit). Refused calls do not count.

        ``per_second`` instead: a token bucket refilled at that rate and holding ``burst`` calls (default one
        second's worth): an even pace with no minute-long burst at the start, for measuring how close a sender
        stays to the allowed rate. Retry-After is whole seconds, as Slack sends it (at least 1)."""
        with self._lock:
            self._rate_limits.pop(method, None)
            if per_second is not None:
                size = float(burst if burst is not None else per_second)
                self._rate_limits[method] = _TokenBucket(per_second, size, size, time.monotonic())
            elif per_minute is not None:
                self._rate_limits[method] = _RateLimit(per_minute)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages in ``channel`` (a user id means the app's DM with them), oldest first; every channel's
        without ``channel``. Each message as ``conversations.history`` returns it, with its metadata."""
        with self._lock:
            if channel is None:
                found = [m for msgs in self._messages.values() for m in msgs]
                return [dict(m) for m in sorted(found, key=lambda m: float(m["ts"]))]
            return [dict(m) for m in self._messages.get(self._channel_id(channel), [])]

    def release_held(self) -> None:
        """Let every held (timeout-injected) answer go now."""
        with self._lock:
            held = list(self._held)
        for event in held:
            event.set()

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id the stand-in uses for ``user_id`` (``"D" + user_id``)."""
        return "D" + user_id

    def _queue(self, method: str, fault: _Fault, times: int) -> None:
        with self._lock:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    # ------------------------------------------------------------------ request handling (server threads)

    def _handle(self, http_method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        route, args = self._route(path, headers, body)
        if route is None:
            return Reply({"ok": False, "error": "unknown_path"}, status=404)
        latency = self._latency.get(route, 0.0) if isinstance(self._latency, Mapping) else self._latency
        if latency and route not in (UPLOAD, RESPONSE_URL):
            time.sleep(latency)  # Slack's own time to answer (load benches); 0 in tests

        with self._lock:
            queue = self._faults.get(route) or self._faults.get("*")
            fault = queue.popleft() if queue else None
            if fault is None:
                fault = self._draw_fault(route)
            responder = self._responders.get(route)
        call = Call(route, args, headers, http_method=http_method, path=path)
        carried_out = fault is None or (fault.kind in ("timeout", "reset") and fault.posted)
        # Answered outside the lock: responders may inspect the stand-in.
        reply = self._answer(call, responder) if carried_out else self._fault_reply(fault)
        if carried_out:
            self._keep(call, reply)
        if fault is not None and fault.kind == "reset":
            reply = Reply({}, status=0, drop=True)

        held = fault is not None and fault.kind == "timeout"
        release = threading.Event()
        with self._changed:
            self._calls.append(replace(call, status=reply.status, fault=fault.kind if fault else None))
            self._changed.notify_all()
            if held:
                self._held.add(release)
        if fault is not None and held:
            release.wait(fault.delay)
            with self._lock:
                self._held.discard(release)
        return reply

    def _draw_fault(self, route: str) -> _Fault | None:
        """A fault from :meth:`rate_limit` or :meth:`chaos`, or None. Called with the lock held."""
        limit = self._rate_limits.get(route)
        if isinstance(limit, _TokenBucket):
            now = time.monotonic()
            limit.tokens = min(limit.burst, limit.tokens + (now - limit.at) * limit.per_second)
            limit.at = now
            if limit.tokens < 1:
                wait = max(1, math.ceil((1 - limit.tokens) / limit.per_second))
                return _Fault("status", status=429, retry_after=wait)
            limit.tokens -= 1
        elif limit is not None:
            now = time.monotonic()
            while limit.calls and limit.calls[0] <= now - 60:
                limit.calls.popleft()
            if len(limit.calls) >= limit.per_minute:
                wait = max(1, math.ceil(limit.calls[0] + 60 - now))
                return _Fault("status", status=429, retry_after=wait)
            limit.calls.append(now)
        chaos = self._chaos.get(route) or self._chaos.get("*")
        if chaos is None or route in (UPLOAD, RESPONSE_URL):
            return None
        draw = chaos.rng.random()
        if draw < chaos.p_error:
            return _Fault("status", status=500)
        if draw < chaos.p_error + chaos.p_ratelimit:
            return _Fault("status", status=429, retry_after=chaos.retry_after)
        if draw < chaos.p_error + chaos.p_ratelimit + chaos.p_hang:
            return _Fault("timeout", delay=chaos.hang, posted=True)
        return None

    def _keep(self, call: Call, reply: Reply) -> None:
        """Keep what a successful call put in Slack: posted messages, edits, deletions, file shares."""
        body = reply.body
        if reply.status != 200 or not isinstance(body, dict) or not body.get("ok"):
            return
        m, a = call.method, call.args
        if m == "chat.postMessage" and body.get("ts") and not a.get("thread_ts"):
            message = dict(body.get("message") or self._message(a, str(body["ts"])))
            message["ts"] = str(body["ts"])
            channel = str(body.get("channel") or self._channel_id(a.get("channel")))
            with self._lock:
                self._messages.setdefault(channel, []).append(message)
        elif m == "files.completeUploadExternal" and a.get("channel_id"):
            files = a.get("files") if isinstance(a.get("files"), list) else []
            message = self._message({"text": a.get("initial_comment", "")}, self._next_ts())
            message["files"] = [{"id": f.get("id"), "title": f.get("title", "")} for f in files]
            message["subtype"] = "file_share"
            with self._lock:
                self._messages.setdefault(str(a["channel_id"]), []).append(message)
        elif m in ("chat.update", "chat.delete"):
            channel, ts = self._channel_id(a.get("channel")), str(a.get("ts", ""))
            with self._lock:
                messages = self._messages.get(channel, [])
                for i, message in enumerate(messages):
                    if message["ts"] != ts:
                        continue
                    if m == "chat.delete":
                        del messages[i]
                    else:
                        for key in ("text", "blocks", "attachments", "metadata"):
                            if key in a:
                                message[key] = a[key]
                    break

    def _route(self, path: str, headers: dict[str, str], body: bytes) -> tuple[str | None, dict[str, Any]]:
        parts = urlsplit(path)
        if parts.path.startswith("/api/"):
            args: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
            args.update(_parse_body(headers.get("content-type", ""), body))
            for key in JSON_FIELDS & args.keys():
                args[key] = _maybe_json(args[key])
            return parts.path[len("/api/") :], args
        if parts.path.startswith("/upload/"):
            return UPLOAD, {"file_id": parts.path[len("/upload/") :], "content": body}
        if parts.path.startswith("/hooks/"):
            parsed = _parse_body(headers.get("content-type", "application/json"), body)
            return RESPONSE_URL, parsed
        return None, {}

    def _answer(self, call: Call, responder: Responder | None) -> Reply:
        try:
            if responder is None:
                body: dict[str, Any] | Reply = self._default(call)
            elif callable(responder):
                body = responder(call)
            else:
                body = responder
        except Exception as exc:  # noqa: BLE001 - a broken responder must show up as a recorded 500
            return Reply({"ok": False, "error": "standin_responder_failed", "detail": repr(exc)}, status=500)
        return body if isinstance(body, Reply) else Reply(body)

    @staticmethod
    def _fault_reply(fault: _Fault) -> Reply:
        if fault.kind == "error":
            return Reply({"ok": False, "error": fault.error})
        if fault.status == 429:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return Reply({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
        reason = HTTPStatus(fault.status).phrase.lower().replace(" ", "_")
        return Reply({"ok": False, "error": reason}, status=fault.status)

    # ------------------------------------------------------------------ default answers

    def _next_seq(self) -> int:
        with self._seq_lock:
            return next(self._seq)

    def _next_ts(self) -> str:
        """Unique, increasing message ts from the clock, as Slack's are (seconds.microseconds); so a
        ``conversations.history`` ``oldest`` taken from the sender's clock finds the message."""
        with self._seq_lock:
            self._last_ts = max(round(time.time(), 6), round(self._last_ts + 0.000001, 6))
            return f"{self._last_ts:.6f}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{self._next_seq():08d}"

    def _channel_id(self, channel: Any) -> str:
        channel = str(channel or "")
        return self.dm_channel(channel) if channel[:1] in ("U", "W") else channel

    def _message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.api_app_id,
            "team": self.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in args:
                message[key] = args[key]
        return message

    def _history(self, a: dict[str, Any]) -> dict[str, Any]:
        channel = str(a.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        inclusive = _truthy(a.get("inclusive"))
        oldest = float(a.get("oldest") or 0)
        latest = float(a.get("latest") or math.inf)
        limit = max(1, min(int(a.get("limit") or 100), 999))
        start = int(a.get("cursor") or 0)
        with self._lock:
            messages = [dict(m) for m in self._messages.get(channel, [])]
        def inside(ts: float) -> bool:
            return (oldest <= ts <= latest) if inclusive else (oldest < ts < latest)
        found = [m for m in reversed(messages) if inside(float(m["ts"]))]  # newest first
        if not _truthy(a.get("include_all_metadata")):
            for m in found:
                m.pop("metadata", None)
        page, more = found[start : start + limit], start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _user(self, user_id: str) -> dict[str, Any]:
        email = next((e for e, u in self.users_by_email.items() if u == user_id), None)
        name = (email or user_id).split("@")[0]
        profile: dict[str, Any] = {"real_name": name, "display_name": name}
        if email:
            profile["email"] = email
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "tz": "Europe/London",
            "tz_offset": 0,
            "profile": profile,
        }
        user.update(self.user_profiles.get(user_id, {}))
        return user

    def _view(self, args: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        posted = args.get("view")
        view: dict[str, Any] = dict(posted) if isinstance(posted, dict) else {}
        view_id = view_id or self._next_id("V")
        view.update(
            {
                "id": view_id,
                "team_id": self.team_id,
                "app_id": self.api_app_id,
                "bot_id": self.bot_id,
                "app_installed_team_id": self.team_id,
                "hash": f"1700000000.{view_id[-8:]}",
                "state": {"values": {}},
                "root_view_id": view_id,
                "previous_view_id": None,
            }
        )
        for key, default in (
            ("private_metadata", ""),
            ("callback_id", ""),
            ("external_id", ""),
            ("blocks", []),
        ):
            view.setdefault(key, default)
        return view

    def _default(self, call: Call) -> dict[str, Any]:
        a, m = call.args, call.method
        if m == "auth.test":
            return {
                "ok": True,
                "url": f"https://{self.team_domain}.slack.com/",
                "team": self.team_domain,
                "user": "cstbot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if m == "api.test":
            return {"ok": True, "args": {k: v for k, v in a.items() if isinstance(v, str)}}
        if m == "chat.postMessage":
            ts = self._next_ts()
            return {
                "ok": True,
                "channel": self._channel_id(a.get("channel")),
                "ts": ts,
                "message": self._message(a, ts),
            }
        if m == "chat.update":
            ts = str(a.get("ts", ""))
            return {
                "ok": True,
                "channel": self._channel_id(a.get("channel")),
                "ts": ts,
                "text": a.get("text", ""),
                "message": self._message(a, ts),
            }
        if m == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if m == "chat.delete":
            return {"ok": True, "channel": self._channel_id(a.get("channel")), "ts": a.get("ts")}
        if m == "chat.scheduleMessage":
            return {
                "ok": True,
                "channel": self._channel_id(a.get("channel")),
                "scheduled_message_id": self._next_id("Q"),
                "post_at": a.get("post_at"),
                "message": self._message(a, self._next_ts()),
            }
        if m == "conversations.history":
            return self._history(a)
        if m == "conversations.open":
            if a.get("channel"):
                return {"ok": True, "channel": {"id": a["channel"]}}
            users = [u for u in str(a.get("users", "")).split(",") if u]
            channel_id = self.dm_channel(users[0]) if len(users) == 1 else "G" + "".join(sorted(users))
            return {"ok": True, "channel": {"id": channel_id}}
        if m in ("views.open", "views.push"):
            return {"ok": True, "view": self._view(a)}
        if m == "views.update":
            return {"ok": True, "view": self._view(a, a.get("view_id") or None)}
        if m == "views.publish":
            view = self._view(a)
            view["type"] = view.get("type", "home")
            return {"ok": True, "view": view}
        if m == "users.lookupByEmail":
            user_id = self.users_by_email.get(str(a.get("email", "")))
            if user_id is None:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": self._user(user_id)}
        if m == "users.info":
            return {"ok": True, "user": self._user(str(a.get("user", "")))}
        if m == "files.getUploadURLExternal":
            file_id = self._next_id("F")
            return {"ok": True, "upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}
        if m == "files.completeUploadExternal":
            files = a.get("files") if isinstance(a.get("files"), list) else []
            return {
                "ok": True,
                "files": [{"id": f.get("id"), "title": f.get("title", ""), "name": f.get("title", "")} for f in files],
            }
        if m == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={self._next_id('t')}"}
        return {"ok": True}


# ---------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() waits for in-flight requests
    request_queue_size = 128  # the default listen backlog of 5 drops connections under concurrency


def _make_handler(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SlackStandIn/1.0"

        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

        def _serve(self, http_method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = standin._handle(http_method, self.path, headers, body)
            if reply.drop:  # a connection reset: no status line, nothing
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if isinstance(reply.body, str):
                payload, content_type = reply.body.encode(), "text/plain; charset=utf-8"
            else:
                payload, content_type = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout injection)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

    return Handler


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Form, JSON or multipart body -> dict. Empty or undecodable bodies give ``{}``."""
    if not body:
        return {}
    mime = content_type.split(";")[0].strip().lower()
    if mime == "multipart/form-data":
        return _parse_multipart(content_type, body)
    text = body.decode("utf-8", errors="replace")
    if mime == "application/json" or text.lstrip().startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    return dict(parse_qsl(text, keep_blank_values=True))


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = content.decode("utf-8", errors="replace")
        else:
            fields[name] = Upload(filename, part.get_content_type(), content)
    return fields


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
