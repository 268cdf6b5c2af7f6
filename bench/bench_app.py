"""Latency and throughput of the real cstbot WSGI app next to a bare Bolt app, both under gunicorn gthread.

Run from the repository root::

    python bench/bench_app.py            # full run (about 1-2 minutes on 2 cores)
    python bench/bench_app.py --quick    # smoke run (about 20 s)
    python bench/bench_app.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/bench_app.py --profile  # also: where one cstbot request spends its time

What it does (see bench/README.md):

1. A temp SQLite database (and, with ``--postgres URL``, a throwaway schema there too), migrated with
   ``store.migrate.upgrade`` and loaded with the e2e test roster; a ``SlackStandIn`` (tests/harness) in this
   process as the Web API.
2. Two gunicorn servers, each in its own subprocess and process group, on 127.0.0.1 sockets this script binds
   (ephemeral ports, handed over as ``fd://N``), configured like ``cstbot serve`` (gthread, 2 workers x 8
   threads, keep-alive 5 s, backlog 512): ``bench.bench_app:make_cstbot()`` (the real app, built by
   ``bot.slack.server.make_wsgi``) and ``bench.bench_app:make_bare()`` (Bolt, ``process_before_response=True``,
   listeners that only ``ack()``). The factories read their configuration from ``CSTBOT_BENCH_*`` variables.
3. A client pool in this process: one thread per concurrent client, each with its own ``http.client``
   keep-alive connection, sending Slack-signed requests (v0 HMAC over a fresh timestamp per request).
   Kinds: ``/cst help`` by USTAFF001, and a ``cst_ask`` view_submission (a district question for district 1)
   which writes an item, its audit event and outbox rows. The outbox dispatcher does NOT run: rows pile up.
4. A table per database kind, with cstbot/bare ratios, and whether the issue's targets are met (not asserted).

The script only ever stops what it started (its gunicorn process groups, its stand-in, its temp files/schema).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

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
WORKERS, THREADS = 2, 8  # like `cstbot serve` (bot/cli: --workers/--threads defaults)

KINDS = ("help", "ask")
KIND_LABEL = {"help": "/cst help", "ask": "view_submission cst_ask"}

# The targets of the issue: cstbot's p99 at most 1.5x the bare app's, and well under 1 s at concurrency 32.
P99_RATIO_TARGET = 1.5
P99_ABS_TARGET_MS = 1000.0
ABS_TARGET_CONCURRENCY = 32


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
    """A bare Bolt app answering the same requests with a bare ack(): the floor cstbot is compared with."""
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


def build_bodies(kind: str, count: int, *, district_id: int) -> list[tuple[str, str]]:
    from bot.ids import Block, Callback

    cap = _capturing_client()
    bodies = []
    for i in range(count):
        if kind == "help":
            bodies.append(cap.slash_command("/cst", "help", user_id=USER))
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
    """A 200 is not enough: cstbot's error handler answers failures with a 200 and an apology."""
    if app == "bare":
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
    """Migrate, import the test roster; return District One's id and a server version string."""
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
    ) -> None:
        self.name = name
        self.workers = workers
        self.threads = threads
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
            "--worker-class",
            "gthread",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
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
# Load generator


