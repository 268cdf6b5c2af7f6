"""Costs as the roster grows from one state to the whole country, printed next to the one-state roster's.

    python bench/bench_scale.py                  # all US (870 teams, 13,000 districts, 96,859 people): ~5-8 min
    python bench/bench_scale.py --size large     # a large state (60 teams, 1,500 districts, 4,176 people): ~2 min
    python bench/bench_scale.py --size state     # one state against itself: a smoke run
    python bench/bench_scale.py --postgres URL   # another server (default the local one, database `test`)

For the one-state roster and the chosen size, in the same run, each in its own throwaway PostgreSQL schema
(migrated with `store.migrate.upgrade`), with rosters from bench/rostergen.py (deterministic, fictional):

1. `cstbot roster import FILE`, then again with no changes, each in a fresh process (`bot.cli.main`, output
   discarded): the command's time once its modules are imported (that start-up, the same for any roster, is
   printed apart), and the process's peak RSS (VmHWM, start-up included).
2. Directory load: `store.directory`'s loader (the 8 queries, the Directory and its index), median of 3.
3. The real app under gunicorn (gthread 2x8, as `cstbot serve` on PostgreSQL; bench/bench_app.py's machinery),
   one server per roster, both running: Slack-signed `/cst help` and ask submissions (`cst_ask` by district staff,
   which writes the item, its audit entry, cards and outbox rows) at concurrency 1 and 8, once no request is slow
   (both workers have loaded the directory). The two rosters' cells alternate, for `--rounds` rounds (default 3),
   so both meet the same machine load; medians over the rounds are reported, with each round's ratio.
4. Passing a training request on: district staff submit a training request, the team's facilitator clicks
   "No match here" (the note modal opens on the Web API stand-in) and submits it, which asks every other team's
   facilitator; the time is that submission's, from sending it to Slack having the answer. Repeated.

Targets (issue 16; printed, never asserted) at all-US: import <= 20 s, re-import with no changes <= 5 s, peak
memory <= 400 MB, help and ask p50/p99 within 1.5x of the one-state figures, passing a request on answered
within 500 ms. The outbox dispatcher does not run (outbox rows accumulate); nothing here waits on Slack.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_app import (  # noqa: E402
    ENV_DATABASE_URL,
    ENV_SIGNING_SECRET,
    ENV_SLACK_API_URL,
    EVENTS_PATH,
    SIGNING_SECRET,
    Cell,
    Gunicorn,
    _capturing_client,
    _settings_for,
    describe_answer,
    healthz_ok,
    load,
    machine_facts,
    signed_headers,
)
from bench.rostergen import SHAPES, generate  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKERS, THREADS = 2, 8

IMPORT_S, REIMPORT_S, PEAK_MB, RATIO, PASS_MS = 20.0, 5.0, 400.0, 1.5, 500.0


# --- import, in a fresh process ----------------------------------------------------------------------------


def import_child(path: str, url: str) -> dict[str, Any]:
    """Runs in a subprocess: `cstbot roster import PATH` on `url`; its time, peak RSS and what it printed."""
    os.environ["DATABASE_URL"] = url
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL"):
        os.environ.pop(name, None)
    t0 = time.perf_counter()
    from bot.cli import build_parser, main

    build_parser()  # imports every command's modules (slack_bolt, SQLAlchemy, ...): the same for any roster
    started = time.perf_counter()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["roster", "import", path])
    seconds = time.perf_counter() - started
    text = out.getvalue()
    return {"code": code, "seconds": seconds, "startup": started - t0, "peak_mb": _status_kb("VmHWM") / 1024,
            "no_changes": "No changes: the database already matches the file." in text, "head": text[:300]}


def _status_kb(name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return float(line.split()[1])
    import resource

    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_import(path: Path, url: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    out = subprocess.run([sys.executable, __file__, "--import-child", str(path), url], capture_output=True,
                         text=True, cwd=ROOT, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"import child failed: {out.stderr.strip()[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise RuntimeError(f"cstbot roster import failed: {result['head']}")
    return result


# --- one size ---------------------------------------------------------------------------------------------


@dataclass
class Size:
    name: str
    counts: str = ""
    imports: list[dict[str, Any]] = field(default_factory=list)  # first import, re-import
    load_ms: list[float] = field(default_factory=list)
    cells: dict[tuple[str, int], list[Cell]] = field(default_factory=dict)  # one Cell per round
    passes: list[float] = field(default_factory=list)  # ms
    asked: int = 0  # facilitators asked per pass
    outbox_rows: int = 0  # outbox rows one pass wrote
    worker_rss_mb: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Actors:
    staff: str  # Slack ids
    district_id: int
    facilitator: str


def pick_actors(directory) -> Actors:
    """District staff of a district whose team has a facilitator, both reachable and available (not away)."""
    from datetime import date

    today = date.today()
    for d in directory.active_districts():
        if d.team_id is None:
            continue
        facs = [p for p in directory.facilitators_of(d.team_id) if p.slack_id and p.is_available(today)]
        staff = [directory.person(s) for s in d.staff]
        staff = [p for p in staff if p and p.slack_id and p.is_available(today)
                 and len(directory.districts_of_staff(p.id)) == 1]
        if facs and staff:
            return Actors(staff[0].slack_id, d.id, facs[0].slack_id)
    raise RuntimeError("no district with reachable staff and facilitator in the generated roster")


def measure_load(url: str) -> tuple[list[float], Any]:
    from sqlmodel import Session

    from store.db import make_engine
    from store.directory import _load

    engine = make_engine(url)
    times, directory = [], None
    try:
        for _ in range(3):
            with Session(engine) as s:
                t0 = time.perf_counter()
                directory = _load(s)
                times.append((time.perf_counter() - t0) * 1000)
    finally:
        engine.dispose()
    return times, directory


def bodies(kind: str, count: int, actors: Actors) -> list[tuple[str, str]]:
    from bot.ids import Block, Callback

    cap = _capturing_client()
    out = []
    for i in range(count):
        if kind == "help":
            out.append(cap.slash_command("/cst", "help", user_id=actors.staff))
        else:
            values = {Block.TEXT.value: {"text": {"type": "plain_text_input",
                                                  "value": f"Bench question {i}: how do we start data teams?"}}}
            meta = json.dumps({"kind": "district", "district_id": actors.district_id})
            out.append(cap.interactivity(cap.view_submission(actors.staff, Callback.ASK.value, values,
                                                             private_metadata=meta)))
    return out


def post(port: int, body: tuple[str, str]) -> tuple[int, float, bytes]:
    """One signed request on a new connection: (status, ms, answer)."""
    data = body[1].encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        t0 = time.perf_counter()
        conn.request("POST", EVENTS_PATH, body=data, headers=signed_headers(body[0], data, SIGNING_SECRET))
        resp = conn.getresponse()
        answer = resp.read()
        return resp.status, (time.perf_counter() - t0) * 1000, answer
    finally:
        conn.close()


def warm_up(port: int, actors: Actors, size: Size, log) -> None:
    """Until both workers have loaded the directory: rounds of 16 connections at once, a few requests each,
    until a round has no request slower than 250 ms (a worker loading the directory holds its requests ~1 s)."""
    for round_ in range(1, 11):
        cell = load(port, bodies("help", 64, actors), 16, app="cstbot", kind="help", secret=SIGNING_SECRET,
                    time_limit=120)
        if cell.errors or cell.wrong:
            size.problems.append(f"warm-up: {cell.errors} errors, {cell.wrong} wrong: {cell.samples[:1]}")
            return
        if max(cell.latencies) < 0.25 and round_ > 1:
            return
        log(f"{size.name}: warm-up round {round_}: slowest {max(cell.latencies) * 1000:.0f} ms")
    size.problems.append("warm-up: requests still slower than 250 ms after 10 rounds")


def pass_on(port: int, url: str, slack, actors: Actors, reps: int, size: Size) -> None:
    """Training request, "No match here", the note modal submitted: time that submission."""
    from sqlalchemy import func, select

    from bot.ids import Action, Block, Callback
    from store import models
    from store.db import make_engine, session_scope

    cap = _capturing_client()
    engine = make_engine(url)
    try:
        for i in range(reps):
            values = {
                Block.TEXT.value: {"text": {"type": "plain_text_input", "value": f"Training {i}: IEP goal writing"}},
                Block.TOPICS.value: {"topics": {"type": "multi_static_select",
                                                "selected_options": [{"value": "Special Education"}]}},
            }
            meta = json.dumps({"kind": "training", "district_id": actors.district_id})
            status, _, answer = post(port, cap.interactivity(
                cap.view_submission(actors.staff, Callback.TRAIN.value, values, private_metadata=meta)))
            if status != 200 or b'"Sent"' not in answer:
                size.problems.append(f"training request: HTTP {status}: {describe_answer(answer)}")
                return
            with session_scope(engine) as s:
                item_id = s.connection().execute(select(func.max(models.Item.id))).scalar()
                before = s.connection().execute(select(func.count()).select_from(models.Outbox)).scalar()
            opened = len(slack.calls_to("views.open"))
            status, _, answer = post(port, cap.interactivity(
                cap.block_action(actors.facilitator, Action.ESCALATE.value, str(item_id))))
            if status != 200 or len(slack.calls_to("views.open")) != opened + 1:
                size.problems.append(f"'No match here' click: HTTP {status}, no modal opened: "
                                     f"{describe_answer(answer)}")
                return
            view = slack.last("views.open").args["view"]
            note = {Block.NOTE.value: {Block.NOTE.value: {"type": "plain_text_input", "value": "No one free"}}}
            status, ms, answer = post(port, cap.interactivity(cap.view_submission(
                actors.facilitator, view["callback_id"], note, private_metadata=view["private_metadata"], view=view)))
            if status != 200 or json.loads(answer or b"{}").get("response_action") != "clear":
                size.problems.append(f"passing on: HTTP {status}: {describe_answer(answer)}")
                return
            size.passes.append(ms)
            with session_scope(engine) as s:
                after = s.connection().execute(select(func.count()).select_from(models.Outbox)).scalar()
                state = s.get(models.Item, item_id).state
            size.outbox_rows = after - before
            size.asked = sum(1 for a in state.get("asked", []) if a.get("stage") == state.get("tier"))
    finally:
        engine.dispose()


def worker_rss(arbiter_pid: int) -> list[float]:
    """VmRSS (MB) of the gunicorn arbiter's worker processes."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == arbiter_pid:
                for line in (stat.parent / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out.append(int(line.split()[1]) / 1024)
    return out


def prepare_size(name: str, tmp: Path, pg_url: str, stack: contextlib.ExitStack, log) -> tuple[Size, str, Actors]:
    """A schema holding the roster of `name`, imported twice (timed), its directory load timed."""
    from bot.runtime import load_book
    from store.db import make_engine, scratch_schema
    from store.migrate import upgrade

    size = Size(name)
    path = tmp / f"{name}.yaml"
    path.write_text(generate(name))
    url = stack.enter_context(scratch_schema(pg_url, f"scale_{name}"))
    upgrade(url)
    for what in ("import", "re-import"):
        result = run_import(path, url)
        size.imports.append(result)
        log(f"{name}: {what} {result['seconds']:.1f} s (+ {result['startup']:.1f} s start-up), "
            f"peak {result['peak_mb']:.0f} MB")
    if not size.imports[1]["no_changes"]:
        size.problems.append("the re-import changed something")
    size.load_ms, directory = measure_load(url)
    size.counts = (f"{len(directory.active_teams()):,} teams, {len(directory.active_districts()):,} districts, "
                   f"{sum(1 for p in directory.people.values() if p.active):,} people")
    log(f"{name}: directory load {statistics.median(size.load_ms):.0f} ms ({size.counts})")
    actors = pick_actors(directory)
    del directory
    engine = make_engine(url)
    load_book(_settings_for(url), engine)  # the protocol snapshot, stored once (bench_app: a start-up race)
    engine.dispose()
    return size, url, actors


def start_server(size: Size, url: str, actors: Actors, child_env: dict[str, str], tmp: Path,
                 stack: contextlib.ExitStack, log) -> Gunicorn:
    server = Gunicorn(f"scale-{size.name}", "bench.bench_app:make_cstbot()",
                      dict(child_env, **{ENV_DATABASE_URL: url}), tmp, workers=WORKERS, threads=THREADS)
    stack.callback(server.stop)
    server.start()
    server.wait_ready(healthz_ok, timeout=120)
    warm_up(server.port, actors, size, log)
    return server


def run_cell(server: Gunicorn, size: Size, actors: Actors, kind: str, conc: int, args, log) -> None:
    n = (args.requests_c1 if conc == 1 else args.requests) // (2 if kind == "ask" else 1)
    cell = load(server.port, bodies(kind, n, actors), conc, app="cstbot", kind=kind, secret=SIGNING_SECRET,
                time_limit=args.cell_time_limit, cell=Cell("postgresql", kind, conc, "cstbot"))
    size.cells.setdefault((kind, conc), []).append(cell)
    if cell.errors or cell.wrong:
        size.problems.append(f"{kind} c={conc}: {cell.errors} errors, {cell.wrong} wrong, e.g. {cell.samples[:1]}")
    log(f"{size.name}: {kind} c={conc}: p50 {cell.pct(50):.1f} ms, p99 {cell.pct(99):.1f} ms, "
        f"max {max(cell.latencies) * 1000:.0f} ms, {cell.throughput:.0f} req/s")


# --- report -----------------------------------------------------------------------------------------------


def _fmt(v: float | None, spec: str = ".1f") -> str:
    return "-" if v is None or v != v else format(v, spec)


def report(base: Size, big: Size) -> None:
    rows: list[tuple[str, float | None, float | None, str, str]] = []  # label, base, big, spec, target verdict

    def verdict(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    def add(label: str, a: float | None, b: float | None, spec: str = ".1f", target: str = "") -> None:
        rows.append((label, a, b, spec, target))

    add("import (s)", base.imports[0]["seconds"], big.imports[0]["seconds"], ".1f",
        f"<= {IMPORT_S:.0f} s: {verdict(big.imports[0]['seconds'] <= IMPORT_S)}")
    add("import peak RSS (MB)", base.imports[0]["peak_mb"], big.imports[0]["peak_mb"], ".0f",
        f"<= {PEAK_MB:.0f} MB: {verdict(big.imports[0]['peak_mb'] <= PEAK_MB)}")
    add("re-import, no changes (s)", base.imports[1]["seconds"], big.imports[1]["seconds"], ".1f",
        f"<= {REIMPORT_S:.0f} s: {verdict(big.imports[1]['seconds'] <= REIMPORT_S and big.imports[1]['no_changes'])}")
    add("re-import peak RSS (MB)", base.imports[1]["peak_mb"], big.imports[1]["peak_mb"], ".0f",
        f"<= {PEAK_MB:.0f} MB: {verdict(big.imports[1]['peak_mb'] <= PEAK_MB)}")
    add("directory load, median of 3 (ms)", statistics.median(base.load_ms), statistics.median(big.load_ms), ".0f")
    for kind, label in (("help", "/cst help"), ("ask", "ask submission")):
        for conc in (1, 8):
            a, b = base.cells.get((kind, conc), []), big.cells.get((kind, conc), [])
            for q in (50, 99):
                va = statistics.median(c.pct(q) for c in a) if a else None
                vb = statistics.median(c.pct(q) for c in b) if b else None
                target = ""
                if va and vb:
                    failed = any(c.errors or c.wrong for c in b)
                    ratios = sorted(y.pct(q) / x.pct(q) for x, y in zip(a, b, strict=False))
                    target = (f"<= {RATIO}x: {verdict(vb <= RATIO * va and not failed)}"
                              f" (each round: {', '.join(f'{r:.1f}x' for r in ratios)})")
                add(f"{label} c={conc} p{q} (ms)", va, vb, ".1f", target)
            add(f"{label} c={conc} throughput (req/s)", statistics.median(c.throughput for c in a) if a else None,
                statistics.median(c.throughput for c in b) if b else None, ".0f")
    pa = statistics.median(base.passes) if base.passes else None
    pb = statistics.median(big.passes) if big.passes else None
    worst = max(big.passes) if big.passes else None
    add("pass a training request on, median (ms)", pa, pb, ".0f",
        f"<= {PASS_MS:.0f} ms: {verdict(worst is not None and worst <= PASS_MS)} (max {_fmt(worst, '.0f')} ms)")
    add("  facilitators asked per pass", base.asked, big.asked, ".0f")
    add("  outbox rows written per pass", base.outbox_rows, big.outbox_rows, ".0f")
    add("server worker RSS after the run (MB, max)", max(base.worker_rss_mb, default=None),
        max(big.worker_rss_mb, default=None), ".0f")

    width = max(len(r[0]) for r in rows) + 2
    print(f"{'':<{width}}{base.name:>12}{big.name:>12}{'ratio':>9}   target ({big.name})")
    print(f"{'roster':<{width}}{base.counts}  |  {big.counts}")
    print("-" * (width + 33 + 40))
    for label, a, b, spec, target in rows:
        ratio = f"{b / a:8.1f}x" if a and b and "RSS" not in label and "asked" not in label else " " * 9
        print(f"{label:<{width}}{_fmt(a, spec):>12}{_fmt(b, spec):>12}{ratio}   {target}")
    startup = [r["startup"] for s in (base, big) for r in s.imports]
    print(f"\nimport times exclude the command's start-up (Python and module imports, the same for any roster): "
          f"{min(startup):.1f}-{max(startup):.1f} s here")
    print(f"passes measured: {base.name} {len(base.passes)}, {big.name} {len(big.passes)}; "
          f"{big.name} pass times (ms): {', '.join(f'{x:.0f}' for x in big.passes)}")
    print("Fan-out (issue 16, point 2): a pass writes its cards and outbox rows in one INSERT per table; past "
          "CSTBOT_FANOUT_THRESHOLD (50) messages the outbox gets one 'ask these N' row, which the dispatcher (not "
          "running here) expands into the N rows, so 'outbox rows written per pass' is 1 there.")
    for s in (base, big):
        for p in s.problems:
            print(f"PROBLEM ({s.name}): {p}")


# --- main -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SHAPES), default="us", help="the roster to measure (default us)")
    parser.add_argument("--postgres", default=DEFAULT_PG, metavar="URL", help=f"server (default {DEFAULT_PG})")
    parser.add_argument("--requests-c1", type=int, default=300, help="requests per help cell at c=1 (ask: half)")
    parser.add_argument("--requests", type=int, default=800, help="requests per help cell at c=8 (ask: half)")
    parser.add_argument("--passes", type=int, default=5, help="training requests passed on per roster")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the request cells (medians are reported)")
    parser.add_argument("--cell-time-limit", type=float, default=90.0)
    parser.add_argument("--import-child", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_child:
        print(json.dumps(import_child(*args.import_child)))
        return 0

    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from tests.standin import SlackStandIn

    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    with (
        tempfile.TemporaryDirectory(prefix="cstbot-scale-") as tmpdir,
        SlackStandIn() as slack,
        contextlib.ExitStack() as stack,
    ):
        tmp = Path(tmpdir)
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CSTBOT_", "DATABASE_URL"))}
        child_env.update({
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            ENV_SLACK_API_URL: slack.base_url,
            ENV_SIGNING_SECRET: SIGNING_SECRET,
            "PYTHONUNBUFFERED": "1",
        })
        names = ["state"] + ([args.size] if args.size != "state" else [])
        prepared = [prepare_size(name, tmp, args.postgres, stack, log) for name in names]
        servers = [start_server(size, url, actors, child_env, tmp, stack, log) for size, url, actors in prepared]
        # The two rosters' cells run back to back, round after round: both see the same machine load.
        for _ in range(args.rounds):
            for kind in ("help", "ask"):
                for conc in (1, 8):
                    for server, (size, _url, actors) in zip(servers, prepared, strict=True):
                        run_cell(server, size, actors, kind, conc, args, log)
        for server, (size, url, actors) in zip(servers, prepared, strict=True):
            pass_on(server.port, url, slack, actors, args.passes, size)
            if size.passes:
                log(f"{size.name}: passing a training request to {size.asked} facilitators: "
                    f"median {statistics.median(size.passes):.0f} ms, max {max(size.passes):.0f} ms")
            size.worker_rss_mb = worker_rss(server.proc.pid) if server.proc else []
            server.check_alive()
            server.stop()
            for line, count in server.problems().items():
                size.problems.append(f"server log ({count}x): {line}")
        base, big = prepared[0][0], prepared[-1][0]
        from sqlalchemy import text

        from store.db import make_engine

        engine = make_engine(args.postgres)
        with engine.connect() as conn:
            server_version = "PostgreSQL " + conn.execute(text("show server_version")).scalar()
        engine.dispose()

    print()
    print(f"Roster scale: {big.name} next to one state, PostgreSQL, gunicorn gthread {WORKERS}x{THREADS}, "
          "Slack-signed requests over loopback")
    for line in machine_facts({"postgresql": server_version + " (loopback)"}, WORKERS, THREADS):
        print(line)
    print()
    report(base, big)
    print(f"\nwall time: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
