"""A local stand-in for Slack's Socket Mode: a WebSocket server on 127.0.0.1 that sends Slack's envelopes.

Usage::

    with SlackStandIn() as slack, SocketModeStandIn(slack) as socket:
        # apps.connections.open on `slack` now answers ws://127.0.0.1:PORT/link/?ticket=...
        ...start the app with SLACK_API_URL=slack.base_url and any SLACK_APP_TOKEN...
        socket.wait_connected()
        sent = socket.slash_command("/cst", "ask", user_id="U1")   # an envelope, acknowledged or AssertionError
        sent.ack                                                   # what the app answered: {"envelope_id": ..}
        socket.disconnect()                                        # Slack's "refresh_requested"
        socket.wait_connected(2)                                   # the app opened a new connection

What Slack does, and this does (Socket Mode docs; slack_sdk's own mock server and built-in client): the app calls
``apps.connections.open`` with its app-level token and gets a single-use ``wss://`` URL; on connect Slack sends
``{"type": "hello", ...}``; each request comes as an envelope ``{"envelope_id", "type", "payload",
"accepts_response_payload"}`` of type ``slash_commands``, ``interactive`` or ``events_api`` (events also carry
``retry_attempt``/``retry_reason``), and the app acknowledges it by sending ``{"envelope_id": ..., "payload"?}``
back within 3 seconds. Before recycling a connection Slack sends ``{"type": "disconnect", "reason":
"refresh_requested"}`` and the app opens a new one.

Every envelope sent waits for its acknowledgement (``ack_timeout``); one never acknowledged is an AssertionError
for the sender and stays listed in :attr:`unacknowledged`. Needs the ``websockets`` package (a test dependency),
so it is imported on its own, not from ``bot.demo.standin``.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from .signed_client import SignedSlackClient
from .slack_standin import Call, SlackStandIn

__all__ = ["Envelope", "SocketModeStandIn"]

CONNECTIONS_OPEN = "apps.connections.open"


@dataclass
class Envelope:
    """One envelope sent to the app, and its acknowledgement once it arrives."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    connection: int  # which connection (1, 2, ...) carried it
    ack: dict[str, Any] | None = None
    acked: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def response(self) -> dict[str, Any]:
        """The payload the app put in its acknowledgement ({} when it acknowledged without one)."""
        return (self.ack or {}).get("payload") or {}


@dataclass
class _Link:
    number: int
    ticket: str
    websocket: ServerConnection
    closed: threading.Event = field(default_factory=threading.Event)


