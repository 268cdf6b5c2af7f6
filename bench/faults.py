"""The fault bench: real `cstbot serve` and `cstbot worker` processes on PostgreSQL against a Slack stand-in,
through a bad day. Each scenario prints `lost`, `duplicates`, the 5xx count and the time to recover.

    python bench/faults.py                                  # every scenario, ~10 min
    python bench/faults.py --only slack,kill                # some of them
    python bench/faults.py --quick                          # shorter faults and a smaller burst (~4 min)
    python bench/faults.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

Scenarios (each on a database of its own, created for it and dropped after it: `faults_<random>`):

- `check`: the counters below, on planted faults (a second copy of a message, a message deleted from Slack, an
  outbox row set failed, an ask answered "Sent" that is not stored): they must count 3 lost and 1 duplicate.
- `slack`: for a minute Slack answers a share of every method's calls with HTTP 500, with 429 + Retry-After,
  or hangs past the worker's client timeout (10 s) while still posting the message, as asks keep coming.
- `kill`: a backlog is being delivered by two workers; one is SIGKILLed mid-batch (its process group).
- `db`: while the workers are sending a backlog, the bench's own database refuses connections and its backends
  are terminated (`ALTER DATABASE ... ALLOW_CONNECTIONS false` + `pg_terminate_backend` of that database's
  backends only), then comes back, as asks keep coming. The shared server is never stopped and no other
  database is touched.
- `burst`: 2,000 signed requests (asks, withdraw clicks, coaching log entries) at once, 16 at a time, over
  both serve processes.

Every scenario runs 2 `cstbot serve --no-worker` (gunicorn, 2 processes x 8 threads each on PostgreSQL) and 2
`cstbot worker` on one PostgreSQL database, with the Slack stand-in in this process answering with Slack-like
latency (`--slack-latency`, default 0.1 s per call) and conversations.history limited to Slack's Tier 3 (50 a
minute). Requests are signed as Slack signs them (`SignedSlackClient`).

What is counted:

- `lost`: requests the app answered as done ("Sent", "Logged", an acknowledged click) whose effect is not in
  the database; outbox rows not delivered at the end (pending, sending or failed); messages recorded as sent
  that are not in Slack.
- `duplicates`: messages in Slack beyond the first carrying the same outbox row's metadata.
- `5xx`: HTTP answers >= 500 from the app (and requests with no answer at all, printed beside).
- `recover`: from the end of the fault until the outbox is empty again (`kill`: until the dead worker's
  claimed rows are all sent). Beside it the `floor`: the rows waiting at the end of the fault, at the pace the
  same two workers deliver when nothing goes wrong, measured at the start of the same scenario (60 asks at
  once, timed until their messages are all delivered), and the ratio.

Targets (issue 9): 0 lost, 0 duplicates, 0 5xx, recovery within 30 s.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bot.demo.standin import SignedSlackClient, SlackStandIn  # noqa: E402
from bot.ids import Action, Block, Callback  # noqa: E402
from store.db import make_engine  # noqa: E402

BOT_TOKEN = "xoxb-faults-bench"
SECRET = "faults-bench-signing-secret"
ASKER = "USTAFF001"  # district staff of District One (Team A) in the test roster
LOGGER = "UMEMA0001"  # a Team A member
TARGET_RECOVERY = 30.0
DRAIN_LIMIT = 240.0  # seconds to wait for the outbox to empty before counting what is left as lost
CLI = [sys.executable, "-m", "bot.cli"]
THREADS = 8  # per gunicorn process, as `cstbot serve` runs on PostgreSQL


def connections_needed(serve_workers: int) -> int:
    """At most one per request thread, plus each worker's lanes, heartbeat and scheduler, plus the bench's own."""
    return 2 * serve_workers * THREADS + 2 * 10 + 2


class BenchError(Exception):
    """Reported in one line; the scenario's processes and database are cleaned up first."""


# ---------------------------------------------------------------------------------------------------------
# The bench's own database


