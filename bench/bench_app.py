"""cstbot under gunicorn next to a bare Bolt app, the floor of each request and Slack's own latency, over HTTP.

Run from the repository root::

    python bench/bench_app.py                # SQLite, `cstbot serve`'s server, Slack latency 100/150 ms
    python bench/bench_app.py --quick        # smoke run
    python bench/bench_app.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/bench_app.py --servers serve,gthread:32,gevent:256 --rounds 3   # choose a server model
    python bench/bench_app.py --profile      # also: where one cstbot request spends its time

What it does (see bench/README.md):

1. A temp SQLite database (and, with ``--postgres URL``, a throwaway schema there too), migrated with
   ``store.migrate.upgrade`` and loaded with the e2e test roster; a ``SlowSlackStandIn`` in its own process as the
   Web API, answering ``views.*`` in 100 ms and ``chat.*`` in 150 ms like Slack (``--slack-latency``).
2. For each server model (``--servers``), three gunicorn servers, each in its own subprocess and process group, on
   127.0.0.1 sockets this script binds (``fd://N``): ``make_cstbot()`` (the real app, built by
   ``bot.slack.server.make_wsgi`` as ``cstbot serve`` builds it), ``make_bare()`` (Bolt,
   ``process_before_response=True``, listeners that only ``ack()``) and ``make_floor()`` (the least each request
   must do: one INSERT + COMMIT before acking a submission; views.open with the trigger before acking
   ``/cst ask``).
3. A client pool in this process: one thread per concurrent client, each with its own ``http.client``
   keep-alive connection, sending Slack-signed requests (v0 HMAC over a fresh timestamp per request). Kinds:
   ``/cst help``; an ask submission (a ``cst_ask`` view_submission, which stores an item, its audit event, card
   and outbox rows; the outbox dispatcher does NOT run); ``/cst ask`` (modal open: the app calls views.open
   with the trigger_id inside the request). And "slack": views.open straight to the stand-in, at the same
   concurrency, i.e. Slack's latency itself.
4. Every cell runs ``--rounds`` times, the server models and apps interleaved within each round; tables with
   medians and the spread over the rounds, ratios taken within a round, and whether the issue's targets are met
   (printed, not asserted).

The script only ever stops what it started (its gunicorn process groups, its stand-in, its temp files/schema).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import itertools
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENV_DATABASE_URL = "CSTBOT_BENCH_DATABASE_URL"
ENV_SLACK_API_URL = "CSTBOT_BENCH_SLACK_API_URL"
ENV_SIGNING_SECRET = "CSTBOT_BENCH_SIGNING_SECRET"
ENV_LOCK_STATS = "CSTBOT_BENCH_LOCK_STATS"  # a directory: each worker appends its write-transaction timings there
BOT_TOKEN = "xoxb-bench-token"
SIGNING_SECRET = "bench-signing-secret"
USER = "USTAFF001"  # district staff of District One and District Two (Team A) in the test roster
EVENTS_PATH = "/slack/events"
WORKERS, THREADS = 2, 8  # bench_scale's server (gthread 2x8)

KINDS = ("help", "ask", "modal")
KIND_LABEL = {"help": "/cst help", "ask": "ask submission", "modal": "/cst ask (modal)"}
APPS = ("cstbot", "bare", "floor")
SLACK = "slack"  # the pseudo-app of the modal cells: views.open straight to the stand-in
APP_TARGET = {app: f"bench.bench_app:make_{app}()" for app in APPS}
DEFAULT_SLACK_LATENCY = "views.=100,chat.=150"  # milliseconds by method prefix (bot.demo.standin.latency)

# The targets of issue 14 (point 5), printed as MET / NOT MET, never asserted.
ASK_FLOOR_RATIO = 1.5  # ask submission p50 at c=1 and p99 at c=8 within 1.5x the floor's
HELP_BARE_RATIO = 1.5  # /cst help p99 within 1.5x the bare app's, same server
MODAL_SLACK_RATIO = 1.5  # modal open p99 at c=32 within 1.5x the stand-in's views.open p99 at c=32
MAX_LATENCY_MS = 3000.0  # no request over Slack's 3 s


# ---------------------------------------------------------------------------------------------------------
# WSGI factories: gunicorn imports this module in its workers and calls one of these (one app per worker).


def _settings():
    return _settings_for(os.environ[ENV_DATABASE_URL])


def _settings_for(url: str):
    from bot.settings import Settings

    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=os.environ.get(ENV_SIGNING_SECRET, SIGNING_SECRET),
        slack_api_url=os.environ.get(ENV_SLACK_API_URL, "http://127.0.0.1:9/api/"),
        database_url=url,
    )


def client_problem() -> str | None:
    """Why `bot.slack.make_client` cannot build the Web API client, or None when it can."""
    from bot.slack.client import make_client

    try:
        make_client(_settings())
    except TypeError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def make_cstbot():
    """The real app as `cstbot serve` builds it: `bot.slack.server.make_wsgi`, i.e. WebApp(build_app(deps), engine,
    secret). If `bot.slack.make_client` cannot build its WebClient (see `client_problem`), the same app is
    built with a plain WebClient on the stand-in, as tests/e2e/conftest.py does; these requests make no Web
    API call, so the client does not change what is measured."""
    from bot.slack.server import make_wsgi

    settings = _settings()
    if client_problem() is None:
        web = make_wsgi(settings)
        if os.environ.get(ENV_LOCK_STATS):
            record_write_transactions(web.engine, Path(os.environ[ENV_LOCK_STATS]))
        return web
    from slack_sdk import WebClient

    from bot.app import build_app
    from bot.deps import Deps
    from bot.runtime import load_book
    from bot.slack.web import WebApp
    from store.db import make_engine

    engine = make_engine(settings.database_url)
    client = WebClient(token=BOT_TOKEN, base_url=settings.slack_api_url, timeout=10)
    deps = Deps(settings=settings, engine=engine, client=client, protocols=load_book(settings, engine))
    if os.environ.get(ENV_LOCK_STATS):
        record_write_transactions(engine, Path(os.environ[ENV_LOCK_STATS]))
    return WebApp(build_app(deps), engine, settings.secret("slack_signing_secret"))


# What takes the write lock: the first INSERT/UPDATE/DELETE of a deferred transaction, or BEGIN IMMEDIATE.
WRITE_START = re.compile(r"\s*(INSERT|UPDATE|DELETE|BEGIN\s+(IMMEDIATE|EXCLUSIVE))\b", re.IGNORECASE)


def record_write_transactions(engine, directory: Path) -> None:
    """`--lock-stats`: for every transaction that writes, append one line to a per-process file:
    ``monotonic_end first_write_s hold_s commit_s``.

    first_write_s: duration of the first INSERT/UPDATE/DELETE or BEGIN IMMEDIATE (on SQLite: the wait for
    the database's single write lock, busy handler included); a transaction that fails there ("database is
    locked") is written with hold_s = commit_s = -1; hold_s: from the end of that
    statement to the end of COMMIT (the write lock is held all along); commit_s: COMMIT alone. Timed with
    SQLAlchemy engine/session events in the worker; a handful of microseconds per statement."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    class Tx(threading.local):
        def __init__(self) -> None:  # runs once in every thread that touches it
            self.w0 = self.w1 = self.c0 = None

    local = Tx()
    fd = os.open(directory / f"tx-{os.getpid()}.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def reset() -> None:
        local.w0 = local.w1 = local.c0 = None

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        if local.w0 is None and WRITE_START.match(statement):
            local.w0 = time.perf_counter()

    @event.listens_for(engine, "handle_error")
    def _error(context):
        if local.w0 is not None and local.w1 is None:  # failed while getting the write lock ("database is locked")
            os.write(fd, f"{time.monotonic():.6f} {time.perf_counter() - local.w0:.6f} -1 -1\n".encode())
            reset()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        if local.w0 is not None and local.w1 is None:
            local.w1 = time.perf_counter()

    @event.listens_for(engine, "commit")
    def _commit(conn):
        if local.w1 is not None:
            local.c0 = time.perf_counter()

    @event.listens_for(engine, "rollback")
    def _rollback(conn):
        reset()

    @event.listens_for(Session, "after_commit")
    def _after_commit(session):
        if local.w1 is not None and local.c0 is not None:
            end = time.perf_counter()
            line = f"{time.monotonic():.6f} {local.w1 - local.w0:.6f} {end - local.w1:.6f} {end - local.c0:.6f}\n"
            os.write(fd, line.encode())
        reset()


def make_bare():
    """A bare Bolt app answering the same requests with a bare ack(): what Bolt and the server cost alone."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=os.environ[ENV_SLACK_API_URL]),
        signing_secret=os.environ[ENV_SIGNING_SECRET],
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/cst")
    def _command(ack):
        ack()

    @app.view("cst_ask")
    def _view(ack):
        ack()

    return SlackRequestHandler(app, path=EVENTS_PATH)


def floor_table():
    """The floor's own table (created by `prepare`): one row per submission."""
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

    return Table(
        "bench_floor",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("slack_user_id", String(32), nullable=False),
        Column("text", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


FLOOR_VIEW = {
    "type": "modal",
    "callback_id": "bench_floor",
    "title": {"type": "plain_text", "text": "Ask"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "The least a modal can be."}}],
}


def make_floor():
    """The least each request must do before Slack gets its answer, in a bare Bolt app:

    - an ask submission: one INSERT + COMMIT (the submission is stored before "Sent"), through the same engine
      set-up as cstbot's (`store.db.make_engine`, without the pre-ping; on SQLite WAL, BEGIN IMMEDIATE and the
      process's writer queue of `store.db`);
    - ``/cst ask``: views.open with the command's trigger_id (a one-block modal), through `bot.slack.make_client`;
    - ``/cst help``: an ack() like the bare app's.
    """
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from sqlalchemy import insert

    from bot.ids import Block
    from bot.slack.client import make_client
    from store.db import WRITE_OPTION, _sqlite_write_lock, make_engine

    settings = _settings()
    engine = make_engine(settings.database_url, pool_pre_ping=False)
    writers = _sqlite_write_lock(engine)
    table = floor_table()
    app = App(
        client=make_client(settings),
        signing_secret=os.environ[ENV_SIGNING_SECRET],
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/cst")
    def _command(ack, command, client):
        ack()
        if (command.get("text") or "").startswith("ask"):
            client.views_open(trigger_id=command["trigger_id"], view=FLOOR_VIEW)

    @app.view("cst_ask")
    def _view(ack, body, view):
        text = view["state"]["values"][Block.TEXT.value]["text"]["value"]
        row = {"slack_user_id": body["user"]["id"], "text": text, "created_at": datetime.now(UTC)}
        with writers or contextlib.nullcontext(), engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            conn.execute(insert(table).values(row))
            conn.commit()
        ack()

    return SlackRequestHandler(app, path=EVENTS_PATH)


# ---------------------------------------------------------------------------------------------------------
# Request bodies, built with the test harness's Slack payload builders; signed at send time.


def _capturing_client():
    """SignedSlackClient whose `post` returns (content_type, body) instead of sending: the harness builds the
    exact Slack field sets, the bench signs and sends them itself over its own keep-alive connections."""
    from tests.standin import SignedSlackClient

    class Capture(SignedSlackClient):
        def post(self, body, *, content_type, **_kw):  # type: ignore[override]
            return content_type, body

    return Capture("http://127.0.0.1:9", SIGNING_SECRET)


_TRIGGERS = itertools.count(1)


def build_bodies(kind: str, count: int, *, district_id: int) -> list[tuple[str, str]]:
    from bot.ids import Block, Callback

    cap = _capturing_client()
    bodies = []
    for i in range(count):
        if kind == "help":
            bodies.append(cap.slash_command("/cst", "help", user_id=USER))
        elif kind == "modal":  # a unique trigger_id per request: the stand-in must see each one opened
            bodies.append(cap.slash_command("/cst", "ask", user_id=USER, trigger_id=f"{next(_TRIGGERS)}.bench.open"))
        else:
            values = {
                Block.TEXT.value: {
                    "text": {"type": "plain_text_input", "value": f"Bench question {i}: how do we start data teams?"}
                },
                Block.DISTRICT.value: {
                    "district": {"type": "static_select", "selected_option": {"value": str(district_id)}}
                },
            }
            payload = cap.view_submission(
                USER, Callback.ASK.value, values, private_metadata=json.dumps({"kind": "district"})
            )
            bodies.append(cap.interactivity(payload))
    return bodies


def trigger_of(body: tuple[str, str]) -> str:
    return dict(parse_qsl(body[1])).get("trigger_id", "")


def signed_headers(content_type: str, data: bytes, secret: str) -> dict[str, str]:
    from tests.standin import slack_signature

    ts = str(int(time.time()))  # fresh per request, as Slack does
    return {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Accept": "application/json,*/*",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(secret, ts, data),
    }


def describe_answer(body: bytes) -> str:
    """An answer in one short line: a modal's title and first text, a message's text, or the raw start."""
    try:
        doc = json.loads(body)
    except ValueError:
        return repr(body[:160].decode("utf-8", errors="replace"))
    if isinstance(doc, dict) and isinstance(doc.get("view"), dict):
        view = doc["view"]
        texts = [b.get("text", {}).get("text", "") for b in view.get("blocks", []) if isinstance(b, dict)]
        return f"modal {view.get('title', {}).get('text')!r}: {(texts or [''])[0][:120]!r}"
    if isinstance(doc, dict) and "text" in doc:
        return f"message: {str(doc['text'])[:120]!r}"
    return repr(body[:160].decode("utf-8", errors="replace"))


def is_expected(app: str, kind: str, body: bytes) -> bool:
    """A 200 is not enough: cstbot's error handler answers failures with a 200 and an apology. (Whether a modal
    really opened is checked apart, on the stand-in: one views.open per trigger_id.)"""
    if app in ("bare", "floor") or kind == "modal":
        return body == b""
    if kind == "help":  # Bolt sends ack(text=...) alone as a text/plain body
        text = body.decode("utf-8", errors="replace")
        with contextlib.suppress(ValueError, AttributeError):
            text = json.loads(body).get("text") or ""
        return text.startswith("*How cstbot works*") and "Sorry, cstbot" not in text
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return doc.get("response_action") == "update" and (doc.get("view") or {}).get("title", {}).get("text") == "Sent"


# ---------------------------------------------------------------------------------------------------------
# Databases


@contextlib.contextmanager
def database(kind: str, tmp: Path, pg_url: str | None) -> Iterator[str]:
    """An empty database URL of `kind`: a temp SQLite file, or a throwaway schema on PostgreSQL."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    from store.db import scratch_schema

    with scratch_schema(pg_url, "bench") as url:
        yield url


def prepare(url: str) -> tuple[int, str]:
    """Migrate, import the test roster, create the floor's table; return District One's id and a server version."""
    from sqlalchemy import text
    from sqlmodel import Session, select

    from store import models
    from store.db import make_engine
    from store.migrate import upgrade
    from store.roster import import_roster, parse_yaml
    from tests.e2e.conftest import ROSTER

    upgrade(url)
    engine = make_engine(url)
    try:
        import_roster(parse_yaml(ROSTER, source="roster.yaml"), engine=engine)
        floor_table().metadata.create_all(engine)
        # Store the protocol snapshot now, once: bot.runtime.load_book inserts it on a worker's first start,
        # and two gunicorn workers starting together on a fresh database race on its unique version (one
        # worker fails to boot and gunicorn halts). The bench measures requests, not that race.
        from bot.runtime import load_book

        load_book(_settings_for(url), engine)
        with Session(engine) as s:
            district_id = s.exec(select(models.District.id).where(models.District.name == "District One")).one()
            if url.startswith("sqlite"):
                server = "SQLite " + s.exec(text("select sqlite_version()")).one()[0] + " (WAL, file)"
            else:
                server = "PostgreSQL " + s.exec(text("show server_version")).one()[0] + " (loopback)"
        return district_id, server
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------------------
# Servers


@dataclass(frozen=True)
class Candidate:
    """A server model to measure: ``serve`` (what `cstbot serve` runs on the database), ``gthread:T`` /
    ``gthread:WxT`` (T threads per process), ``gevent:C`` / ``gevent:WxC`` (C connections per process). Without
    W, the processes are `cstbot serve`'s for the database: 1 on SQLite (its single writer), 2 on PostgreSQL."""

    spec: str
    worker_class: str
    workers: int | None
    threads: int | None

    @classmethod
    def parse(cls, spec: str) -> Candidate:
        spec = spec.strip()
        if spec == "serve":
            return cls(spec, "", None, None)
        kind, _, size = spec.partition(":")
        match = re.fullmatch(r"(?:(\d+)x)?(\d+)", size)
        if kind not in ("gthread", "gevent") or not match:
            raise ValueError(f"{spec!r}: write serve, gthread:THREADS, gthread:WORKERSxTHREADS or gevent:CONNECTIONS")
        return cls(spec, kind, int(match[1]) if match[1] else None, int(match[2]))

    def model(self, url: str):
        """The concrete `bot.slack.server.ServerModel` on the database at `url`."""
        from bot.slack.server import ServerModel, default_model

        serve = default_model(url, workers=self.workers)
        if self.spec == "serve":
            return serve
        return ServerModel(self.worker_class, serve.workers, self.threads or serve.threads)


def gunicorn_flags(worker_class: str, workers: int, threads: int) -> list[str]:
    per_process = "--worker-connections" if worker_class == "gevent" else "--threads"
    return ["--worker-class", worker_class, "--workers", str(workers), per_process, str(threads)]


class Gunicorn:
    """`python -m gunicorn TARGET` in its own process group, on a socket bound here (127.0.0.1:0)."""

    def __init__(
        self,
        name: str,
        target: str,
        env: dict[str, str],
        logdir: Path,
        *,
        workers: int = WORKERS,
        threads: int = THREADS,
        worker_class: str = "gthread",
    ) -> None:
        self.name = name
        self.workers = workers
        self.threads = threads
        self.worker_class = worker_class
        self.target = target
        self.env = env
        self.log_path = logdir / f"gunicorn-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(512)
        self.port = sock.getsockname()[1]
        fd = sock.fileno()
        os.set_inheritable(fd, True)
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"fd://{fd}",
            *gunicorn_flags(self.worker_class, self.workers, self.threads),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--keep-alive",
            "5",
            "--backlog",
            "512",
            "--log-level",
            "warning",
            "--error-logfile",
            "-",
            "--chdir",
            str(ROOT),
            "--name",
            f"cstbot-bench-{self.name}",
            self.target,
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=self.env,
                pass_fds=(fd,),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        sock.close()  # the child holds its own copy

    def wait_ready(self, probe: Callable[[int], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if probe(self.port):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn {self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"gunicorn {self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")

    def problems(self) -> dict[str, int]:
        """Exception lines in the server's log (Bolt's error handler logs every listener failure), counted."""
        found: dict[str, int] = {}
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return found
        for line in text.splitlines():
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Warning)\b.*", line) or "listener failed" in line:
                key = line[:240]
                found[key] = found.get(key, 0) + 1
        return found

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)  # the arbiter stops its workers
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group this script created for it
            proc.wait(timeout=5)


def healthz_ok(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    finally:
        conn.close()


def signed_probe(body: tuple[str, str], secret: str) -> Callable[[int], bool]:
    def probe(port: int) -> bool:
        data = body[1].encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("POST", EVENTS_PATH, body=data, headers=signed_headers(body[0], data, secret))
            resp = conn.getresponse()
            resp.read()
            return resp.status == 200
        finally:
            conn.close()

    return probe


# ---------------------------------------------------------------------------------------------------------
# Slack: the Web API stand-in in a process of its own


class SlackProcess:
    """A `SlowSlackStandIn` in its own process, so that Slack's answer time does not depend on this process's
    client threads (one GIL for both would add the clients' queueing to Slack's latency). Driven over a pipe:
    `drain()` returns what it received since the last drain (method counts, the trigger_ids views.open got, the
    last `cst_ask` modal opened) and forgets it."""

    def __init__(self, delays: str) -> None:
        self.delays = delays
        self.proc: subprocess.Popen | None = None
        self.base_url = ""

    def __enter__(self) -> SlackProcess:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve-slack", self.delays],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.__exit__(None, None, None)
            raise RuntimeError("the Slack stand-in process did not start")
        return self

    def drain(self) -> tuple[Counter[str], list[str], dict | None]:
        self.proc.stdin.write("drain\n")
        self.proc.stdin.flush()
        doc = json.loads(self.proc.stdout.readline())
        return Counter(doc["methods"]), doc["opened"], doc["view"]

    def __exit__(self, *_exc) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(OSError):
            proc.stdin.write("stop\n")
            proc.stdin.flush()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()  # the process this script started, by its id
            proc.wait(timeout=5)


def serve_slack(delays: str) -> int:
    """`--serve-slack`: the stand-in side of `SlackProcess` (prints its base URL, then answers drain/stop)."""
    from bot.demo.standin.latency import SlowSlackStandIn, parse_delays

    with SlowSlackStandIn(delays=parse_delays(delays)) as slack:
        print(slack.base_url, flush=True)
        for line in sys.stdin:
            if line.strip() != "drain":
                break
            calls = slack.calls
            slack.clear()
            opened = [c for c in calls if c.method == "views.open"]
            views = [c.args.get("view") for c in opened]
            view = next((v for v in reversed(views) if isinstance(v, dict) and v.get("callback_id") == "cst_ask"), None)
            doc = {
                "methods": Counter(c.method for c in calls),
                "opened": [c.args.get("trigger_id") for c in opened],
                "view": view,
            }
            print(json.dumps(doc), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------------------
# Load generator


@dataclass
class Cell:
    db: str
    kind: str
    concurrency: int
    app: str
    server: str = ""  # the server model's label ("gthread 2x8"); "" for the stand-in itself
    round: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, every completed request
    errors: int = 0  # not HTTP 200 (or no response)
    wrong: int = 0  # HTTP 200 but not the expected answer (e.g. cstbot's apology), or no modal opened
    elapsed: float = 0.0
    truncated: bool = False
    window: tuple[float, float] = (0.0, 0.0)  # time.monotonic() at start and end (same clock as the workers')
    tx: list[tuple[float, float, float]] = field(default_factory=list)  # --lock-stats: (first write, hold, commit)
    samples: list[str] = field(default_factory=list)  # the first few unexpected answers, for the report

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def max_ms(self) -> float:
        return max(self.latencies) * 1000 if self.latencies else float("nan")

    def pct(self, q: float) -> float:
        """Nearest-rank percentile, in ms."""
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        rank = max(1, min(len(xs), int(-(-q * len(xs) // 100))))
        return xs[rank - 1] * 1000


# A sender is opened once per client thread and called with one item per request: -> (HTTP status, body).
Sender = Callable[[object], tuple[int, bytes]]


def run_clients(
    items: list,
    concurrency: int,
    open_sender: Callable[[], tuple[Sender, Callable[[], None]]],
    expected: Callable[[bytes], bool],
    *,
    time_limit: float,
    cell: Cell,
) -> Cell:
    """Send every item once with `concurrency` client threads (each opens its own sender); record the latencies."""
    lock = threading.Lock()
    next_index = iter(range(len(items)))
    barrier = threading.Barrier(concurrency + 1)
    stop_at = [0.0]
    spans: list[tuple[float, float]] = []

    def take() -> int | None:
        with lock:
            if time.monotonic() > stop_at[0]:
                cell.truncated = True
                return None
            return next(next_index, None)

    def client() -> None:
        send, close = open_sender()
        lat: list[float] = []
        errors = wrong = 0
        barrier.wait()
        first = last = time.perf_counter()
        while (i := take()) is not None:
            t0 = time.perf_counter()
            status, payload = send(items[i])
            t1 = time.perf_counter()
            lat.append(t1 - t0)
            ok = status == 200 and expected(payload)
            if status != 200:
                errors += 1
            elif not ok:
                wrong += 1
            if not ok:
                with lock:
                    if len(cell.samples) < 3:
                        cell.samples.append(f"HTTP {status}: {describe_answer(payload)}")
            last = t1
        close()
        with lock:
            cell.latencies.extend(lat)
            cell.errors += errors
            cell.wrong += wrong
            spans.append((first, last))

    threads = [threading.Thread(target=client, name=f"bench-client-{n}", daemon=True) for n in range(concurrency)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + time_limit
    barrier.wait()
    began = time.monotonic()
    for t in threads:
        t.join(timeout=time_limit + 60)
    cell.window = (began, time.monotonic())
    if spans:
        cell.elapsed = max(e for _, e in spans) - min(s for s, _ in spans)
    return cell


def http_sender(port: int, secret: str) -> Callable[[], tuple[Sender, Callable[[], None]]]:
    """Slack-signed POSTs on one keep-alive connection per client thread."""

    def open_sender():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def send(body) -> tuple[int, bytes]:
            content_type, text = body
            data = text.encode()
            try:
                conn.request("POST", EVENTS_PATH, body=data, headers=signed_headers(content_type, data, secret))
                resp = conn.getresponse()
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()  # http.client reconnects on the next request
                return 0, b""

        return send, conn.close

    return open_sender


def views_open_sender(api_url: str, view: dict) -> Callable[[], tuple[Sender, Callable[[], None]]]:
    """views.open straight to the stand-in, through `bot.slack.make_client` as the app calls it: Slack itself."""

    def open_sender():
        from slack_sdk.errors import SlackApiError

        from bot.settings import Settings
        from bot.slack.client import make_client

        client = make_client(
            Settings(
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_api_url=api_url,
                database_url="sqlite://",
            )
        )

        def send(trigger_id) -> tuple[int, bytes]:
            try:
                client.views_open(trigger_id=trigger_id, view=view)
                return 200, b""
            except (SlackApiError, OSError) as exc:
                return 0, repr(exc).encode()

        return send, lambda: None

    return open_sender


def load(
    port: int,
    bodies: list[tuple[str, str]],
    concurrency: int,
    *,
    app: str,
    kind: str,
    secret: str,
    time_limit: float,
    cell: Cell | None = None,
) -> Cell:
    """Send every body once with `concurrency` client threads, each on its own keep-alive connection."""
    cell = cell or Cell("", kind, concurrency, app)
    return run_clients(
        bodies,
        concurrency,
        http_sender(port, secret),
        lambda payload: is_expected(app, kind, payload),
        time_limit=time_limit,
        cell=cell,
    )


# ---------------------------------------------------------------------------------------------------------
# Report


def fmt_ms(v: float, width: int = 7) -> str:
    return f"{v:{width}.1f}" if v == v else " " * (width - 3) + "n/a"


def median(xs: list[float]) -> float:
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def span(xs: list[float], digits: int = 1) -> str:
    xs = [x for x in xs if x == x]
    if len(xs) < 2:
        return ""
    return f"{min(xs):.{digits}f}-{max(xs):.{digits}f}"


class Results:
    """The cells of a run, by (db, server, kind, concurrency, app), one per round (the stand-in's under server "")."""

    def __init__(self, cells: list[Cell]) -> None:
        self.cells = cells
        self.by: dict[tuple, list[Cell]] = {}
        for c in cells:
            self.by.setdefault((c.db, c.server, c.kind, c.concurrency, c.app), []).append(c)

    def rounds(self, db: str, server: str, kind: str, conc: int, app: str) -> list[Cell]:
        if app == SLACK:
            server = ""
        return sorted(self.by.get((db, server, kind, conc, app), []), key=lambda c: c.round)

    def value(self, db, server, kind, conc, app, q: float) -> float:
        return median([c.pct(q) for c in self.rounds(db, server, kind, conc, app)])

    def ratios(self, db, server, kind, conc, app, q, base_app, base_q=None) -> list[float]:
        """Per round: app's percentile q / the baseline's percentile (same round, same server)."""
        base = {c.round: c for c in self.rounds(db, server, kind, conc, base_app)}
        out = []
        for c in self.rounds(db, server, kind, conc, app):
            b = base.get(c.round)
            if b and b.requests and c.requests:
                out.append(c.pct(q) / b.pct(base_q or q))
        return out

    def dbs(self) -> list[str]:
        return list(dict.fromkeys(c.db for c in self.cells))

    def servers(self, db: str) -> list[str]:
        return list(dict.fromkeys(c.server for c in self.cells if c.db == db and c.server))

    def kinds(self) -> list[str]:
        return [k for k in KINDS if any(c.kind == k for c in self.cells)]

    def concurrencies(self) -> list[int]:
        return sorted({c.concurrency for c in self.cells})


def print_table(res: Results) -> None:
    head = (
        f"{'kind':<17} {'c':>3} | {'cstbot p50':>10} {'p99':>7} {'p99 spread':>13} {'max':>7} {'req/s':>6} "
        f"{'err':>4} | {'bare p50':>8} {'p99':>6} | {'floor p50':>9} {'p99':>6} | {'slack p50':>9} {'p99':>6} | "
        f"{'p99/bare':>8} {'p50/floor':>9} {'p99/floor':>9} {'p99/slack':>9}"
    )
    for db in res.dbs():
        for server in res.servers(db):
            print(f"\n{db}, {server}: medians over the rounds, ms (spread: lowest-highest round)")
            print(head)
            print("-" * len(head))
            for kind in res.kinds():
                for conc in res.concurrencies():
                    cst = res.rounds(db, server, kind, conc, "cstbot")
                    if not cst:
                        continue

                    def v(app, q, kind=kind, conc=conc, server=server, db=db):
                        return res.value(db, server, kind, conc, app, q)

                    def r(app, q, base, base_q=None, kind=kind, conc=conc, server=server, db=db):
                        xs = res.ratios(db, server, kind, conc, app, q, base, base_q)
                        return f"{median(xs):9.2f}" if xs else f"{'':9}"

                    failed = sum(
                        c.errors + c.wrong for app in (*APPS, SLACK) for c in res.rounds(db, server, kind, conc, app)
                    )
                    print(
                        f"{KIND_LABEL[kind]:<17} {conc:>3} | {fmt_ms(v('cstbot', 50), 10)} {fmt_ms(v('cstbot', 99))} "
                        f"{span([c.pct(99) for c in cst]):>13} {fmt_ms(max(c.max_ms for c in cst))} "
                        f"{median([c.throughput for c in cst]):6.0f} {failed:>4} | {fmt_ms(v('bare', 50), 8)} "
                        f"{fmt_ms(v('bare', 99), 6)} | {fmt_ms(v('floor', 50), 9)} {fmt_ms(v('floor', 99), 6)} | "
                        f"{fmt_ms(v(SLACK, 50), 9)} {fmt_ms(v(SLACK, 99), 6)} | "
                        f"{r('cstbot', 99, 'bare')[1:]} {r('cstbot', 50, 'floor')} {r('cstbot', 99, 'floor')} "
                        f"{r('cstbot', 99, SLACK)}" + (" (time limit hit)" if any(c.truncated for c in cst) else "")
                    )


@dataclass
class Target:
    name: str
    ratios: list[float]  # per round; empty when not measured
    limit: float

    @property
    def met(self) -> bool | None:
        return None if not self.ratios else median(self.ratios) <= self.limit

    def line(self) -> str:
        if not self.ratios:
            return f"{self.name}: not measured"
        within = sum(x <= self.limit for x in self.ratios)
        return (
            f"{self.name}: {median(self.ratios):.2f}x (rounds {span(self.ratios, 2) or f'{self.ratios[0]:.2f}'}; "
            f"within {self.limit}x in {within} of {len(self.ratios)}): {'MET' if self.met else 'NOT MET'}"
        )


def targets(res: Results, db: str, server: str) -> tuple[list[Target], list[str], int]:
    """The issue's ratio targets, the absolute checks, and how many of all were met."""
    found = [
        Target(
            "ask submission p50, c=1, x floor p50",
            res.ratios(db, server, "ask", 1, "cstbot", 50, "floor"),
            ASK_FLOOR_RATIO,
        ),
        Target(
            "ask submission p99, c=8, x floor p99",
            res.ratios(db, server, "ask", 8, "cstbot", 99, "floor"),
            ASK_FLOOR_RATIO,
        ),
    ]
    for conc in res.concurrencies():
        found.append(
            Target(
                f"/cst help p99, c={conc}, x bare p99",
                res.ratios(db, server, "help", conc, "cstbot", 99, "bare"),
                HELP_BARE_RATIO,
            )
        )
    found.append(
        Target(
            "modal open p99, c=32, x views.open p99 (stand-in, c=32)",
            res.ratios(db, server, "modal", 32, "cstbot", 99, SLACK),
            MODAL_SLACK_RATIO,
        )
    )
    cst = [c for c in res.cells if c.db == db and c.server == server and c.app == "cstbot"]
    worst = max((c.max_ms for c in cst), default=float("nan"))
    failed = sum(c.errors + c.wrong for c in cst)
    checks = [
        f"no request over {MAX_LATENCY_MS / 1000:.0f} s (cstbot's slowest: {worst:.0f} ms): "
        + ("MET" if worst <= MAX_LATENCY_MS else "NOT MET"),
        f"no error (cstbot: {sum(c.errors for c in cst)} errors, {sum(c.wrong for c in cst)} wrong answers "
        f"in {sum(c.requests for c in cst)} requests): " + ("MET" if not failed else "NOT MET"),
    ]
    met = sum(bool(t.met) for t in found) + (worst <= MAX_LATENCY_MS) + (not failed)
    return found, checks, met


def print_targets(res: Results) -> None:
    print("\nTargets of issue 14 (medians of the per-round ratios; reported, not asserted)")
    for db in res.dbs():
        for server in res.servers(db):
            found, checks, met = targets(res, db, server)
            print(f"  {db}, {server}: {met} of {len(found) + len(checks)} met")
            for t in found:
                print(f"    {t.line()}")
            for line in checks:
                print(f"    {line}")


def print_comparison(res: Results) -> None:
    """cstbot's p99 under each server model side by side, and a score: the geometric mean over the cells of
    p99 / the best model's p99 in that cell (1.00 = best everywhere)."""
    for db in res.dbs():
        servers = res.servers(db)
        if len(servers) < 2:
            continue
        print(f"\nServer models on {db}: cstbot p99 ms, median over the rounds (p50 in brackets)")
        head = f"{'kind':<17} {'c':>3} " + "".join(f"| {s:>20} " for s in servers)
        print(head)
        print("-" * len(head))
        rel: dict[str, list[float]] = {s: [] for s in servers}
        for kind in res.kinds():
            for conc in res.concurrencies():
                p99 = {s: res.value(db, s, kind, conc, "cstbot", 99) for s in servers}
                p50 = {s: res.value(db, s, kind, conc, "cstbot", 50) for s in servers}
                if all(v != v for v in p99.values()):
                    continue
                best = min(v for v in p99.values() if v == v)
                for s in servers:
                    if p99[s] == p99[s]:
                        rel[s].append(p99[s] / best)
                print(
                    f"{KIND_LABEL[kind]:<17} {conc:>3} " + "".join(f"| {p99[s]:9.1f} ({p50[s]:7.1f}) " for s in servers)
                )
        scores = {
            s: math.exp(statistics.fmean(math.log(x) for x in xs)) if xs else float("nan") for s, xs in rel.items()
        }
        met = {s: targets(res, db, s)[2] for s in servers}
        print(f"{'p99 / best, geometric mean':<21} " + "".join(f"| {scores[s]:20.2f} " for s in servers))
        print(f"{'targets met':<21} " + "".join(f"| {met[s]:20d} " for s in servers))
        ranked = sorted(servers, key=lambda s: scores[s])
        print(f"best on {db}: {ranked[0]} (the lowest score; the targets met are in the list above)")


def read_tx(directory: Path) -> list[tuple[float, float, float, float]]:
    rows = []
    for path in directory.glob("tx-*.txt"):
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                end, first, hold, commit = (float(x) for x in line.split())
                rows.append((end, first, hold, commit))
    return rows


def print_lock_stats(cells: list[Cell]) -> None:
    print(
        "\nWrite transactions inside cstbot (--lock-stats; ms). first write = the statement that takes the write "
        "lock (first INSERT/UPDATE/DELETE, or BEGIN IMMEDIATE; SQLite: includes waiting for its single write "
        "lock); failed = transactions that failed there (e.g. 'database is locked'); held = first write -> end "
        "of COMMIT"
    )
    head = (
        f"{'db, server':<24} {'kind':<24} {'conc':>4} {'tx':>6} {'failed':>6} {'first write p50':>15} {'p99':>8} "
        f"{'max':>8} {'held p50':>9} {'p99':>8} {'commit p50':>10} {'p99':>7}"
    )
    print(head)
    print("-" * len(head))
    for c in cells:
        if c.app != "cstbot" or not c.tx:
            continue
        done = [t for t in c.tx if t[1] >= 0]
        failed = len(c.tx) - len(done)
        first = Cell("", "", 0, "", latencies=[t[0] for t in c.tx])
        held = Cell("", "", 0, "", latencies=[t[1] for t in done])
        commit = Cell("", "", 0, "", latencies=[t[2] for t in done])
        print(
            f"{c.db + ', ' + c.server:<24} {KIND_LABEL[c.kind]:<24} {c.concurrency:>4} {len(c.tx):>6} {failed:>6} "
            f"{first.pct(50):15.2f} "
            f"{first.pct(99):8.1f} {max(first.latencies) * 1000:8.1f} {held.pct(50):9.2f} {held.pct(99):8.1f} "
            f"{commit.pct(50):10.2f} {commit.pct(99):7.1f}"
        )


def code_state() -> str:
    """Which code was measured: HEAD plus the uncommitted files the app is made of (read-only git calls)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "bot", "store", "routing", "templates"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "code: (git unavailable)"
    return f"code: git {head or '?'} + {len(dirty)} uncommitted file(s) under bot/ store/ routing/ templates/"


def machine_facts(
    db_servers: dict[str, str], workers: int, threads: int, *, server: str | None = None, web_api: str | None = None
) -> list[str]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    try:
        gevent = f"   gevent {version('gevent')}"
    except PackageNotFoundError:
        gevent = ""
    return [
        code_state() + f"   load average (1 min) at the end: {load:.1f}",
        f"nproc: {cpus}   python: {platform.python_version()} ({platform.python_implementation()})   "
        f"platform: {platform.platform()}",
        f"slack_bolt {version('slack_bolt')}   slack_sdk {version('slack_sdk')}   gunicorn {version('gunicorn')}   "
        f"SQLAlchemy {version('sqlalchemy')}{gevent}",
        "database: " + "; ".join(f"{k}: {v}" for k, v in db_servers.items()),
        "server: "
        + (
            server
            or f"gunicorn gthread, {workers} workers x {threads} threads, keep-alive 5 s, backlog 512, one "
            "subprocess per app, both running for the whole run (only one is loaded at a time)"
        ),
        "client: this process, one thread per concurrent client, each with its own http.client keep-alive "
        "connection; Slack v0 signature over a fresh timestamp per request; latency = send to last byte read",
        "Web API: "
        + (web_api or "SlackStandIn in this process")
        + "; outbox dispatcher and scheduler NOT running (rows accumulate)",
    ]


# In-process profile of one cstbot request (no HTTP server): where does the time go?

PROFILE_SECTIONS: list[tuple[str, str, str]] = [
    # label, file suffix, function name
    ("WebApp.__call__ (whole request)", "bot/web.py", "__call__"),
    ("  parse body (_Request.__init__)", "bot/web.py", "__init__"),
    ("  signature check", "slack_sdk/signature/__init__.py", "is_valid"),
    ("  Bolt App.dispatch", "slack_bolt/app/app.py", "dispatch"),
    ("    listener: handle_cst", "bot/handlers/commands.py", "handle_cst"),
    ("    listener: handle_ask", "bot/handlers/views.py", "handle_ask"),
    ("      store.directory.load_directory", "store/directory.py", "load_directory"),
    ("        routing Directory.build", "routing/directory.py", "build"),
    ("      Service.start", "bot/service.py", "start"),
    ("        routing.engine.decide", "routing/engine.py", "decide"),
    ("        Service._apply", "bot/service.py", "_apply"),
    ("      templates.render_text", "templates/__init__.py", "render_text"),
    ("      templates.render_json", "templates/__init__.py", "render_json"),
    ("      sqlalchemy Session.commit", "sqlalchemy/orm/session.py", "commit"),
    ("      sqlalchemy Session.flush", "sqlalchemy/orm/session.py", "flush"),
    ("      DB driver execute (do_execute)", "sqlalchemy/engine/default.py", "do_execute"),
    ("      pool checkout", "sqlalchemy/pool/base.py", "_checkout"),
    ("      pool return (_finalize_fairy)", "sqlalchemy/pool/base.py", "_finalize_fairy"),
]


def call_wsgi(app, content_type: str, body: str, secret: str) -> tuple[str, bytes]:
    data = body.encode()
    headers = signed_headers(content_type, data, secret)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": EVENTS_PATH,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        if name != "Content-Type":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    status: list[str] = []
    result = app(environ, lambda s, h, exc_info=None: status.append(s))
    out = b"".join(result)
    return status[0], out


def profile(url: str, api_url: str, kinds: tuple[str, ...], district_id: int, n: int) -> None:
    import cProfile
    import pstats

    os.environ.update({ENV_DATABASE_URL: url, ENV_SLACK_API_URL: api_url, ENV_SIGNING_SECRET: SIGNING_SECRET})
    cst, bare = make_cstbot(), make_bare()
    from sqlmodel import Session

    from store.directory import load_directory

    for _ in range(20):
        with Session(cst.engine) as s:
            load_directory(session=s)
    t0 = time.perf_counter()
    for _ in range(n):
        with Session(cst.engine) as s:
            load_directory(session=s)
    dir_ms = (time.perf_counter() - t0) / n * 1000
    print(
        f"\nIn-process profile ({url.split(':', 1)[0]}, one thread, no HTTP server, {n} requests per kind after "
        f"warm-up; times per request, cProfile overhead included in the profiled column)"
    )
    for kind in kinds:
        bodies = build_bodies(kind, 3 * n + 40, district_id=district_id)
        for app in (cst, bare):
            for body in bodies[:40]:
                call_wsgi(app, *body, SIGNING_SECRET)
        bodies = bodies[40:]
        timings = {}
        for name, app, chunk in (("cstbot", cst, bodies[:n]), ("bare", bare, bodies[n : 2 * n])):
            t0 = time.perf_counter()
            for body in chunk:
                status, out = call_wsgi(app, *body, SIGNING_SECRET)
                if not status.startswith("200") or not is_expected(name, kind, out):
                    raise RuntimeError(f"{name} {kind}: unexpected answer {status} {out[:200]!r}")
            timings[name] = (time.perf_counter() - t0) / n * 1000
        prof = cProfile.Profile()
        prof.enable()
        for body in bodies[2 * n : 3 * n]:
            call_wsgi(cst, *body, SIGNING_SECRET)
        prof.disable()
        stats = pstats.Stats(prof)
        total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
        print(
            f"\n{KIND_LABEL[kind]}: cstbot {timings['cstbot']:.2f} ms/request, bare Bolt "
            f"{timings['bare']:.2f} ms/request (unprofiled); profiled cstbot {total / n * 1000:.2f} ms/request"
        )
        print(f"  {'section':<44} {'ms/req':>7} {'share':>6} {'calls/req':>9}")
        whole = None
        dir_calls = 0.0
        for label, suffix, func in PROFILE_SECTIONS:
            hits = [
                (k, v)
                for k, v in stats.stats.items()  # type: ignore[attr-defined]
                if k[2] == func and k[0].replace(os.sep, "/").endswith(suffix)
            ]
            if not hits:
                continue
            # Same-named functions in one file usually wrap each other (Session.commit -> SessionTransaction
            # .commit): take the outermost (largest cumulative) rather than a double-counting sum.
            _key, top = max(hits, key=lambda kv: kv[1][3])
            ct = top[3] / n * 1000
            calls = top[1] / n
            if whole is None:
                whole = ct
            if func == "load_directory":
                dir_calls = calls
            print(f"  {label:<44} {ct:7.2f} {ct / whole * 100 if whole else 0:5.0f}% {calls:9.1f}")
        print(
            f"  unprofiled: load_directory alone costs {dir_ms:.2f} ms/call here; x {dir_calls:.0f} call(s)/request"
            " = "
            f"{dir_ms * dir_calls:.2f} ms = {dir_ms * dir_calls / timings['cstbot'] * 100:.0f}% of the request"
        )
        print("  top 12 functions by own time:")
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:12]  # type: ignore[attr-defined]
        for (fname, line, func), (_cc, nc, tt, _ct, _callers) in rows:
            where = _short(fname)
            print(f"    {tt / n * 1000:6.2f} ms/req {nc / n:7.1f} calls/req  {where}:{line}({func})")


def _short(path: str) -> str:
    path = path.replace(os.sep, "/")
    repo = str(Path(__file__).resolve().parent.parent).replace(os.sep, "/") + "/"
    for marker in ("site-packages/", repo, "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


# ---------------------------------------------------------------------------------------------------------


def rotated(xs: list, n: int) -> list:
    n %= len(xs) or 1
    return xs[n:] + xs[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, one round: a smoke run")
    parser.add_argument("--postgres", metavar="URL", help="also run against PostgreSQL (a throwaway schema in URL)")
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated client counts (default 1,8,32)")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated: {', '.join(KINDS)} (default all)")
    parser.add_argument(
        "--servers",
        default="serve",
        help="comma-separated server models to compare, interleaved: serve (`cstbot serve`'s), gthread:T, "
        "gthread:WxT, gevent:C, gevent:WxC (T threads / C connections per process; W processes, by default "
        "`cstbot serve`'s: 1 on SQLite, 2 on PostgreSQL). Default: serve",
    )
    parser.add_argument("--workers", type=int, help="shorthand for --servers gthread:WORKERSxTHREADS")
    parser.add_argument("--threads", type=int, help="with --workers: threads per process")
    parser.add_argument(
        "--rounds", type=int, help="times each cell runs, server models interleaved (default 2; quick 1)"
    )
    parser.add_argument(
        "--slack-latency",
        default=DEFAULT_SLACK_LATENCY,
        help=f"the stand-in's answer time by method prefix, in ms (default {DEFAULT_SLACK_LATENCY}; 0: none)",
    )
    parser.add_argument("--requests-c1", type=int, help="requests per cell at concurrency 1 (default 300; quick 60)")
    parser.add_argument("--requests", type=int, help="requests per cell at concurrency > 1 (default 800; quick 160)")
    parser.add_argument(
        "--modal-requests-c1", type=int, help="modal opens per cell at concurrency 1 (default 60; quick 20)"
    )
    parser.add_argument(
        "--cell-time-limit",
        type=float,
        default=60.0,
        help="seconds; a cell stops sending after this and is marked (default 60)",
    )
    parser.add_argument(
        "--lock-stats",
        action="store_true",
        help="also time cstbot's write transactions inside the workers (SQLAlchemy events)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile cstbot in-process (cProfile)")
    parser.add_argument("--profile-only", action="store_true", help="only the in-process profile, no servers")
    parser.add_argument("--serve-slack", metavar="DELAYS", help=argparse.SUPPRESS)  # SlackProcess's child
    args = parser.parse_args(argv)
    if args.serve_slack is not None:
        return serve_slack(args.serve_slack)

    from bot.demo.standin.latency import parse_delays

    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    if not set(kinds) <= set(KINDS):
        parser.error(f"--kinds: choose from {', '.join(KINDS)}")
    specs = args.servers.split(",")
    if args.workers or args.threads:
        specs = [f"gthread:{args.workers or WORKERS}x{args.threads or THREADS}"]
    try:
        candidates = [Candidate.parse(s) for s in specs if s.strip()]
        delays = parse_delays(args.slack_latency)
    except ValueError as exc:
        parser.error(str(exc))
    n1 = args.requests_c1 or (60 if args.quick else 300)
    nn = args.requests or (160 if args.quick else 800)
    modal_n1 = args.modal_requests_c1 or (20 if args.quick else 60)
    rounds = args.rounds or (1 if args.quick else 2)
    db_kinds = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    if not db_kinds:
        parser.error("nothing to run: --no-sqlite needs --postgres")

    def count(kind: str, conc: int) -> int:
        if kind == "modal":  # ~10 opens/s per client under Slack's 100 ms: keep each cell to a few seconds
            return modal_n1 if conc == 1 else min(nn, 50 * conc)
        return n1 if conc == 1 else nn

    def warm_count(kind: str, conc: int) -> int:
        return max(2 * conc, 10) if kind == "modal" else max(4 * conc, 20 if args.quick else 50)

    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    started = time.monotonic()
    cells: list[Cell] = []
    db_servers: dict[str, str] = {}
    seen_methods: Counter[str] = Counter()
    problem: str | None = None
    server_problems: dict[str, int] = {}
    labels_by_db: dict[str, list[str]] = {}

    def note(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {text}", file=sys.stderr, flush=True)

    with (
        tempfile.TemporaryDirectory(prefix="cstbot-bench-") as tmpdir,
        SlackProcess(args.slack_latency) as slack,
        contextlib.ExitStack() as stack,
    ):
        tmp = Path(tmpdir)
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CSTBOT_", "DATABASE_URL"))}
        child_env.update(
            {
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                ENV_SLACK_API_URL: slack.base_url,
                ENV_SIGNING_SECRET: SIGNING_SECRET,
                "PYTHONUNBUFFERED": "1",
            }
        )
        ask_view: dict = dict(FLOOR_VIEW)  # replaced by the first modal cstbot opens (the real one, for Slack's cell)

        def opened_count(triggers: list[str]) -> int:
            """How many of `triggers` the stand-in saw opened since its last clear; then clear it."""
            nonlocal ask_view
            methods, opened, view = slack.drain()
            seen_methods.update(methods)
            if view:
                ask_view = view
            found = set(opened)
            return sum(t in found for t in triggers)

        for db in db_kinds:
            url = stack.enter_context(database(db, tmp, args.postgres))
            district_id, db_servers[db] = prepare(url)
            if args.profile_only:
                profile(
                    url,
                    slack.base_url,
                    tuple(k for k in kinds if k != "modal"),
                    district_id,
                    200 if not args.quick else 40,
                )
                continue
            models: dict[str, object] = {}
            for cand in candidates:
                model = cand.model(url)
                models.setdefault(model.label, model)
            labels = labels_by_db[db] = list(models)
            tx_dirs: dict[str, Path] = {}
            probe = signed_probe(build_bodies("help", 1, district_id=district_id)[0], SIGNING_SECRET)
            starts = itertools.count(1)  # a fresh log file per start

            def start_group(
                label: str, db=db, url=url, probe=probe, tx_dirs=tx_dirs, models=models, starts=starts
            ) -> dict[str, Gunicorn]:
                """cstbot, bare and floor under one server model. Only one model's servers run at a time: a
                shared PostgreSQL has few connections to spare (each process pools up to 15)."""
                model = models[label]
                tag = re.sub(r"\W+", "-", label)
                group: dict[str, Gunicorn] = {}
                for app in APPS:
                    env = dict(child_env, **{ENV_DATABASE_URL: url})
                    if app == "cstbot" and args.lock_stats:
                        tx_dirs.setdefault(label, tmp / f"tx-{db}-{tag}").mkdir(exist_ok=True)
                        env[ENV_LOCK_STATS] = str(tx_dirs[label])
                    server = Gunicorn(
                        f"{app}-{db}-{tag}-{next(starts)}",
                        APP_TARGET[app],
                        env,
                        tmp,
                        workers=model.workers,
                        threads=model.threads,
                        worker_class=model.worker_class,
                    )
                    stack.callback(server.stop)
                    server.start()
                    group[app] = server
                group["cstbot"].wait_ready(healthz_ok)
                group["bare"].wait_ready(probe)
                group["floor"].wait_ready(probe)
                return group

            def stop_group(label: str, group: dict[str, Gunicorn], db=db) -> None:
                for app, server in group.items():
                    server.stop()
                    for line, times in server.problems().items():
                        key = f"{db}, {label}, {app}: {line}"
                        server_problems[key] = server_problems.get(key, 0) + times

            def measure(
                server: Gunicorn, app: str, kind: str, conc: int, label: str, rnd: int, db=db, district_id=district_id
            ) -> None:
                n, warm = count(kind, conc), warm_count(kind, conc)
                bodies = build_bodies(kind, warm + n, district_id=district_id)
                load(
                    server.port,
                    bodies[:warm],
                    conc,
                    app=app,
                    kind=kind,
                    secret=SIGNING_SECRET,
                    time_limit=args.cell_time_limit,
                )
                opened_count([])
                cell = load(
                    server.port,
                    bodies[warm:],
                    conc,
                    app=app,
                    kind=kind,
                    secret=SIGNING_SECRET,
                    time_limit=args.cell_time_limit,
                    cell=Cell(db, kind, conc, app, label, rnd),
                )
                if kind == "modal" and app != "bare":
                    sent = [trigger_of(b) for b in bodies[warm:][: cell.requests]]
                    missing = len(sent) - opened_count(sent)
                    if missing:
                        cell.wrong += missing
                        cell.samples.append(f"{missing} of {len(sent)} requests opened no modal")
                cells.append(cell)
                server.check_alive()
                note(
                    f"{db} {label} {kind} c={conc} round {rnd + 1} {app}: {cell.requests} req, "
                    f"{cell.throughput:.0f} req/s, p50 {cell.pct(50):.1f} p99 {cell.pct(99):.1f} ms"
                )

            def measure_slack(kind: str, conc: int, rnd: int, db=db) -> None:
                n, warm = count(kind, conc), warm_count(kind, conc)
                triggers = [f"{next(_TRIGGERS)}.bench.slack" for _ in range(warm + n)]
                sender = views_open_sender(slack.base_url, ask_view)
                run_clients(
                    triggers[:warm],
                    conc,
                    sender,
                    lambda _p: True,
                    time_limit=args.cell_time_limit,
                    cell=Cell(db, kind, conc, SLACK),
                )
                cell = run_clients(
                    triggers[warm:],
                    conc,
                    sender,
                    lambda _p: True,
                    time_limit=args.cell_time_limit,
                    cell=Cell(db, kind, conc, SLACK, "", rnd),
                )
                opened_count([])
                cells.append(cell)
                note(
                    f"{db} {kind} c={conc} round {rnd + 1} views.open straight to the stand-in: "
                    f"p50 {cell.pct(50):.1f} p99 {cell.pct(99):.1f} ms"
                )

            opened_count([])
            # Interleaved: per kind and round, every server model in turn (a rotated order each round), its
            # servers started for that block and stopped after it; the stand-in's own cells close the round.
            for kind in kinds:
                for rnd in range(rounds):
                    for label in rotated(labels, rnd):
                        group = start_group(label)
                        note(f"{db}, {label}: " + ", ".join(f"{app} on :{s.port}" for app, s in group.items()))
                        try:
                            for conc in concurrencies:
                                for app in APPS:
                                    measure(group[app], app, kind, conc, label, rnd)
                        finally:
                            stop_group(label, group)
                    if kind == "modal":
                        for conc in concurrencies:
                            measure_slack(kind, conc, rnd)
            if args.lock_stats:
                for label, directory in tx_dirs.items():
                    rows = read_tx(directory)
                    for cell in cells:
                        if cell.db == db and cell.server == label and cell.app == "cstbot":
                            lo, hi = cell.window
                            cell.tx = [(f, h, c) for end, f, h, c in rows if lo <= end <= hi]
            if args.profile:
                profile(
                    url, slack.base_url, tuple(k for k in kinds if k != "modal"), district_id, 40 if args.quick else 200
                )
        opened_count([])
        os.environ.update(
            {ENV_DATABASE_URL: "sqlite://", ENV_SLACK_API_URL: slack.base_url, ENV_SIGNING_SECRET: SIGNING_SECRET}
        )
        problem = client_problem()
    elapsed = time.monotonic() - started

    if cells:
        res = Results(cells)
        print()
        models = "; ".join(f"{db}: {', '.join(labels)}" for db, labels in labels_by_db.items())
        latency = ", ".join(f"{p or '*'} {s * 1000:.0f} ms" for p, s in delays.items()) or "none"
        print(f"cstbot vs a bare Bolt app, the floor and Slack itself, over HTTP; {rounds} round(s), interleaved")
        for line in machine_facts(
            db_servers,
            WORKERS,
            THREADS,
            server=f"gunicorn ({models}); per model three servers (cstbot, bare, floor), started for each "
            "block (one kind, one round) and stopped after it, one model at a time; keep-alive 5 s, backlog 512",
            web_api=f"SlowSlackStandIn in a process of its own, answering after: {latency}",
        ):
            print(line)
        methods = ", ".join(f"{m} x{k}" for m, k in seen_methods.most_common()) or "none"
        print(f"Web API calls received by the stand-in during the run: {methods}")
        if problem:
            print(f"NOTE: bot.slack.make_client fails ({problem}); the bench built cstbot with a plain WebClient.")
        print_table(res)
        print_targets(res)
        print_comparison(res)
        if args.lock_stats:
            print_lock_stats(cells)
        for line, times in server_problems.items():
            print(f"server log ({times}x): {line}")
        for c in cells:
            for sample in dict.fromkeys(c.samples):
                print(f"unexpected: {c.db} {c.server} {c.kind} c={c.concurrency} {c.app} round {c.round + 1}: {sample}")
        print(
            "\ncstbot: the real app; bare: Bolt with listeners that only ack(); floor: the least the request must do "
            "(ask submission: one INSERT + COMMIT; modal: views.open); slack: views.open straight to the stand-in "
            "at the same concurrency. err = errors (not HTTP 200) + wrong answers (cstbot's apology, or no modal "
            "opened) of all apps in the cell. Ratios are taken within a round, then the median."
        )
    print(f"\nwall time: {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
