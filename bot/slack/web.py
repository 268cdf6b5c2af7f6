"""The WSGI application for HTTP mode: POST /slack/events to Bolt, GET /healthz for load balancers.

Serve it with any WSGI server; `cstbot serve` runs gunicorn with threaded workers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class _Request(BoltRequest):
    """Bolt 1.30 reads any form body containing the word "payload" as an interactivity payload, so a
    slash command such as `/cst ask what is the payload ...` arrives empty and is dropped. Re-read such a
    body as the plain form it is."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        raw = self.raw_body
        if not self.body and raw and self.content_type != "application/json" and not raw.startswith("{"):
            params = dict(parse_qsl(raw, keep_blank_values=True))
            if params and "payload" not in params:
                self.body = params
                self.context = build_context(BoltContext(), self.body)


class _BoltHandler(SlackRequestHandler):
    def __init__(self, app: App, path: str, signing_secret: str) -> None:
        super().__init__(app, path=path)
        self.verifier = SignatureVerifier(signing_secret)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        raw = request.get_body()
        headers = request.get_headers()
        try:
            bolt_request = _Request(body=raw, query=request.query_string, headers=headers)
        except ValueError:  # malformed JSON in the body or in payload=
            if not self.verifier.is_valid_request(
                raw, {k: v[0] if isinstance(v, list) else v for k, v in headers.items()}
            ):
                return BoltResponse(status=401, body={"error": "invalid request"})
            log.warning("malformed request body from Slack (%d bytes): not JSON", len(raw))
            return BoltResponse(status=400, body={"error": "malformed payload"})
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