class SocketModeStandIn:
    """Slack's Socket Mode side, for one app, attached to a :class:`SlackStandIn` (its Web API)."""

    def __init__(self, web: SlackStandIn, *, app_token_prefix: str = "xapp-", ack_timeout: float = 10.0) -> None:
        self.web = web
        self.app_token_prefix = app_token_prefix
        self.ack_timeout = ack_timeout
        # Payload builders: the same fields the HTTP tests send, under the same team and app ids.
        self.payloads = SignedSlackClient(
            "http://127.0.0.1:1", "unused", team_id=web.team_id, team_domain=web.team_domain,
            api_app_id=web.api_app_id, bot_user_id=web.bot_user_id, bot_id=web.bot_id,
            response_url_base=web.hooks_url,
        )
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._tickets: set[str] = set()
        self._links: list[_Link] = []
        self._envelopes: dict[str, Envelope] = {}
        self._received: list[dict[str, Any]] = []  # every text frame the app sent, parsed
        self._numbers = itertools.count(1)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SocketModeStandIn:
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None, ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-mode-standin", daemon=True)
        self._thread.start()
        self.web.respond(CONNECTIONS_OPEN, self._open)
        return self

    def stop(self) -> None:
        self.web.respond(CONNECTIONS_OPEN, None)
        if self._server is not None:
            self._server.shutdown()
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._server = self._thread = None

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SocketModeStandIn not started")
        return int(self._server.socket.getsockname()[1])

    # ------------------------------------------------------------------ apps.connections.open (Web API side)

    def _open(self, call: Call) -> dict[str, Any]:
        token = call.token or ""
        if not token.startswith(self.app_token_prefix):
            # Slack answers a bot token here with not_allowed_token_type: Socket Mode needs the app-level token.
            return {"ok": False, "error": "not_allowed_token_type" if token else "not_authed"}
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"}

    # ------------------------------------------------------------------ the WebSocket side (server threads)

    def _handle(self, websocket: ServerConnection) -> None:
        path = websocket.request.path if websocket.request else ""
        ticket = path.partition("ticket=")[2]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # a URL is good for one connection, as Slack's are
        if not valid:
            websocket.close(code=1008, reason="invalid ticket")
            return
        link = _Link(next(self._numbers), ticket, websocket)
        with self._changed:
            self._links.append(link)
            self._changed.notify_all()
        try:
            websocket.send(json.dumps({
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.web.api_app_id},
            }))
            for frame in websocket:
                self._received_frame(frame)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.closed.set()
                self._changed.notify_all()

    def _received_frame(self, frame: str | bytes) -> None:
        try:
            message = json.loads(frame)
        except (TypeError, ValueError):
            message = {"unparsed": frame if isinstance(frame, str) else frame.decode("utf-8", "replace")}
        with self._changed:
            self._received.append(message)
            envelope = self._envelopes.get(message.get("envelope_id", "")) if isinstance(message, dict) else None
            if envelope is not None and envelope.ack is None:
                envelope.ack = message
                envelope.acked.set()
            self._changed.notify_all()

    # ------------------------------------------------------------------ connections

    @property
    def connections(self) -> int:
        """How many connections the app has opened so far."""
        with self._lock:
            return len(self._links)

    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for link in self._links if not link.closed.is_set())

    def wait_connected(self, count: int = 1, timeout: float = 30.0) -> None:
        """Wait until the app has opened `count` connections in all and one of them is open."""
        with self._changed:
            ok = self._changed.wait_for(
                lambda: len(self._links) >= count and not self._links[-1].closed.is_set(), timeout=timeout
            )
            opened = len(self._links)
        if not ok:
            calls = len(self.web.calls_to(CONNECTIONS_OPEN))
            raise AssertionError(f"expected connection #{count} within {timeout}s; {opened} opened, "
                                 f"{calls} {CONNECTIONS_OPEN} call(s)")

    def _current(self) -> _Link:
        with self._lock:
            live = [link for link in self._links if not link.closed.is_set()]
        if not live:
            raise AssertionError("the app has no open Socket Mode connection")
        return live[-1]

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's notice before it recycles a connection: the app is expected to open a new one."""
        self._current().websocket.send(json.dumps({"type": "disconnect", "reason": reason,
                                                   "debug_info": {"host": "applink-standin"}}))

    def drop(self) -> None:
        """Close the current connection from Slack's side without notice (a network drop, a Slack restart)."""
        link = self._current()
        link.websocket.close(code=1001, reason="going away")
        link.closed.wait(timeout=10)

    # ------------------------------------------------------------------ envelopes

    @property
    def unacknowledged(self) -> list[Envelope]:
        with self._lock:
            return [e for e in self._envelopes.values() if e.ack is None]

    def send(self, type_: str, payload: dict[str, Any], *, accepts_response_payload: bool, wait: bool = True,
             **extra: Any) -> Envelope:
        """Send one envelope on the current connection; by default wait for its acknowledgement."""
        link = self._current()
        envelope = Envelope(str(uuid.uuid4()), type_, payload, link.number)
        with self._lock:
            self._envelopes[envelope.envelope_id] = envelope
        link.websocket.send(json.dumps({
            "envelope_id": envelope.envelope_id, "payload": payload, "type": type_,
            "accepts_response_payload": accepts_response_payload, **extra,
        }))
        if wait and not envelope.acked.wait(self.ack_timeout):
            raise AssertionError(f"{type_} envelope {envelope.envelope_id} was not acknowledged "
                                 f"within {self.ack_timeout}s")
        return envelope

    def slash_command(self, command: str = "/cst", text: str = "", *, user_id: str, **fields: Any) -> Envelope:
        payload = self.payloads.command_fields(command, text, user_id=user_id, **fields)
        return self.send("slash_commands", payload, accepts_response_payload=True)

    def interactive(self, payload: dict[str, Any]) -> Envelope:
        """A block action, view submission or shortcut payload (build it with :attr:`payloads`)."""
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        return self.send("interactive", payload, accepts_response_payload=accepts)

    def event(self, event: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = "") -> Envelope:
        payload = self.payloads.event_envelope(event)
        return self.send("events_api", payload, accepts_response_payload=False, retry_attempt=retry_attempt,
                         retry_reason=retry_reason)
