"""A year of coaching interaction logs for every US state: summary and export times, export memory.

    python bench/bench_logs.py                 # full: 13,000 districts, ~1,000,000 entries
    python bench/bench_logs.py --scale 0.1     # quick: a tenth of everything
    python bench/bench_logs.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/bench_logs.py --no-postgres   # SQLite only

For each database (a temp SQLite file; a throwaway schema on PostgreSQL, dropped at the end), migrated with
`store.migrate.upgrade`, the bench generates 870 teams of ~15 districts (13,000 districts), a facilitator and
4-6 members per team, and 1,000,000 interactions spread evenly over the 12 months of 2025 (~83k a month) with
realistic mixes of interaction types, durations, topics (standards and expertise areas), text lengths, 1% deleted
entries and each team's monthly log (80% submitted on time, 12% late, 5% left open, 3% never started). Rows
go in with SQLAlchemy Core executemany in batches of 20,000 (SQLite) or COPY (PostgreSQL), then ANALYZE.

Then, for October 2025:

- summary: `compile_summary` (the SQL GROUP BY + streamed topics + submissions), best of 3, next to a naive
  baseline that loads the month's submitted entries as ORM objects and aggregates them in Python;
- export: CSV (to /dev/null) and XLSX (to a temp file) of one month and of three months (Aug-Oct), each in a
  fresh subprocess that reports its time and its peak RSS growth over the same process before the export
  (imports, engine and first connection done), next to a naive CSV export that fetches every row first.

Targets (printed, never asserted): compile_summary under 2 s; export memory flat (the three-month export
grows the process by no more than the one-month export, within 16 MB, while taking about 3x the time).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import and_, func, insert, select, text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from bench.rostergen import STATES  # noqa: E402  (team and district names: "Ohio Team 3", "Ohio District 1234")
from routing.protocol_file import load_protocol  # noqa: E402
from routing.vocabulary import EXPERTISE_AREAS, STANDARDS  # noqa: E402
from store import migrate, models  # noqa: E402
from store.db import make_engine, scratch_schema, session_scope  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
YEAR = 2025
MONTH = "2025-10"
THREE_MONTHS = (date(2025, 8, 1), date(2025, 10, 31))
TYPES = {  # share of interactions, from what coaching logs usually show: planning and data talk dominate
    "planning": 22,
    "strategizing": 18,
    "discussing_data": 18,
    "sharing": 16,
    "feedback": 14,
    "demonstrating": 9,
    "unsure": 3,
}
DURATIONS = {15: 8, 30: 22, 45: 15, 60: 28, 90: 12, 120: 9, 180: 4, 240: 2}
PARTICIPANTS = [
    "District leadership team", "Principal and assistant principal", "Building leadership team",
    "Grade 3-5 teachers", "Instructional coaches", "Superintendent", "Special education director",
    "Data team", "PLC facilitators", "New teachers (cohort 2)", "Counselors", "Curriculum director",
]
RESOURCES = [
    "", "", "DBDM worksheet", "Collaborative data team protocol", "Walkthrough tool", "CFA template",
    "Feedback protocol; observation form", "Implementation rubric", "Virtual Learning Platform module 3",
    "Coaching cycle planner", "=SUM(A1:A9) spreadsheet template",  # a formula-looking text, as typed
]
COMMENTS = [
    "", "", "", "Follow up next month on the action plan.", "Team asked for examples from other districts.",
    "Good progress on common formative assessments; schedule a walkthrough in two weeks.",
    "Leadership turnover: new principal needs onboarding to the framework.",
    "Shared the revised rubric; they will pilot it with grade 4 before the winter break.",
]
UNSURE = ["School board work session", "Community night", "Conference call with the RPDC", "Job-alike meeting"]
SUBMISSION = (("on_time", 80), ("late", 12), ("open", 5), ("none", 3))
BATCH = 20_000


# --- data ----------------------------------------------------------------------------------------------


class World:
    """The directory of the bench: ids are assigned here (1..n), so interactions can refer to them."""

    def __init__(self, scale: float, rng: random.Random):
        self.teams = max(2, round(870 * scale))
        self.districts = max(self.teams, round(13_000 * scale))
        self.interactions = max(1_000, round(1_000_000 * scale))
        self.rng = rng
        self.team_people: dict[int, list[int]] = {}
        self.team_districts: dict[int, list[int]] = defaultdict(list)
        self.people: list[dict] = []
        self.memberships: list[dict] = []
        now = datetime(YEAR, 1, 1, tzinfo=UTC)
        self.stamp = now
        for t in range(1, self.teams + 1):
            ids = []
            for role in ["facilitator"] + ["member"] * rng.randint(4, 6):
                pid = len(self.people) + 1
                self.people.append({"id": pid, "name": f"Person {pid}", "email": f"p{pid}@example.org",
                                    "slack_id": f"U{pid:08d}", "active": True, "created_at": now, "updated_at": now})
                self.memberships.append({"team_id": t, "person_id": pid, "role": role, "expertise": [],
                                         "fte": 0.5, "active": True, "created_at": now, "updated_at": now})
                ids.append(pid)
            self.team_people[t] = ids
        for d in range(1, self.districts + 1):
            self.team_districts[1 + (d - 1) % self.teams].append(d)

    def rows(self, table: str) -> list[dict]:
        now = self.stamp
        if table == "meta":
            return [{"key": "organization", "value": "All US states (bench)"}]
        if table == "team":
            return [{"id": t, "name": f"{STATES[(t - 1) % 50]} Team {(t - 1) // 50 + 1}", "active": True,
                     "created_at": now, "updated_at": now} for t in range(1, self.teams + 1)]
        if table == "person":
            return self.people
        if table == "team_membership":
            return self.memberships
        if table == "district":
            return [{"id": d, "name": f"{STATES[(t - 1) % 50]} District {d}", "team_id": t, "active": True,
                     "created_at": now, "updated_at": now}
                    for t, ds in self.team_districts.items() for d in ds]
        if table == "channel":
            return [{"purpose": "summaries", "channel_id": "C0SUMMARY1", "active": True,
                     "created_at": now, "updated_at": now}]
        raise KeyError(table)

    def log_months(self) -> list[dict]:
        protocol = load_protocol()
        rows = []
        kinds, weights = zip(*SUBMISSION, strict=True)
        for t in range(1, self.teams + 1):
            for m in range(1, 13):
                month = f"{YEAR}-{m:02d}"
                kind = self.rng.choices(kinds, weights)[0]
                if kind == "none":
                    continue
                due = protocol.log_due_at(month)
                row = {"team_id": t, "month": month, "status": "open", "submitted_at": None, "submitted_by": None,
                       "history": [], "created_at": self.stamp, "updated_at": self.stamp}
                if kind != "open":
                    shift = -timedelta(hours=self.rng.randint(1, 96)) if kind == "on_time" else timedelta(
                        hours=self.rng.randint(2, 240))
                    row.update(status="submitted", submitted_at=due + shift, submitted_by=self.team_people[t][0])
                rows.append(row)
        return rows

    def interaction_batches(self, as_json: bool) -> Iterator[list]:
        """Batches of interaction rows: dicts for Core inserts, or tuples (JSON as text) for COPY."""
        rng = self.rng
        topics_pool = _topic_pool(rng)
        topic_values = [json.dumps(p) if as_json else p for p in topics_pool]
        topic_weights = [1 / (i + 1) for i in range(len(topics_pool))]  # a few combinations dominate
        activity = [rng.uniform(0.4, 1.6) for _ in range(self.teams)]  # some teams log much more than others
        present_pools = {
            t: [json.dumps(c) if as_json else c for c in _member_combos(rng, ids)]
            for t, ids in self.team_people.items()
        }
        types, type_w = zip(*TYPES.items(), strict=True)
        durations, dur_w = zip(*DURATIONS.items(), strict=True)
        deleted_at = datetime(YEAR, 12, 31, tzinfo=UTC)
        done = 0
        while done < self.interactions:
            n = min(BATCH, self.interactions - done)
            teams = rng.choices(range(1, self.teams + 1), activity, k=n)
            kinds = rng.choices(types, type_w, k=n)
            mins = rng.choices(durations, dur_w, k=n)
            topics = rng.choices(topic_values, topic_weights, k=n)
            batch = []
            for i in range(n):
                t = teams[i]
                # Even over the year (~83k a month at full scale) and in time order, as entries are made.
                month = 1 + (done + i) * 12 // self.interactions
                day = date(YEAR, month, 1 + int(rng.random() * 28))
                people = self.team_people[t]
                ds = self.team_districts[t]
                kind = kinds[i]
                row = (
                    t,
                    f"{YEAR}-{month:02d}",
                    ds[int(rng.random() * len(ds))],
                    day,
                    mins[i],
                    kind,
                    UNSURE[int(rng.random() * len(UNSURE))] if kind == "unsure" else "",
                    PARTICIPANTS[int(rng.random() * len(PARTICIPANTS))],
                    present_pools[t][int(rng.random() * 6)],
                    topics[i],
                    RESOURCES[int(rng.random() * len(RESOURCES))],
                    COMMENTS[int(rng.random() * len(COMMENTS))],
                    True,
                    people[0] if rng.random() < 0.6 else people[1 + int(rng.random() * (len(people) - 1))],
                    self.stamp,
                    self.stamp,
                    deleted_at if rng.random() < 0.01 else None,
                )
                batch.append(row if as_json else dict(zip(INTERACTION_COLUMNS, row, strict=True)))
            done += n
            yield batch


INTERACTION_COLUMNS = (
    "team_id", "month", "district_id", "occurred_on", "duration_minutes", "interaction_type", "description",
    "participants", "members_present", "topics", "resources", "comments", "no_student_data", "author_id",
    "created_at", "updated_at", "deleted_at",
)


def _topic_pool(rng: random.Random) -> list[list[str]]:
    names = list(dict.fromkeys([*STANDARDS, *EXPERTISE_AREAS]))
    pool = [[n] for n in names]
    while len(pool) < 150:
        pool.append(rng.sample(names, rng.choice((2, 2, 3))))
    pool.append(["Budget planning"])  # free text that is neither a standard nor an expertise area
    rng.shuffle(pool)
    return pool


def _member_combos(rng: random.Random, ids: list[int]) -> list[list[int]]:
    return [[ids[0], *rng.sample(ids[1:], rng.randint(0, 2))] for _ in range(6)]


# --- routed items and their audit trail (the communication report) ---------------------------------------

ITEM_KINDS = (("question", 50), ("update", 15), ("district", 20), ("training", 15))
ITEM_COLUMNS = (
    "id", "kind", "status", "protocol_version", "asker_id", "owner_id", "team_id", "district_id", "tier", "text",
    "topics", "urgency", "state", "deadline_at", "remind_at", "source", "revision", "created_at", "updated_at",
    "closed_at",
)
EVENT_COLUMNS = ("item_id", "kind", "actor_id", "at", "from_owner_id", "to_owner_id", "reason", "detail")


class _Trail:
    """Appends one item's audit rows, each `hours` after the previous one."""

    def __init__(self, item_id: int, clock: datetime, events: list, enc):
        self.item_id, self.clock, self.events, self.enc = item_id, clock, events, enc

    def __call__(self, kind: str, actor: int | None, hours: float = 0.0, **detail) -> None:
        self.clock += timedelta(hours=hours)
        self.events.append((self.item_id, kind, actor, self.clock, None, None, "", self.enc(detail)))


