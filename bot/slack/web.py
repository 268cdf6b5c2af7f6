"""The WSGI application for HTTP mode: POST /slack/events to Bolt, GET /healthz for load balancers.

Serve it with any WSGI server; `cstbot serve` runs gunicorn with threaded workers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.slack import edge

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class _BoltHandler(SlackRequestHandler):
    """Checks the signature over the raw bytes before anything reads them, then parses the body once
    (`bot.slack.edge`): unsigned 401, signed but not what Slack sends 400, neither with a traceback."""

    def __init__(self, app: App, path: str, signing_secret: str) -> None:
        super().__init__(app, path=path)
        self.signing_secret = signing_secret

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        environ = request.environ
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > edge.MAX_BODY:
            return BoltResponse(status=413 if length > 0 else 400, body={"error": "malformed request"})
        raw = environ["wsgi.input"].read(length) if length and "wsgi.input" in environ else b""
        headers = request.get_headers()
        flat = {k.lower(): v[0] if isinstance(v, list) and v else v for k, v in headers.items()}
        if not edge.signed(raw, flat, self.signing_secret):
            return BoltResponse(status=401, body={"error": "invalid request"})
        try:
            body = edge.parse(raw, flat.get("content-type"))
        except edge.MalformedRequest as exc:
            log.warning("malformed request from Slack (%d bytes): %s", len(raw), exc)
            return BoltResponse(status=400, body={"error": "malformed payload"})
        bolt_request = BoltRequest(body="", query=request.query_string, headers=headers)
        bolt_request.raw_body = raw.decode("utf-8")  # parse() decoded it once already: valid UTF-8 (Bolt checks
        # the signature again over this text, which is the same bytes)
        bolt_request.body = body
        bolt_request.context = build_context(BoltContext(), body) if not edge.problem(body) else BoltContext()
        return self.app.dispatch(bolt_request)


class WebApp:
    """WSGI callable: Bolt on EVENTS_PATH, a health check on HEALTH_PATH, 404 elsewhere."""

    def __init__(self, app: App, engine: Engine, signing_secret: str) -> None:
        self.bolt = _BoltHandler(app, EVENTS_PATH, signing_secret)
        self.engine = engine

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self._health(start_response)
        return self.bolt(environ, start_response)

    def _health(self, start_response: Callable) -> Iterable[bytes]:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("select 1"))
            status, body = "200 OK", {"ok": True, "database": "ok"}
        except Exception as exc:  # a health check reports, it does not raise
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            status, body = "503 Service Unavailable", {"ok": False, "database": "unreachable"}
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]
