"""HTTP mode under gunicorn: a production WSGI server with threaded workers (Bolt's dev server is not one)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gunicorn.app.base import BaseApplication

from bot.app import build_app
from bot.runtime import build_deps
from bot.settings import Settings
from bot.slack.web import WebApp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerModel:
    """How gunicorn serves the app: the worker class, the processes, and per process its threads (gthread)."""

    worker_class: str
    workers: int
    threads: int

    @property
    def label(self) -> str:
        return f"{self.worker_class} {self.workers}x{self.threads}"

    def gunicorn_options(self) -> dict:
        return {"worker_class": self.worker_class, "workers": self.workers, "threads": self.threads}


# Chosen by measurement under Slack's real latency (bench/bench_app.py, bench/README.md "Serving"): a request that
# opens a modal holds its thread for the whole views.open (~100 ms at Slack), so 32 people typing `/cst ask` at
# once need 32 threads, or they queue behind each other (2x8 threads: p50 340-430 ms at c=32 against ~125 ms).
# gevent workers and more threads (64) measured no better across help, submissions and modal opens.
THREADS = 32


def default_model(database_url: str, *, workers: int | None = None, threads: int | None = None) -> ServerModel:
    """`cstbot serve`'s server: gunicorn gthread, 32 threads per process; 2 processes on PostgreSQL, 1 on SQLite,
    which has a single writer (more processes queue for it in SQLite's busy loop, not first come first served:
    submissions at c=32 measured p99 1.0-1.1 s with 2 processes against 0.2-0.8 s with one)."""
    sqlite = database_url.startswith("sqlite")
    return ServerModel("gthread", workers or (1 if sqlite else 2), threads or THREADS)


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


def serve_http(settings: Settings, *, host: str, port: int, model: ServerModel) -> None:
    options = {
        "bind": f"{host}:{port}",
        **model.gunicorn_options(),
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