def item_batches(world: World, count: int, rng: random.Random, *, as_json: bool) -> Iterator[tuple[list, list]]:
    """`count` items spread evenly over the year (in time order) with audit trails shaped like the engine's:
    created, assigned to the facilitator, then answered there (70%), escalated by hand (10%) or by a deadline
    (10%) to the lead (and sometimes on to management), withdrawn (5%) or still open (5%); half the district
    requests passed on by a member; training requests through the stages to a match (90%) or none. Reminders
    and other rows the report does not read are there too. (item rows, event rows), 5,000 items a batch."""
    kinds, weights = zip(*ITEM_KINDS, strict=True)
    year = datetime(YEAR, 1, 1, tzinfo=UTC)
    people = len(world.people)
    enc = json.dumps if as_json else (lambda v: v)
    lead, management = world.team_people[1][0], world.team_people[2][0]  # someone real for the upper tiers
    done = 0
    while done < count:
        n = min(5_000, count - done)
        items, events = [], []
        for i in range(n):
            item_id = done + i + 1
            team = 1 + int(rng.random() * world.teams)
            facilitator = world.team_people[team][0]
            member = world.team_people[team][1 + int(rng.random() * (len(world.team_people[team]) - 1))]
            kind = rng.choices(kinds, weights)[0]
            created = year + timedelta(days=(item_id - 1) * 365 / count, hours=rng.uniform(-4, 4))
            ev = _Trail(item_id, created, events, enc)
            asker = member
            ev("created", member, item_kind=kind)
            status = "answered"
            if kind == "training":
                ev("assigned", member)
                ev("stage", member, tier="own_team", candidates=[facilitator])
                roll = rng.random()
                if roll < 0.4:
                    ev("matched", facilitator, rng.uniform(2, 40), trainer=member)
                else:
                    ev("escalated", facilitator if roll < 0.7 else None, rng.uniform(4, 72), tier="own_team")
                    ev("stage", None, 0, tier="other_teams")
                    ev("reminded", None, rng.uniform(4, 20))
                    if roll < 0.9:
                        ev("offered", lead, rng.uniform(2, 40), candidate=lead, days=2)
                        ev("matched", lead, 0, trainer=lead)
                    else:
                        ev("escalated", None, 72, tier="other_teams")
                        ev("unmatched", None, 0)
                        status = "unmatched"
                status = "matched" if status == "answered" else status
            else:
                if kind == "district":
                    asker = world.people[int(rng.random() * people)]["id"]
                ev("assigned", member, tier="facilitator")
                if kind == "district" and rng.random() < 0.5:
                    ev("redirected", member)
                roll = rng.random()
                if roll < 0.3:
                    ev("reminded", None, rng.uniform(4, 20))
                if roll < 0.7:
                    ev("answered", facilitator, rng.uniform(0.2, 60))
                elif roll < 0.9:
                    by_hand = roll < 0.8
                    ev("escalated", facilitator if by_hand else None, rng.uniform(1, 48) if by_hand else 48,
                       tier="lead")
                    if rng.random() < 0.8:
                        ev("answered", lead, rng.uniform(0.5, 60))
                    else:
                        ev("escalated", None, 48, tier="management", holders=[management, lead])
                        ev("taken", management, rng.uniform(1, 30))
                        ev("answered", management, rng.uniform(1, 60))
                elif roll < 0.95:
                    ev("withdrawn", asker, rng.uniform(1, 24))
                    status = "withdrawn"
                else:
                    status = "open"
            clock = ev.clock
            closed = None if status == "open" else clock
            items.append((
                item_id, kind, status, "missouri-cst-2017.2", asker, facilitator, team, None,
                None, "How do we ...", enc(["Data"]), "normal", enc({}), None, None, enc({}), 0, created, clock,
                closed,
            ))
        done += n
        if not as_json:
            items = [dict(zip(ITEM_COLUMNS, r, strict=True)) for r in items]
            events = [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in events]
        yield items, events