@dataclass
class Cell:
    db: str
    kind: str
    concurrency: int
    app: str
    latencies: list[float] = field(default_factory=list)  # seconds, every completed request
    errors: int = 0  # not HTTP 200 (or no response)
    wrong: int = 0  # HTTP 200 but not the expected answer (e.g. cstbot's apology)
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

    def pct(self, q: float) -> float:
        """Nearest-rank percentile, in ms."""
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        rank = max(1, min(len(xs), int(-(-q * len(xs) // 100))))
        return xs[rank - 1] * 1000


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
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
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
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        lat: list[float] = []
        errors = wrong = 0
        barrier.wait()
        first = last = time.perf_counter()
        while (i := take()) is not None:
            content_type, body = bodies[i]
            data = body.encode()
            headers = signed_headers(content_type, data, secret)
            t0 = time.perf_counter()
            try:
                conn.request("POST", EVENTS_PATH, body=data, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                status, payload = 0, b""
                conn.close()  # http.client reconnects on the next request
            t1 = time.perf_counter()
            lat.append(t1 - t0)
            ok = status == 200 and is_expected(app, kind, payload)
            if status != 200:
                errors += 1
            elif not ok:
                wrong += 1
            if not ok:
                with lock:
                    if len(cell.samples) < 3:
                        cell.samples.append(f"HTTP {status}: {describe_answer(payload)}")
            last = t1
        conn.close()
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


# ---------------------------------------------------------------------------------------------------------
# Report


def fmt_ms(v: float) -> str:
    return f"{v:8.1f}" if v == v else "     n/a"


def print_table(cells: list[Cell]) -> None:
    head = (
        f"{'db':<10} {'kind':<24} {'conc':>4} {'app':<6} {'requests':>8} {'errors':>6} {'wrong':>5} "
        f"{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99 x bare':>10} {'req/s x bare':>12}"
    )
    print(head)
    print("-" * len(head))
    by_key = {(c.db, c.kind, c.concurrency, c.app): c for c in cells}
    for c in cells:
        ratio_p99 = ratio_tp = ""
        bare = by_key.get((c.db, c.kind, c.concurrency, "bare"))
        if c.app == "cstbot" and bare and bare.requests and c.requests:
            ratio_p99 = f"{c.pct(99) / bare.pct(99):10.1f}"
            ratio_tp = f"{c.throughput / bare.throughput:12.2f}"
        note = " (time limit hit)" if c.truncated else ""
        print(
            f"{c.db:<10} {KIND_LABEL[c.kind]:<24} {c.concurrency:>4} {c.app:<6} {c.requests:>8} {c.errors:>6} "
            f"{c.wrong:>5} {c.throughput:8.0f} {fmt_ms(c.pct(50))} {fmt_ms(c.pct(99))} {ratio_p99:>10} "
            f"{ratio_tp:>12}{note}"
        )


def print_targets(cells: list[Cell]) -> None:
    by_key = {(c.db, c.kind, c.concurrency, c.app): c for c in cells}
    print(
        f"\nTargets (from the issue; reported, not asserted): cstbot p99 <= {P99_RATIO_TARGET}x bare p99, "
        f"and well under {P99_ABS_TARGET_MS / 1000:.0f} s at concurrency {ABS_TARGET_CONCURRENCY}"
    )
    for c in cells:
        if c.app != "cstbot":
            continue
        bare = by_key.get((c.db, c.kind, c.concurrency, "bare"))
        if not bare or not bare.requests or not c.requests:
            continue
        ratio = c.pct(99) / bare.pct(99)
        failed = c.errors + c.wrong  # a latency target is not met by answering fast with an apology

        def verdict(ok: bool, failed: int = failed) -> str:
            return "MET" if ok and not failed else "NOT MET"

        line = (
            f"  {c.db:<10} {KIND_LABEL[c.kind]:<24} c={c.concurrency:<3} p99 {c.pct(99):7.1f} ms vs bare "
            f"{bare.pct(99):6.1f} ms = {ratio:5.1f}x: {verdict(ratio <= P99_RATIO_TARGET)}"
        )
        if c.concurrency == ABS_TARGET_CONCURRENCY:
            line += f"; p99 < {P99_ABS_TARGET_MS:.0f} ms: {verdict(c.pct(99) < P99_ABS_TARGET_MS)}"
        if failed:
            line += (
                f"  [{c.errors} errors + {c.wrong} wrong answers = {failed / c.requests:.0%} failed; "
                "the latencies include these fast failures]"
            )
        print(line)


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
        f"{'db':<10} {'kind':<24} {'conc':>4} {'tx':>6} {'failed':>6} {'first write p50':>15} {'p99':>8} "
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
            f"{c.db:<10} {KIND_LABEL[c.kind]:<24} {c.concurrency:>4} {len(c.tx):>6} {failed:>6} {first.pct(50):15.2f} "
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


def machine_facts(db_servers: dict[str, str], workers: int, threads: int) -> list[str]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return [
        code_state() + f"   load average (1 min) at the end: {load:.1f}",
        f"nproc: {cpus}   python: {platform.python_version()} ({platform.python_implementation()})   "
        f"platform: {platform.platform()}",
        f"slack_bolt {version('slack_bolt')}   slack_sdk {version('slack_sdk')}   gunicorn {version('gunicorn')}   "
        f"SQLAlchemy {version('sqlalchemy')}",
        "database: " + "; ".join(f"{k}: {v}" for k, v in db_servers.items()),
        f"server: gunicorn gthread, {workers} workers x {threads} threads, keep-alive 5 s, backlog 512, one "
        "subprocess per app, both running for the whole run (only one is loaded at a time)",
        "client: this process, one thread per concurrent client, each with its own http.client keep-alive "
        "connection; Slack v0 signature over a fresh timestamp per request; latency = send to last byte read",
        "Web API: SlackStandIn in this process; outbox dispatcher and scheduler NOT running (rows accumulate)",
    ]


# ---------------------------------------------------------------------------------------------------------
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of ~20 s")
    parser.add_argument("--postgres", metavar="URL", help="also run against PostgreSQL (a throwaway schema in URL)")
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated client counts (default 1,8,32)")
    parser.add_argument("--kinds", default="help,ask", help="comma-separated: help, ask (default both)")
    parser.add_argument("--requests-c1", type=int, help="requests per cell at concurrency 1 (default 400; quick 60)")
    parser.add_argument("--requests", type=int, help="requests per cell at concurrency > 1 (default 1000; quick 160)")
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
    parser.add_argument("--workers", type=int, default=WORKERS, help=f"gunicorn workers per app (default {WORKERS})")
    parser.add_argument("--threads", type=int, default=THREADS, help=f"threads per worker (default {THREADS})")
    parser.add_argument("--profile", action="store_true", help="also profile cstbot in-process (cProfile)")
    parser.add_argument("--profile-only", action="store_true", help="only the in-process profile, no servers")
    args = parser.parse_args(argv)

    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    if not set(kinds) <= set(KINDS):
        parser.error(f"--kinds: choose from {', '.join(KINDS)}")
    n1 = args.requests_c1 or (60 if args.quick else 400)
    nn = args.requests or (160 if args.quick else 1000)
    db_kinds = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    if not db_kinds:
        parser.error("nothing to run: --no-sqlite needs --postgres")

    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from tests.standin import SlackStandIn

    started = time.monotonic()
    cells: list[Cell] = []
    db_servers: dict[str, str] = {}
    stand_in_calls = 0
    problem: str | None = None
    methods = "none"
    server_problems: dict[str, int] = {}
    with (
        tempfile.TemporaryDirectory(prefix="cstbot-bench-") as tmpdir,
        SlackStandIn() as slack,
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
        bare = None
        if not args.profile_only:
            bare = Gunicorn(
                "bare",
                "bench.bench_app:make_bare()",
                dict(child_env, **{ENV_DATABASE_URL: ""}),
                tmp,
                workers=args.workers,
                threads=args.threads,
            )
            stack.callback(bare.stop)
            bare.start()
        for db in db_kinds:
            url = stack.enter_context(database(db, tmp, args.postgres))
            district_id, db_servers[db] = prepare(url)
            if args.profile_only:
                profile(url, slack.base_url, kinds, district_id, 200 if not args.quick else 40)
                continue
            cst_env = dict(child_env, **{ENV_DATABASE_URL: url})
            tx_dir = tmp / f"tx-{db}"
            if args.lock_stats:
                tx_dir.mkdir()
                cst_env[ENV_LOCK_STATS] = str(tx_dir)
            cst = Gunicorn(
                f"cstbot-{db}",
                "bench.bench_app:make_cstbot()",
                cst_env,
                tmp,
                workers=args.workers,
                threads=args.threads,
            )
            stack.callback(cst.stop)
            cst.start()
            cst.wait_ready(healthz_ok)
            bare.wait_ready(signed_probe(build_bodies("help", 1, district_id=district_id)[0], SIGNING_SECRET))
            print(
                f"[{time.monotonic() - started:5.1f} s] {db}: cstbot on :{cst.port}, bare on :{bare.port}, "
                f"stand-in on :{slack.port}",
                file=sys.stderr,
            )
            for kind in kinds:
                for conc in concurrencies:
                    n = n1 if conc == 1 else nn
                    warm = max(4 * conc, 20 if args.quick else 50)
                    for app, server in (("cstbot", cst), ("bare", bare)):
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
                        cell = load(
                            server.port,
                            bodies[warm:],
                            conc,
                            app=app,
                            kind=kind,
                            secret=SIGNING_SECRET,
                            time_limit=args.cell_time_limit,
                            cell=Cell(db, kind, conc, app),
                        )
                        cells.append(cell)
                        server.check_alive()
                        print(
                            f"[{time.monotonic() - started:5.1f} s] {db} {kind} c={conc} {app}: "
                            f"{cell.requests} req, {cell.throughput:.0f} req/s, p99 {cell.pct(99):.1f} ms",
                            file=sys.stderr,
                        )
            cst.stop()
            for line, count in cst.problems().items():
                server_problems[f"{db}: {line}"] = count
            if args.lock_stats:
                rows = read_tx(tx_dir)
                for cell in cells:
                    if cell.db == db and cell.app == "cstbot":
                        lo, hi = cell.window
                        cell.tx = [(f, h, c) for end, f, h, c in rows if lo <= end <= hi]
            if args.profile:
                profile(url, slack.base_url, kinds, district_id, 40 if args.quick else 200)
        stand_in_calls = len(slack.calls)
        methods = ", ".join(f"{m} x{len(slack.calls_to(m))}" for m in dict.fromkeys(slack.methods())) or "none"
        os.environ.update(
            {ENV_DATABASE_URL: "sqlite://", ENV_SLACK_API_URL: slack.base_url, ENV_SIGNING_SECRET: SIGNING_SECRET}
        )
        problem = client_problem()
    elapsed = time.monotonic() - started

    if cells:
        print()
        print(
            f"cstbot vs bare Bolt, gunicorn gthread {args.workers}x{args.threads}, Slack-signed requests over loopback"
        )
        for line in machine_facts(db_servers, args.workers, args.threads):
            print(line)
        print(
            f"Web API calls received by the stand-in during the run: {stand_in_calls} ({methods}: Bolt's "
            "single-team authorization calls auth.test on a worker's first request(s), then caches it)"
        )
        if problem:
            print(
                f"NOTE: bot.slack.make_client fails ({problem}), so `cstbot serve` cannot start as is; the "
                "bench built the same WebApp(build_app(deps)) with a plain WebClient (no Web API calls here)."
            )
        print()
        print_table(cells)
        print_targets(cells)
        if args.lock_stats:
            print_lock_stats(cells)
        for line, count in server_problems.items():
            print(f"cstbot server log ({count}x): {line}")
        for c in cells:
            for sample in dict.fromkeys(c.samples):
                print(f"unexpected answer: {c.db} {c.kind} c={c.concurrency} {c.app}: {sample}")
        print(
            "\nerrors = not HTTP 200 or no response; wrong = HTTP 200 but not the expected answer "
            "(cstbot: help text / 'Sent' modal; bare: empty ack)"
        )
    print(f"\nwall time: {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
