"""HTTP mode under gunicorn: a production WSGI server with threaded workers (Bolt's dev server is not one)."""

from __future__ import annotations

import logging

from gunicorn.app.base import BaseApplication

from bot.app import build_app
from bot.runtime import build_deps
from bot.settings import Settings
from bot.slack.web import WebApp

log = logging.getLogger(__name__)


def make_wsgi(settings: Settings):
    """The WSGI callable for one worker process: Bolt app + /healthz. Each process builds its own engine."""
    deps = build_deps(settings)
    deps.directories.warm(deps.engine)  # before this worker takes requests: none waits for the roster
    return WebApp(build_app(deps), deps.engine, settings.secret("slack_signing_secret"))


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return make_wsgi(self.settings)


def serve_http(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "backlog": 512,
        "accesslog": None,  # request lines carry nothing useful and Slack ids are personal data
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "cstbot",
    }
    _Gunicorn(settings, options).run()
