"""Serve a WSGI app on 127.0.0.1 (ephemeral port) in a background thread, for end-to-end tests and `cstbot demo`.

Usage::

    handler = slack_bolt.adapter.wsgi.SlackRequestHandler(app)
    with serve_wsgi(handler) as base_url:          # "http://127.0.0.1:PORT"
        SignedSlackClient(base_url, secret).slash_command("/cst", "help")

Each request runs in its own thread (concurrent requests work). Leaving the block stops accepting requests
and waits for the requests in flight to finish, so nothing the app does outlives the test.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

__all__ = ["serve_wsgi"]


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins the request threads
    request_queue_size = 128  # the default listen backlog of 5 drops connections under concurrency


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def serve_wsgi(app: WSGIApplication, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` on ``host`` at an ephemeral port; yield its base URL ``http://host:PORT``."""
    server = make_server(host, 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wsgi-test-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
