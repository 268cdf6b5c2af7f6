"""`cstbot serve`, `cstbot worker` and `cstbot manifest`."""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime

from bot.delivery.scheduler import next_runs
from bot.settings import load_settings
from routing.errors import ConfigError
from store import migrate
from templates import render_text

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the Slack app (HTTP on --port, or Socket Mode with --socket)",
        description="Run the Slack app. HTTP mode serves POST /slack/events and GET /healthz with gunicorn "
        "(threaded workers) and, unless --no-worker, starts `cstbot worker` beside it for the outbox and "
        "the scheduler. Socket Mode needs SLACK_APP_TOKEN and no public URL.",
    )
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn worker processes (default: 2 on PostgreSQL; 1 on SQLite, which has a single writer, so "
        "more processes only queue for it in SQLite's busy loop)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per worker process (default 32: a request that opens a modal holds one while Slack answers)",
    )
    serve.add_argument("--socket", action="store_true", help="Socket Mode instead of HTTP")
    serve.add_argument("--no-worker", action="store_true", help="do not run the outbox dispatcher and scheduler here")
    serve.set_defaults(func=run_serve)

    worker = sub.add_parser("worker", help="run the outbox dispatcher and the scheduler alone")
    worker.set_defaults(func=run_worker)

    schedule = sub.add_parser("schedule", help="list the scheduled jobs and when each runs next")
    schedule.set_defaults(func=run_schedule)

    manifest = sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    manifest.add_argument(
        "--url", default="https://cstbot.example.org", help="public base URL of `cstbot serve` (HTTP mode)"
    )
    manifest.add_argument("--socket", action="store_true", help="manifest for Socket Mode (no request URLs)")
    manifest.add_argument("--name", default="cstbot", help="app and bot display name")
    manifest.set_defaults(func=run_manifest)


def run_manifest(args: argparse.Namespace) -> int:
    from bot.slack.manifest import manifest

    sys.stdout.write(manifest(base_url=args.url, socket=args.socket, name=args.name))
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    settings = load_settings()
    now = datetime.now(UTC)
    rows = [
        {
            "name": name,
            "describe": describe,
            "next": when.astimezone(settings.timezone).strftime("%a %Y-%m-%d %H:%M %Z") if when else "never",
        }
        for name, describe, when in next_runs(settings, now)
    ]
    waiting = _waiting(settings, now)
    sys.stdout.write(render_text("cli/schedule.txt.j2", rows=rows, timezone=settings.cstbot_timezone,
                                 waiting=waiting) + "\n")
    return 0


def _waiting(settings, now: datetime) -> dict:
    """The outbox's messages waiting for working hours: how many, and the next minutes they go (with counts)."""
    from store import outbox
    from store.db import make_engine, session_scope

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            count, times = outbox.waiting_for_hours(session=session, now=now)
    except Exception as exc:  # no database yet, not migrated: the jobs are still worth showing
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"}
    finally:
        engine.dispose()
    minutes: dict[str, int] = {}
    for at in times:
        label = at.astimezone(settings.timezone).strftime("%a %Y-%m-%d %H:%M %Z")
        minutes[label] = minutes.get(label, 0) + 1
    return {"count": count, "next": [{"at": k, "n": n} for k, n in list(minutes.items())[:5]],
            "shown": sum(list(minutes.values())[:5])}


def _check_ready(settings, *names: str, command: str = "serve") -> None:
    """Slack settings first (what a first try is missing), then the schema."""
    missing = settings.missing(*names)
    if missing:
        them = "it" if len(missing) == 1 else "them"
        raise ConfigError(
            f"cstbot {command} needs {_listing(missing)}, not set: export {them} or add {them} to .env "
            "(README, 'Try it in your workspace in ten minutes'); `cstbot demo` needs none of them"
        )
    migrate.require_current(settings.database_url)


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def run_worker(args: argparse.Namespace) -> int:
    from bot.runtime import Worker, build_deps

    settings = load_settings()
    _check_ready(settings, "slack_bot_token", command="worker")
    worker = Worker(build_deps(settings))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    print("cstbot worker: outbox dispatcher and scheduler running (Ctrl-C to stop)", file=sys.stderr)
    stop.wait()
    worker.stop()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.socket:
        _check_ready(settings, "slack_bot_token", "slack_signing_secret", "slack_app_token")
        return _serve_socket(settings, with_worker=not args.no_worker)
    _check_ready(settings, "slack_bot_token", "slack_signing_secret")
    child = None
    if not args.no_worker:
        child = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"])
    try:
        from bot.slack.server import default_model, serve_http

        model = default_model(settings.database_url, workers=args.workers, threads=args.threads)
        serve_http(settings, host=args.host, port=args.port, model=model)
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=15)
    return 0


def _serve_socket(settings, *, with_worker: bool) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.runtime import Worker, build_deps

    deps = build_deps(settings)
    deps.directories.warm(deps.engine)  # before the first event: none waits for the roster
    worker = Worker(deps) if with_worker else None
    if worker:
        worker.start()
    try:
        print("cstbot: connected in Socket Mode (Ctrl-C to stop)", file=sys.stderr)
        SocketModeHandler(build_app(deps), settings.secret("slack_app_token")).start()
    finally:
        if worker:
            worker.stop()
    return 0