def generate_items(url: str, world: World, count: int, seed: int) -> dict:
    started = time.perf_counter()
    rng = random.Random(seed + 1)
    engine = make_engine(url)
    n_events = 0
    try:
        if engine.dialect.name == "postgresql":
            raw = engine.raw_connection()
            try:
                with raw.cursor() as cur:
                    for items, events in item_batches(world, count, rng, as_json=True):
                        with cur.copy(f"COPY item ({', '.join(ITEM_COLUMNS)}) FROM STDIN") as copy:
                            for row in items:
                                copy.write_row(row)
                        with cur.copy(f"COPY item_event ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                            for row in events:
                                copy.write_row(row)
                        n_events += len(events)
                raw.commit()
            finally:
                raw.close()
        else:
            for items, events in item_batches(world, count, rng, as_json=False):
                with engine.begin() as conn:
                    conn.execute(insert(models.Item.__table__), items)
                    conn.execute(insert(models.ItemEvent.__table__), events)
                n_events += len(events)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return {"items": count, "events": n_events, "seconds": time.perf_counter() - started}


# --- databases -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def database(kind: str, tmp: Path, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench_logs.db'}"
        return
    with scratch_schema(pg_url, "bench_logs") as url:
        yield url


def generate(url: str, scale: float, seed: int) -> dict:
    started = time.perf_counter()
    migrate.upgrade(url)
    world = World(scale, random.Random(seed))
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for table in ("meta", "team", "person", "team_membership", "district", "channel"):
                conn.execute(insert(SQLModel.metadata.tables[table]), world.rows(table))
            conn.execute(insert(models.LogMonth.__table__), world.log_months())
        load_started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            raw = engine.raw_connection()
            try:
                sql = f"COPY interaction ({', '.join(INTERACTION_COLUMNS)}) FROM STDIN"
                with raw.cursor() as cur, cur.copy(sql) as copy:
                    for batch in world.interaction_batches(as_json=True):
                        for row in batch:
                            copy.write_row(row)
                raw.commit()
            finally:
                raw.close()
        else:
            table = models.Interaction.__table__
            for batch in world.interaction_batches(as_json=False):
                with engine.begin() as conn:
                    conn.execute(insert(table), batch)
        loaded = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return {
        "world": world,
        "teams": world.teams,
        "districts": world.districts,
        "people": len(world.people),
        "interactions": world.interactions,
        "seconds": time.perf_counter() - started,
        "interaction_seconds": loaded - load_started,
    }


# --- summary -------------------------------------------------------------------------------------------


def bench_summary(url: str) -> dict:
    from bot.reports.chart import summary_chart
    from bot.reports.workbook import summary_xlsx
    from store.directory import load_directory
    from store.summary import compile_summary

    protocol = load_protocol()
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            t0 = time.perf_counter()
            directory = load_directory(session=s)
            directory.index  # noqa: B018 - built once; compile_summary reads it
            load_s = time.perf_counter() - t0
        times = []
        for _ in range(3):
            with session_scope(engine) as s:
                t0 = time.perf_counter()
                summary = compile_summary(session=s, month=MONTH, protocol=protocol, directory=directory)
                times.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            summary_xlsx(summary, Path(tmp) / "s.xlsx")
            xlsx_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary_chart(summary, Path(tmp) / "s.png")
            chart_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        naive = naive_summary(engine, MONTH)
        naive_s = time.perf_counter() - t0
        agree = naive == (summary.totals.total, summary.totals.total_minutes)
        plan = explain(engine)
    finally:
        engine.dispose()
    return {
        "directory_s": load_s,
        "summary_s": min(times),
        "summary_runs": times,
        "counted": summary.totals.total,
        "teams": len(summary.teams),
        "on_time": len(summary.on_time),
        "late": len(summary.late),
        "missing": len(summary.missing),
        "xlsx_s": xlsx_s,
        "chart_s": chart_s,
        "naive_s": naive_s,
        "naive_agrees": agree,
        "plan": plan,
    }


def bench_communication(url: str) -> dict:
    """`compile_communication` of October (best of 3), next to the obvious way: the month's audit rows as ORM
    objects (their whole JSON detail decoded), fed to the same pure function."""
    from sqlmodel import Session

    from routing.communication import EventRow, ItemRow, communication
    from store.communication import compile_communication, period_bounds
    from store.directory import load_directory

    protocol = load_protocol()
    first, last = date(YEAR, 10, 1), date(YEAR, 10, 31)
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            directory = load_directory(session=s)
        times, cpu = [], []
        for _ in range(3):
            with session_scope(engine) as s:
                t0, c0 = time.perf_counter(), time.process_time()
                report = compile_communication(session=s, start=first, end=last, protocol=protocol,
                                               directory=directory)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        low, high = period_bounds(first, last, protocol.timezone)
        t0 = time.perf_counter()
        with Session(engine) as s:
            item, event = models.Item, models.ItemEvent
            items = [ItemRow(i.id, i.kind, i.team_id, i.created_at) for i in s.exec(
                select(item).where(item.created_at >= low, item.created_at < high)).scalars()]
            events = [EventRow(e.item_id, e.kind, e.actor_id, e.at, e.detail.get("tier"), e.detail.get("item_kind"))
                      for e in s.exec(select(event).join(item, item.id == event.item_id)
                                      .where(item.created_at >= low, item.created_at < high)
                                      .order_by(event.item_id, event.at, event.id)).scalars()]
            naive = communication(items, events, protocol, label="naive", start=str(first), end=str(last),
                                  team_names={t.id: t.name for t in directory.teams.values()},
                                  person_names={p.id: p.label for p in directory.people.values()})
        naive_s = time.perf_counter() - t0
        with engine.connect() as conn:
            n_events = conn.execute(
                select(func.count()).select_from(models.ItemEvent).join(models.Item)
                .where(models.Item.created_at >= low, models.Item.created_at < high)
            ).scalar_one()
    finally:
        engine.dispose()
    return {
        "comm_s": min(times), "comm_runs": times, "comm_cpu_s": cpu[times.index(min(times))],
        "items": report.items, "events": n_events,
        "received": report.total.received, "median_h": report.total.median_hours, "p90_h": report.total.p90_hours,
        "naive_s": naive_s, "naive_agrees": naive.total == report.total and naive.items == report.items,
    }


def naive_summary(engine, month: str) -> tuple[int, int]:
    """The obvious way: every submitted entry of the month as an ORM object, aggregated in Python."""
    from sqlmodel import Session

    entry, log = models.Interaction, models.LogMonth
    with Session(engine) as s:
        rows = s.exec(
            select(entry)
            .join(log, and_(log.team_id == entry.team_id, log.month == entry.month))
            .where(entry.month == month, entry.deleted_at.is_(None), log.status == "submitted")
        ).scalars().all()
        counts: Counter = Counter()
        minutes: Counter = Counter()
        topics: Counter = Counter()
        for r in rows:
            counts[(r.team_id, r.district_id, r.interaction_type)] += 1
            minutes[(r.team_id, r.district_id, r.interaction_type)] += r.duration_minutes
            topics.update(r.topics)
    return sum(counts.values()), sum(minutes.values())


def explain(engine) -> str:
    from store.summary import counts_query

    query = counts_query(MONTH)
    with engine.connect() as conn:
        compiled = query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        rows = conn.exec_driver_sql(prefix + str(compiled)).all()
    if engine.dialect.name == "sqlite":
        return "; ".join(r[-1] for r in rows)
    return "; ".join(r[0].strip() for r in rows if "Scan" in r[0] or "Join" in r[0] or "Aggregate" in r[0])


# --- export (each run in its own process) ---------------------------------------------------------------


def export_child(spec: dict) -> dict:
    """Runs in a subprocess: export as `spec` says, report time and max-RSS growth."""
    import gc

    from bot.reports.export import write_csv, write_xlsx
    from store.export import entries_query, iter_log_rows

    protocol = load_protocol()
    engine = make_engine(spec["url"])
    with engine.connect() as conn:
        conn.execute(text("select 1"))
    gc.collect()
    before = _rss_reset_peak()
    month = spec.get("month")
    start = date.fromisoformat(spec["start"]) if spec.get("start") else None
    end = date.fromisoformat(spec["end"]) if spec.get("end") else None
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        if spec["naive"]:
            from store.export import name_lookups

            people, districts, teams = name_lookups(session=s)
            labels = {t.key: t.label for t in protocol.interaction_types}
            fetched = s.connection().execute(entries_query(month=month, start=start, end=end)).all()
            rows = [
                (teams[r[0]], people[r[1]], districts[r[2]], r[3], r[4], labels.get(r[5], r[5]), r[6],
                 "; ".join(people[p] for p in r[7]), "; ".join(r[8]), r[9], r[10], r[11], r[12])
                for r in fetched
            ]
            with open(os.devnull, "w", newline="") as fp:
                count = write_csv(rows, fp)
        else:
            rows = iter_log_rows(session=s, month=month, start=start, end=end, protocol=protocol)
            if spec["format"] == "csv":
                with open(os.devnull, "w", newline="") as fp:
                    count = write_csv(rows, fp)
            else:
                count = write_xlsx(rows, spec["path"])
    seconds = time.perf_counter() - t0
    after = _rss_peak()
    engine.dispose()
    size = Path(spec["path"]).stat().st_size if spec.get("path") else 0
    return {"rows": count, "seconds": seconds, "rss_before_mb": before / 1024, "rss_growth_mb": (after - before) / 1024,
            "bytes": size}


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _rss_reset_peak() -> int:
    """The current RSS (KB), with the kernel's peak-RSS mark reset to it (Linux: clear_refs 5), so the peak read
    after the export is the export's own, not the imports' before it. Elsewhere: ru_maxrss, a weaker measure."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        current = _status_kb("VmRSS")
        if current is not None:
            return current
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_peak() -> int:
    peak = _status_kb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_export(url: str, tmp: Path, *, label: str, fmt: str, naive: bool = False, month: str | None = None,
               start: date | None = None, end: date | None = None) -> dict:
    spec = {"url": url, "format": fmt, "naive": naive, "month": month,
            "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
            "path": str(tmp / f"export-{uuid.uuid4().hex[:6]}.xlsx") if fmt == "xlsx" else None}
    out = subprocess.run([sys.executable, __file__, "--export-child", json.dumps(spec)], capture_output=True,
                         text=True, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"export child failed: {out.stderr.strip()[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if spec["path"]:
        Path(spec["path"]).unlink(missing_ok=True)
    return {"label": label, **result}


# --- main ----------------------------------------------------------------------------------------------


def run_db(kind: str, url: str, tmp: Path, args: argparse.Namespace) -> None:
    print(f"\n=== {kind} " + "=" * (70 - len(kind)), flush=True)
    gen = generate(url, args.scale, args.seed)
    print(f"generated {gen['teams']:,} teams, {gen['districts']:,} districts, {gen['people']:,} people, "
          f"{gen['interactions']:,} interactions in {gen['seconds']:.1f} s "
          f"(interactions alone {gen['interaction_seconds']:.1f} s, "
          f"{gen['interactions'] / gen['interaction_seconds']:,.0f} rows/s)", flush=True)

    if args.items:
        made = generate_items(url, gen["world"], max(1_000, round(args.items * args.scale)), args.seed)
        print(f"generated {made['items']:,} items with {made['events']:,} audit rows in {made['seconds']:.1f} s",
              flush=True)

    s = bench_summary(url)
    print(f"\nsummary of {MONTH}: {s['counted']:,} submitted interactions, {s['teams']} teams reporting, "
          f"{s['on_time']} on time / {s['late']} late / {s['missing']} not submitted")
    print(f"  load_directory          {s['directory_s'] * 1000:8.0f} ms")
    print(f"  compile_summary (best of 3) {s['summary_s'] * 1000:8.0f} ms   "
          f"runs: {', '.join(f'{t * 1000:.0f}' for t in s['summary_runs'])} ms")
    print(f"  naive ORM + Python      {s['naive_s'] * 1000:8.0f} ms   "
          f"({s['naive_s'] / s['summary_s']:.1f}x compile_summary; totals agree: {s['naive_agrees']})")
    print(f"  summary_xlsx {s['xlsx_s'] * 1000:.0f} ms, summary_chart {s['chart_s'] * 1000:.0f} ms")
    print(f"  plan of the GROUP BY: {s['plan']}")
    met = s["summary_s"] < 2.0
    print(f"  TARGET compile_summary < 2 s: {'MET' if met else 'NOT MET'} ({s['summary_s']:.2f} s)", flush=True)
    if args.items:
        c = bench_communication(url)
        print(f"\ncommunication report of {MONTH}: {c['items']:,} items asked, {c['events']:,} audit rows, "
              f"{c['received']:,} tier visits (median {c['median_h']:.1f} h, p90 {c['p90_h']:.1f} h to first action)")
        print(f"  compile_communication (best of 3) {c['comm_s'] * 1000:8.0f} ms   "
              f"runs: {', '.join(f'{t * 1000:.0f}' for t in c['comm_runs'])} ms "
              f"(this process's CPU in the best run: {c['comm_cpu_s'] * 1000:.0f} ms; the rest is the database "
              "and waiting for a CPU)")
        print(f"  beside compile_summary (which includes it) {s['summary_s'] * 1000:8.0f} ms")
        print(f"  naive ORM rows + the same function {c['naive_s'] * 1000:8.0f} ms "
              f"({c['naive_s'] / c['comm_s']:.1f}x; figures agree: {c['naive_agrees']})")
        met = c["comm_s"] < 2.0
        print(f"  TARGET communication report < 2 s: {'MET' if met else 'NOT MET'} ({c['comm_s']:.2f} s)", flush=True)

    if args.no_export:
        return
    runs = [
        dict(label=f"CSV  {MONTH}", fmt="csv", month=MONTH),
        dict(label="CSV  Aug-Oct", fmt="csv", start=THREE_MONTHS[0], end=THREE_MONTHS[1]),
        dict(label=f"naive CSV {MONTH} (fetch all first)", fmt="csv", month=MONTH, naive=True),
        dict(label=f"XLSX {MONTH}", fmt="xlsx", month=MONTH),
    ]
    if not args.skip_xlsx_3:
        runs.append(dict(label="XLSX Aug-Oct", fmt="xlsx", start=THREE_MONTHS[0], end=THREE_MONTHS[1]))
    print("\nexport (each in a fresh process; RSS growth = peak RSS during the export - RSS before it)")
    print(f"  {'':38} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'RSS growth':>11} {'file':>9}")
    results = {}
    for r in runs:
        res = run_export(url, tmp, **r)
        results[r["label"]] = res
        file = f"{res['bytes'] / 1e6:.1f} MB" if res["bytes"] else "/dev/null"
        print(f"  {res['label']:38} {res['rows']:9,} {res['seconds']:8.2f} {res['rows'] / res['seconds']:9,.0f} "
              f"{res['rss_growth_mb']:8.1f} MB {file:>9}", flush=True)
    one, three = results[f"CSV  {MONTH}"], results["CSV  Aug-Oct"]
    flat = three["rss_growth_mb"] <= one["rss_growth_mb"] + 16
    print(f"  TARGET constant export memory (CSV): {'MET' if flat else 'NOT MET'} "
          f"({three['rows'] / one['rows']:.1f}x the rows: "
          f"{one['rss_growth_mb']:.1f} -> {three['rss_growth_mb']:.1f} MB, "
          f"{three['seconds'] / one['seconds']:.1f}x the time; naive: "
          f"{results[f'naive CSV {MONTH} (fetch all first)']['rss_growth_mb']:.1f} MB for one month)")
    if "XLSX Aug-Oct" in results:
        x1, x3 = results[f"XLSX {MONTH}"], results["XLSX Aug-Oct"]
        flat_x = x3["rss_growth_mb"] <= x1["rss_growth_mb"] + 16
        print(f"  TARGET constant export memory (XLSX): {'MET' if flat_x else 'NOT MET'} "
              f"({x1['rss_growth_mb']:.1f} -> {x3['rss_growth_mb']:.1f} MB, {x3['seconds'] / x1['seconds']:.1f}x "
              "the time)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (0.1: quick run)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_PG,
                        help=f"PostgreSQL server, a throwaway schema is used (default {DEFAULT_PG})")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--skip-xlsx-3", action="store_true", help="skip the three-month XLSX export (the slowest)")
    parser.add_argument("--items", type=int, default=200_000, metavar="N",
                        help="routed items over the year, with their audit trails, for the communication report "
                        "(times --scale; 0: none)")
    parser.add_argument("--no-export", action="store_true", help="skip the export runs")
    parser.add_argument("--export-child", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        print(json.dumps(export_child(json.loads(args.export_child))))
        return 0

    kinds = ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres else ["postgresql"])
    if "postgresql" in kinds:
        try:
            probe = make_engine(args.postgres)
            with probe.connect() as conn:
                conn.execute(text("select 1"))
            probe.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure means "no server"
            print(f"PostgreSQL at {args.postgres} unreachable ({type(exc).__name__}): skipped")
            kinds.remove("postgresql")
    load = os.getloadavg()
    print(f"bench_logs: scale {args.scale}, seed {args.seed}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, python {sys.version.split()[0]}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as tmp:
        for kind in kinds:
            with database(kind, Path(tmp), args.postgres) as url:
                run_db(kind, url, Path(tmp), args)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