class Database:
    """A PostgreSQL database created for one scenario, which this bench can take down and bring back."""

    def __init__(self, admin_url: str, needed: int) -> None:
        self.name, self.needed = f"faults_{uuid.uuid4().hex[:10]}", needed
        self.admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.url = make_url(admin_url).set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> Database:
        with self.admin.connect() as conn:
            limit = int(conn.execute(text("show max_connections")).scalar_one())
            used = int(conn.execute(text("select count(*) from pg_stat_activity")).scalar_one())
            if limit - used < self.needed:
                raise BenchError(f"the PostgreSQL server has {limit - used} free connections of {limit}; the bench "
                                 f"needs about {self.needed} (a request thread each, 8 lanes and more per worker): "
                                 "try again when the server is quieter, or with --serve-workers 1")
            conn.execute(text(f'create database "{self.name}"'))
        print(f"  (database {self.name}: dropped at the end of the scenario)", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        for attempt in range(10):  # the server may be short of connections a moment (other work on it)
            try:
                with self.admin.connect() as conn:
                    conn.execute(text(f'drop database if exists "{self.name}" with (force)'))
                break
            except OperationalError:
                if attempt == 9:
                    print(f"faults.py: could not drop database {self.name}; drop it by hand", file=sys.stderr)
                time.sleep(1)
        self.admin.dispose()

    def take_down(self) -> int:
        """Refuse new connections to this database and end its current ones; returns how many were ended."""
        with self.admin.connect() as conn:
            conn.execute(text(f'alter database "{self.name}" allow_connections false'))
            ended = conn.execute(
                text("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                     "where datname = :db and pid <> pg_backend_pid()"),
                {"db": self.name},
            ).scalar_one()
        return int(ended)

    def bring_back(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'alter database "{self.name}" allow_connections true'))

    def prepare(self) -> None:
        from bot.runtime import load_book
        from bot.settings import Settings
        from store.migrate import upgrade
        from store.roster import import_roster, parse_yaml
        from tests.e2e.conftest import ROSTER

        upgrade(self.url)
        engine = make_engine(self.url)
        try:
            import_roster(parse_yaml(ROSTER, source="roster.yaml"), engine=engine)
            # Store the protocol snapshot once, before four processes start on the fresh database together.
            load_book(Settings(database_url=self.url, slack_bot_token=BOT_TOKEN), engine)
        finally:
            engine.dispose()


# ---------------------------------------------------------------------------------------------------------
# The processes


class Proc:
    """A `cstbot` subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], home: Path) -> None:
        self.name, self.args, self.env, self.home = name, args, env, home  # home: cwd (no stray .env read)
        self.log_path = home / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(CLI + self.args, cwd=self.home, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                         preexec_fn=_die_with_the_bench)
        return self

    def kill(self) -> None:
        """SIGKILL the whole group: no clean-up, no `finally`, like a machine losing power."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _die_with_the_bench() -> None:
    """In the child: SIGTERM when the bench process dies, however it dies (Linux), so no server or worker of a
    bench that was killed keeps running against its database."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------------------
# Requests


@dataclass
class Sent:
    kind: str  # ask | click | log
    marker: str  # the ask's text / the log entry's comment / the clicked item id
    status: int  # HTTP status, 0 for no answer
    done: bool  # the app answered that it did it
    at: float


@dataclass
class Traffic:
    """Signed requests to the serve processes, round robin, and what they answered."""

    ports: list[int]
    slack: SlackStandIn
    tag: str
    district_id: int
    log_view: dict
    sent: list[Sent] = field(default_factory=list)
    _n: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _next(self) -> tuple[int, SignedSlackClient]:
        with self._lock:
            self._n += 1
            n = self._n
        port = self.ports[n % len(self.ports)]
        return n, SignedSlackClient(f"http://127.0.0.1:{port}", SECRET, response_url_base=self.slack.hooks_url,
                                    timeout=30)

    def _record(self, kind: str, marker: str, send: Callable[[], object], done: Callable[[object], bool]) -> None:
        try:
            response = send()
            status, ok = response.status, response.status == 200 and done(response)
        except (OSError, http.client.HTTPException):
            status, ok = 0, False
        with self._lock:
            self.sent.append(Sent(kind, marker, status, ok, time.monotonic()))

    def ask(self) -> None:
        n, client = self._next()
        marker = f"{self.tag}-ask-{n}: how do we start data teams?"
        values = {
            Block.TEXT.value: {"text": {"type": "plain_text_input", "value": marker}},
            Block.DISTRICT.value: {"district": {"type": "static_select",
                                                "selected_option": {"value": str(self.district_id)}}},
        }
        payload = client.view_submission(ASKER, Callback.ASK.value, values, view_id=f"V{self.tag}A{n:07d}",
                                         private_metadata=json.dumps({"kind": "district"}))
        self._record("ask", marker, lambda: client.interactivity(payload), _says("Sent"))

    def withdraw(self, item_id: int) -> None:
        _, client = self._next()
        payload = client.block_action(ASKER, Action.WITHDRAW.value, str(item_id))
        self._record("click", str(item_id), lambda: client.interactivity(payload), lambda r: True)

    def log_entry(self) -> None:
        n, client = self._next()
        marker = f"{self.tag}-log-{n}"
        today = datetime.now(UTC).date().isoformat()
        values = {
            "district": {"district": {"type": "static_select", "selected_option": {"value": str(self.district_id)}}},
            "date": {"date": {"type": "datepicker", "selected_date": today}},
            "duration": {"duration": {"type": "number_input", "value": "45"}},
            "type": {"type": {"type": "radio_buttons", "selected_option": {"value": "planning"}}},
            "description": {"description": {"type": "plain_text_input", "value": None}},
            "participants": {"participants": {"type": "plain_text_input", "value": "Principal"}},
            "members": {"members": {"type": "multi_static_select", "selected_options": []}},
            "topics": {"topics": {"type": "multi_static_select", "selected_options": [{"value": "Data"}]}},
            "resources": {"resources": {"type": "plain_text_input", "value": "Data wall template"}},
            "comments": {"comments": {"type": "plain_text_input", "value": marker}},
            "privacy": {"privacy": {"type": "checkboxes", "selected_options": [{"value": "none"}]}},
        }
        payload = client.view_submission(LOGGER, Callback.LOG.value, values, view_id=f"V{self.tag}L{n:07d}",
                                         view=self.log_view)
        self._record("log", marker, lambda: client.interactivity(payload), _says("Logged"))

    def stream(self, per_second: float, stop: threading.Event, make: Callable[[], None]) -> threading.Thread:
        """Requests at a steady rate until `stop`, each in its own thread (a slow answer does not slow the rate)."""

        def run() -> None:
            pool = ThreadPoolExecutor(max_workers=16)
            next_at = time.monotonic()
            while not stop.is_set():
                pool.submit(make)
                next_at += 1 / per_second
                stop.wait(max(0.0, next_at - time.monotonic()))
            pool.shutdown(wait=True)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def counts(self, since: float = 0.0) -> Counter:
        with self._lock:
            return Counter(s.kind for s in self.sent if s.at >= since)


def _says(title: str) -> Callable[[object], bool]:
    def done(response) -> bool:
        try:
            doc = json.loads(response.text)
        except ValueError:
            return False
        return doc.get("response_action") == "update" and title in json.dumps(doc.get("view"))

    return done


# ---------------------------------------------------------------------------------------------------------
# One scenario's world


@dataclass
class Figures:
    scenario: str
    requests: int = 0
    fivexx: int = 0
    no_answer: int = 0
    refused: int = 0  # answered with an apology (the person was told it did not work)
    lost: int = 0
    lost_detail: list[str] = field(default_factory=list)
    duplicates: int = 0
    messages: int = 0
    found: int = 0  # rows recorded as sent after a history lookup found them
    recover: float | None = None
    baseline: float | None = None
    notes: list[str] = field(default_factory=list)
    self_check: bool | None = None  # the `check` scenario: whether the counters counted the planted faults


class World:
    def __init__(self, admin_url: str, tmp: Path, latency: float, tag: str, serve_workers: int = 2) -> None:
        self.db = Database(admin_url, connections_needed(serve_workers))
        self.serve_workers = serve_workers
        self.tmp, self.tag = tmp, tag
        self.slack = SlackStandIn(latency={"chat.postMessage": latency, "chat.update": latency,
                                           "conversations.history": latency, "conversations.open": latency,
                                           "views.open": latency, "views.publish": latency,
                                           "files.completeUploadExternal": latency})
        self.serves: list[Proc] = []
        self.workers: list[Proc] = []

    def __enter__(self) -> World:
        self.db.__enter__()
        try:
            return self._start()
        except BaseException:
            self.__exit__()
            raise

    def _start(self) -> World:
        self.slack.start()
        self.slack.rate_limit("conversations.history", 50)  # Slack's Tier 3
        self.db.prepare()
        home = self.tmp / self.tag
        home.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "DATABASE_URL": self.db.url, "SLACK_BOT_TOKEN": BOT_TOKEN,
                    "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": self.slack.base_url, "PYTHONPATH": str(ROOT)}
        self.ports = [free_port(), free_port()]
        self.serves = [Proc(f"{self.tag}-serve{i + 1}", ["serve", "--no-worker", "--host", "127.0.0.1", "--port",
                                                          str(p), "--workers", str(self.serve_workers)], self.env,
                            home).start()
                       for i, p in enumerate(self.ports)]
        self.workers = [self.start_worker(i + 1) for i in range(2)]
        deadline = time.monotonic() + 90
        while not all(healthz(p) for p in self.ports):
            if time.monotonic() > deadline:
                raise RuntimeError("cstbot serve not ready:\n" + "\n".join(s.log()[-2000:] for s in self.serves))
            time.sleep(0.2)
        self.district_id = self._scalar("select id from district where name = 'District One'")
        self.traffic = Traffic(self.ports, self.slack, self.tag, self.district_id, self._log_view())
        return self

    def start_worker(self, n: int) -> Proc:
        return Proc(f"{self.tag}-worker{n}", ["worker"], self.env, self.tmp / self.tag).start()

    def __exit__(self, *exc: object) -> None:
        try:
            for proc in self.serves + self.workers:
                proc.stop()
            self.slack.stop()
        finally:
            self.db.__exit__()

    def _log_view(self) -> dict:
        """The coaching log modal, opened once with /cst log (its private_metadata is reused)."""
        client = SignedSlackClient(f"http://127.0.0.1:{self.ports[0]}", SECRET, response_url_base=self.slack.hooks_url)
        response = client.slash_command("/cst", "log", user_id=LOGGER)
        if response.status != 200:
            raise RuntimeError(f"/cst log answered {response.status}: {response.text[:300]}")
        return self.slack.last("views.open").args["view"]

    def _scalar(self, sql: str, **params):
        engine = make_engine(self.db.url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).scalar_one()
        finally:
            engine.dispose()

    def _rows(self, sql: str, **params) -> list:
        engine = make_engine(self.db.url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def unsettled(self) -> int:
        """Outbox rows still waiting (pending, or claimed and not yet recorded)."""
        try:
            return int(self._scalar("select count(*) from outbox where status in ('pending', 'sending')"))
        except Exception:  # noqa: BLE001 - the database is down: everything is unsettled
            return -1

    def drain(self, since: float, limit: float = DRAIN_LIMIT) -> float | None:
        """Seconds from `since` (monotonic) until the outbox is empty; None if it is not within `limit`."""
        deadline = since + limit
        while time.monotonic() < deadline:
            if self.unsettled() == 0:
                return time.monotonic() - since
            time.sleep(0.25)
        return None

    def sending_by(self, proc: Proc) -> list[int]:
        """Ids of the rows the worker process holds claimed (its name is host:pid)."""
        assert proc.proc is not None
        rows = self._rows("select id, claimed_by from outbox where status = 'sending'")
        return [r.id for r in rows if (r.claimed_by or "").endswith(f":{proc.proc.pid}")]

    def sent_at(self, ids: list[int]) -> float | None:
        """How long ago (s) the last of `ids` was recorded sent, if all are."""
        if not ids:
            return None
        rows = self._rows("select status, sent_at from outbox where id = any(:ids)", ids=ids)
        if any(r.status != "sent" for r in rows):
            return None
        return max(r.sent_at for r in rows).timestamp()

    def count(self, figures: Figures, since: float = 0.0) -> Figures:
        """lost, duplicates and the rest, once the outbox has drained; and any process that died on its own."""
        for proc in self.serves + self.workers:
            if proc.proc is not None and proc.proc.poll() is not None:
                last = (proc.log().strip().splitlines() or ["(no log)"])[-1][:200]
                figures.notes.append(f"PROCESS DIED: {proc.name} exited with {proc.proc.returncode}: {last}")
        sent = [s for s in self.traffic.sent if s.at >= since]
        figures.requests = len(sent)
        figures.fivexx = sum(s.status >= 500 for s in sent)
        figures.no_answer = sum(s.status == 0 for s in sent)
        figures.refused = sum(s.status == 200 and not s.done for s in sent)
        # Requests answered as done: is their effect in the database?
        items = {r.text: r.status for r in self._rows("select text, status from item")}
        ids = {str(r.id): r.status for r in self._rows("select id, status from item")}
        logged = {r.comments for r in self._rows("select comments from interaction where deleted_at is null")}
        missing = Counter()
        for s in sent:
            if not s.done:
                continue
            if (s.kind == "ask" and s.marker not in items) or (s.kind == "log" and s.marker not in logged):
                missing[s.kind] += 1
            elif s.kind == "click" and ids.get(s.marker) != "withdrawn":
                missing["click"] += 1
        # The outbox: everything delivered, and every message recorded as sent is in Slack, once.
        rows = self._rows("select id, method, status, result from outbox")
        undelivered = Counter(r.status for r in rows if r.status != "sent")
        copies = Counter()
        for message in self.slack.messages():
            meta = message.get("metadata") or {}
            if meta.get("event_type") == "cstbot_outbox":
                copies[int(meta["event_payload"]["outbox_id"])] += 1
        posts = [r for r in rows if r.method == "chat.postMessage" and r.status == "sent"]
        not_in_slack = sum(copies[r.id] == 0 for r in posts)
        figures.found = sum(bool((r.result or {}).get("found_in_history")) for r in rows)
        figures.duplicates = sum(n - 1 for n in copies.values() if n > 1)
        figures.messages = sum(copies.values())
        figures.lost = sum(missing.values()) + sum(undelivered.values()) + not_in_slack
        figures.lost_detail = [f"{n} {kind} answered as done but not in the database" for kind, n in missing.items()]
        figures.lost_detail += [f"{n} outbox rows left {status}" for status, n in undelivered.items()]
        if not_in_slack:
            figures.lost_detail.append(f"{not_in_slack} messages recorded as sent but not in Slack")
        return figures

    def logs(self, pattern: str, procs: list[Proc]) -> int:
        return sum(len(re.findall(pattern, p.log())) for p in procs)


# ---------------------------------------------------------------------------------------------------------
# Scenarios


@dataclass
class Calm:
    """The outbox's pace without any fault, measured at the start of each scenario in the same run."""

    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")

    def floor(self, backlog: int) -> float:
        """The time the same two workers need for `backlog` rows when nothing goes wrong."""
        return backlog / self.per_second


def calm_baseline(world: World, figures: Figures, asks: int = 60) -> Calm:
    """`asks` asks at once, no fault: how fast the two workers deliver their messages."""
    before = world._scalar("select count(*) from outbox")
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(asks):
            pool.submit(world.traffic.ask)
    seconds = world.drain(start) or float("nan")
    calm = Calm(int(world._scalar("select count(*) from outbox")) - int(before), seconds)
    figures.notes.append(f"calm (same run, no fault): {asks} asks -> {calm.rows} outbox rows delivered in "
                         f"{seconds:.1f} s from the first ask: {calm.per_second:.1f} rows/s with 2 workers")
    return calm


def backlog_note(world: World, figures: Figures, calm: Calm, when: str) -> None:
    backlog = world.unsettled()
    figures.baseline = calm.floor(max(backlog, 0))
    figures.notes.append(f"{backlog} outbox rows waiting {when}; at the calm pace they need {figures.baseline:.1f} s "
                         "(the 'floor' beside 'recover')")


def scenario_slack(world: World, args) -> Figures:
    figures = Figures(f"slack 500/429/hang for {args.fault_seconds:.0f} s")
    calm = calm_baseline(world, figures)
    start = time.monotonic()
    world.slack.chaos("*", p_error=0.2, p_ratelimit=0.1, p_hang=0.05, retry_after=2, hang=12.0, seed=9)
    stop = threading.Event()
    thread = world.traffic.stream(args.rate, stop, world.traffic.ask)
    time.sleep(args.fault_seconds)
    world.slack.calm()
    world.slack.rate_limit("conversations.history", 50)
    stop.set()
    thread.join()
    calm_at = time.monotonic()
    world.slack.release_held()
    backlog_note(world, figures, calm, "when Slack became well again")
    figures.recover = world.drain(calm_at)
    faults = Counter(c.fault or "" for c in world.slack.calls if c.fault)
    statuses = Counter(c.status for c in world.slack.calls if c.fault == "status")
    figures.notes.append(f"faults injected over {args.fault_seconds:.0f} s: {statuses[500]} x 500, {statuses[429]} x "
                         f"429 (Retry-After 2 s), {faults['timeout']} hangs of 12 s that still posted")
    return world.count(figures, since=start)


def scenario_kill(world: World, args) -> Figures:
    figures = Figures("SIGKILL worker mid-batch")
    calm = calm_baseline(world, figures)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:  # a backlog the two workers take a while to send
        for _ in range(args.backlog):
            pool.submit(world.traffic.ask)
    before = len(world.slack.calls_to("chat.postMessage"))
    while len(world.slack.calls_to("chat.postMessage")) < before + 40:
        time.sleep(0.05)
    deadline = time.monotonic() + 10
    victim, held = world.workers[0], []
    while not held and time.monotonic() < deadline:  # the worker that holds claimed rows right now
        for n, worker in enumerate(world.workers):
            if held := world.sending_by(worker):
                victim, victim_n = worker, n
                break
        time.sleep(0.02)
    if not held:
        figures.notes.append("could not catch a worker holding claimed rows: the kill below is not mid-batch")
        victim_n = 0
    victim.kill()
    killed_at, killed_wall = time.monotonic(), time.time()
    figures.notes.append(f"killed {victim.name} while it held {len(held)} claimed rows; the other worker carries on")
    backlog_note(world, figures, calm, "at the kill")
    while time.monotonic() < killed_at + DRAIN_LIMIT:
        last = world.sent_at(held)
        if last is not None:
            figures.recover = max(0.0, last - killed_wall)
            break
        time.sleep(0.2)
    drained = world.drain(killed_at)
    figures.notes.append(f"'recover' here: until the dead worker's claimed rows were all sent (lease 10 s + poll "
                         f"1 s); the whole backlog was sent {fmt_s(drained)} after the kill by one worker (the floor "
                         f"beside assumes two)")
    world.workers[victim_n] = world.start_worker(3)  # a supervisor restarts it, for the clean stop at the end
    return world.count(figures, since=start)


def scenario_db(world: World, args) -> Figures:
    figures = Figures("database outage")
    calm = calm_baseline(world, figures)
    start = time.monotonic()
    stop = threading.Event()
    thread = world.traffic.stream(args.rate, stop, world.traffic.ask)
    with ThreadPoolExecutor(max_workers=8) as pool:  # a backlog, so the workers are mid-batch when it goes
        for _ in range(args.backlog // 2):
            pool.submit(world.traffic.ask)
    before = len(world.slack.calls_to("chat.postMessage"))
    while len(world.slack.calls_to("chat.postMessage")) < before + 20:
        time.sleep(0.05)
    ended = world.db.take_down()
    down_at = time.monotonic()
    time.sleep(args.outage_seconds)
    world.db.bring_back()
    back_at = time.monotonic()
    backlog_note(world, figures, calm, "when the database came back")
    time.sleep(5)  # asks keep coming after it is back
    stop.set()
    thread.join()
    asks_back = [s for s in world.traffic.sent if s.kind == "ask" and s.done and s.at >= back_at]
    first_ok = min((s.at for s in asks_back), default=None)
    figures.recover = world.drain(back_at)
    during = [s for s in world.traffic.sent if down_at <= s.at < back_at]
    apologies = sum(s.status == 200 and not s.done for s in during)
    figures.notes.append(f"down {args.outage_seconds:.0f} s ({ended} backends ended); {len(during)} requests during "
                         f"it: {sum(s.done for s in during)} done, {apologies} answered with an apology, "
                         f"{sum(s.status >= 500 for s in during)} 5xx, {sum(s.status == 0 for s in during)} unanswered")
    if first_ok is not None:
        figures.notes.append(f"first ask done {first_ok - back_at:.1f} s after the database was back")
    unreachable = world.logs(r"outbox dispatcher \S+: database unreachable", world.workers)
    back = world.logs(r"outbox dispatcher \S+: database back after \d+ s", world.workers)
    tracebacks = world.logs(r"Traceback \(most recent call last\)", world.workers)
    dispatcher_tracebacks = world.logs(r"(?s)Traceback[^\n]*\n(?:  .*\n)*?.*bot/delivery/dispatcher", world.workers)
    figures.notes.append(f"worker logs (2 workers): {unreachable} 'database unreachable', {back} 'database back "
                         f"after N s', {tracebacks} tracebacks in all (of them through the dispatcher: "
                         f"{dispatcher_tracebacks})")
    return world.count(figures, since=start)


def scenario_burst(world: World, args) -> Figures:
    figures = Figures(f"burst of {args.burst} (2 serve, 2 worker)")
    calm = calm_baseline(world, figures)
    asks, logs = args.burst // 2, args.burst // 4
    clicks = args.burst - asks - logs
    first = ["ask"] * asks + ["log"] * (logs // 2)
    second = ["click"] * clicks + ["log"] * (logs - logs // 2)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:  # asks and log entries, interleaved
        for kind in interleave(first):
            pool.submit(world.traffic.ask if kind == "ask" else world.traffic.log_entry)
    items = iter([r.id for r in world._rows("select id from item where status = 'open' order by id")])
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:  # then withdraw clicks on those asks
        for kind in interleave(second):
            if kind == "log":
                pool.submit(world.traffic.log_entry)
            elif (item_id := next(items, None)) is not None:
                pool.submit(world.traffic.withdraw, item_id)
    end = time.monotonic()
    counts = world.traffic.counts(start)
    figures.notes.append(f"{counts['ask']} asks, {counts['click']} withdraw clicks, {counts['log']} log entries in "
                         f"{end - start:.1f} s ({sum(counts.values()) / (end - start):.0f} requests/s, "
                         f"{args.concurrency} at a time)")
    backlog_note(world, figures, calm, "after the last request")
    figures.recover = world.drain(end)
    return world.count(figures, since=start)


def scenario_check(world: World, args) -> Figures:
    """The counters themselves, on planted faults: a duplicate message, a message gone from Slack, an outbox
    row left failed and an ask answered "Sent" that is not in the database must count 1 duplicate, 3 lost."""
    figures = Figures("self-check of the counters")
    start = time.monotonic()
    for _ in range(5):
        world.traffic.ask()
    world.drain(start)
    clean = world.count(Figures("clean"), since=start)
    rows = world._rows("select id, result from outbox where method = 'chat.postMessage' and status = 'sent' "
                       "order by id")
    web = WebClient(token=BOT_TOKEN, base_url=world.slack.base_url)
    web.chat_postMessage(channel=rows[0].result["channel"], text="a second copy",
                         metadata={"event_type": "cstbot_outbox", "event_payload": {"outbox_id": rows[0].id}})
    web.chat_delete(channel=rows[1].result["channel"], ts=rows[1].result["ts"])
    engine = make_engine(world.db.url)
    with engine.begin() as conn:
        conn.execute(text("update outbox set status = 'failed' where id = :id"), {"id": rows[2].id})
    engine.dispose()
    world.traffic.sent.append(Sent("ask", f"{world.tag}-never-stored", 200, True, time.monotonic()))
    world.count(figures, since=start)
    ok = (clean.lost, clean.duplicates, figures.lost, figures.duplicates) == (0, 0, 3, 1)
    figures.notes.append(f"clean: lost {clean.lost}, duplicates {clean.duplicates}; planted 3 lost and 1 duplicate: "
                         f"counted lost {figures.lost}, duplicates {figures.duplicates} -> "
                         f"{'the counters work' if ok else 'THE COUNTERS ARE WRONG'}")
    figures.self_check = ok
    return figures


def interleave(kinds: list[str]) -> list[str]:
    """The kinds spread evenly (a fixed order, so runs compare)."""
    return [k for _, k in sorted((i / kinds.count(k), k) for k in set(kinds) for i in range(kinds.count(k)))]


SCENARIOS: dict[str, Callable[[World, argparse.Namespace], Figures]] = {
    "check": scenario_check,
    "slack": scenario_slack,
    "kill": scenario_kill,
    "db": scenario_db,
    "burst": scenario_burst,
}


# ---------------------------------------------------------------------------------------------------------
# Output


def fmt_s(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f} s"


def print_figures(figures: Figures) -> None:
    ratio = (f"{figures.recover / figures.baseline:.1f}x" if figures.recover is not None and figures.baseline
             else "n/a")  # recover / floor
    print(f"\n== {figures.scenario}")
    print(f"requests: {figures.requests}   5xx: {figures.fivexx}   no answer: {figures.no_answer}   "
          f"answered with an apology: {figures.refused}")
    print(f"lost: {figures.lost}")
    for line in figures.lost_detail:
        print(f"  {line}")
    print(f"duplicates: {figures.duplicates}   (messages in Slack: {figures.messages}; recorded as sent after a "
          f"history lookup found them: {figures.found})")
    print(f"recover: {fmt_s(figures.recover)}   floor (the backlog at the calm pace, same run): "
          f"{fmt_s(figures.baseline)}   ratio: {ratio}")
    for note in figures.notes:
        print(f"  {note}")
    if figures.self_check is not None:
        print(f"self-check: {'PASSED' if figures.self_check else 'FAILED'} (the figures are planted; no targets)")
        sys.stdout.flush()
        return
    verdict = {
        "0 lost": figures.lost == 0,
        "0 duplicates": figures.duplicates == 0,
        "0 5xx": figures.fivexx == 0 and figures.no_answer == 0,
        f"recovery <= {TARGET_RECOVERY:.0f} s": figures.recover is not None and figures.recover <= TARGET_RECOVERY,
    }
    print("targets: " + ", ".join(f"{k} {'MET' if ok else 'NOT MET'}" for k, ok in verdict.items()))
    sys.stdout.flush()


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=os.environ.get("CSTBOT_TEST_PG_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL URL whose user may create databases (the bench creates its own)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios, comma separated: "
                        + ", ".join(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="20 s faults, a 600-request burst")
    parser.add_argument("--fault-seconds", type=float, default=60.0, help="how long Slack misbehaves (slack)")
    parser.add_argument("--outage-seconds", type=float, default=20.0, help="how long the database is away (db)")
    parser.add_argument("--burst", type=int, default=2000, help="requests in the burst (burst)")
    parser.add_argument("--backlog", type=int, default=300, help="asks queued before the kill (kill)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight in the burst")
    parser.add_argument("--rate", type=float, default=3.0, help="asks per second while a fault lasts")
    parser.add_argument("--slack-latency", type=float, default=0.1, help="seconds the stand-in takes per call")
    parser.add_argument("--serve-workers", type=int, default=2,
                        help="gunicorn processes per `cstbot serve` (default 2, as serve runs on PostgreSQL)")
    args = parser.parse_args(argv)
    if args.quick:
        args.fault_seconds, args.outage_seconds, args.burst, args.backlog = 20.0, 10.0, 600, 150
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}; choose from {', '.join(SCENARIOS)}")
    print(f"cstbot fault bench: {' '.join(sys.argv)}")
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"Slack stand-in latency {args.slack_latency} s per call, conversations.history 50/min; "
          f"2 serve x {args.serve_workers} gunicorn processes x {THREADS} threads, 2 workers x 8 lanes")
    results = []
    logs = Path(tempfile.mkdtemp(prefix="cstbot-faults-"))  # kept: the processes' logs, to read afterwards
    for sig in (signal.SIGTERM, signal.SIGHUP):  # clean up (processes, database) when stopped, as on Ctrl-C
        signal.signal(sig, _stop)
    try:
        for name in chosen:
            with World(args.pg, logs, args.slack_latency, name, args.serve_workers) as world:
                figures = SCENARIOS[name](world, args)
            print_figures(figures)
            results.append(figures)
    except (BenchError, OperationalError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"faults.py: error: {reason} (logs: {logs})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"faults.py: stopped; processes stopped and databases dropped (logs: {logs})", file=sys.stderr)
        return 130
    print("\nsummary")
    print(f"{'scenario':<34} {'lost':>5} {'dupl':>5} {'5xx':>5} {'recover':>9} {'floor':>9}")
    for f in results:
        print(f"{f.scenario:<34} {f.lost:>5} {f.duplicates:>5} {f.fivexx + f.no_answer:>5} {fmt_s(f.recover):>9} "
              f"{fmt_s(f.baseline):>9}")
    print(f"\nlogs of every process: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
