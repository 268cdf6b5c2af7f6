"""The CST update's draft figures: set-based queries vs a query per item, next to a one-scan floor.

    python bench/bench_figures.py                 # a large state: 40 teams, ~120,000 items over a year
    python bench/bench_figures.py --scale 0.1     # quick
    python bench/bench_figures.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/bench_figures.py --no-postgres   # SQLite only

`/cst update` compiles the month's figures (`store.figures.compile_figures`) before it opens the form, inside
Slack's 3 seconds, so its cost matters. For each database (a temp SQLite file; a throwaway schema on PostgreSQL,
dropped at the end), migrated with `store.migrate.upgrade`, the bench generates teams with facilitators, a year
of routed items (questions, updates, district and training requests) with their audit trail (created; answered,
escalated by a person or moved on by the deadline sweep; kept overdue), and each team's monthly coaching log
with entries. Then, for one month, best of 3:

- `compile_figures` (seven GROUP BY queries, one row per answered request for the median);
- naive: the month's items as ORM objects and one query per item for its audit trail (what "no query per item"
  avoids), computing the same request totals; the bench checks both give the same numbers;
- floor: one query fetching the month's audit entries with their item's team and kind (what the figures cannot
  avoid reading, read once).

Printed: times and the ratios figures/floor and naive/figures, measured in the same run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from store import migrate, models  # noqa: E402
from store.db import make_engine, scratch_schema  # noqa: E402
from store.figures import REQUEST_KINDS, compile_figures  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
YEAR = 2025
MONTH = "2025-10"
START, END = datetime(2025, 10, 1, 5, tzinfo=UTC), datetime(2025, 11, 1, 5, tzinfo=UTC)  # Chicago midnight
AS_OF = datetime(2025, 11, 12, 15, tzinfo=UTC)
DUE = datetime(2025, 11, 7, 23, tzinfo=UTC)
KINDS = {"question": 45, "district": 25, "update": 10, "training": 20}
STAGES = ("own_team", "other_teams", "state", "rpdc")
BATCH = 20_000


def _weighted(rng: random.Random, table: dict) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def generate(engine, *, teams: int, items: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        people = [{"id": i + 1, "name": f"Person {i + 1}", "active": True, "created_at": now, "updated_at": now}
                  for i in range(teams * 5 + 10)]
        conn.execute(insert(models.Person), people)
        conn.execute(insert(models.Team), [{"id": t + 1, "name": f"Team {t + 1}", "active": True, "created_at": now,
                                            "updated_at": now} for t in range(teams)])
        conn.execute(insert(models.District), [{"id": d + 1, "name": f"District {d + 1}", "team_id": d % teams + 1,
                                                "active": True, "created_at": now, "updated_at": now}
                                               for d in range(teams * 4)])
        rows, events = [], []
        year_start = datetime(YEAR, 1, 1, tzinfo=UTC)
        for item_id in range(1, items + 1):
            kind = _weighted(rng, KINDS)
            created = year_start + timedelta(seconds=rng.randrange(365 * 86400))
            team = rng.randrange(teams) + 1 if rng.random() < 0.95 else None
            roll = rng.random()
            status, tier, deadline = "answered", "facilitator", None
            events.append({"item_id": item_id, "kind": "created", "actor_id": 1, "at": created, "reason": "",
                           "detail": {}})
            if kind == "training":
                tier = rng.choice(STAGES)
                status = "matched" if roll < 0.5 else ("open" if roll < 0.8 else "unmatched")
            elif roll < 0.7:
                events.append({"item_id": item_id, "kind": "answered", "actor_id": 2,
                               "at": created + timedelta(hours=rng.uniform(0.5, 96)), "reason": "", "detail": {}})
            elif roll < 0.85:
                at = created + timedelta(hours=rng.uniform(1, 48))
                events.append({"item_id": item_id, "kind": "escalated", "actor_id": 2 if roll < 0.8 else None,
                               "at": at, "reason": "", "detail": {}})
                events.append({"item_id": item_id, "kind": "answered", "actor_id": 3,
                               "at": at + timedelta(hours=rng.uniform(1, 72)), "reason": "", "detail": {}})
            else:
                status, deadline = "open", created + timedelta(days=rng.uniform(1, 30))
                if roll > 0.97:
                    events.append({"item_id": item_id, "kind": "overdue", "actor_id": None,
                                   "at": deadline, "reason": "", "detail": {}})
            rows.append({"id": item_id, "kind": kind, "status": status, "protocol_version": "bench", "asker_id": 4,
                         "owner_id": 2, "team_id": team, "tier": tier, "text": "x", "topics": [], "state": {},
                         "source": {}, "deadline_at": deadline, "created_at": created, "updated_at": created,
                         "urgency": "normal", "revision": 0})
            if len(rows) >= BATCH:
                conn.execute(insert(models.Item), rows)
                rows = []
        if rows:
            conn.execute(insert(models.Item), rows)
        for i in range(0, len(events), BATCH):
            conn.execute(insert(models.ItemEvent), events[i:i + BATCH])
        logs, entries = [], []
        for team in range(1, teams + 1):
            for m in range(1, 13):
                month = f"{YEAR}-{m:02d}"
                if rng.random() < 0.9:
                    submitted = datetime(YEAR + (m == 12), m % 12 + 1, rng.choice((3, 5, 12)), 15, tzinfo=UTC)
                    logs.append({"team_id": team, "month": month, "status": "submitted", "submitted_at": submitted,
                                 "history": [], "created_at": now, "updated_at": now})
                for _ in range(rng.randrange(5, 25)):
                    day = date(YEAR, m, rng.randrange(1, 28))
                    entries.append({"team_id": team, "month": month, "district_id": (team - 1) + 1,
                                    "occurred_on": day, "duration_minutes": rng.choice((30, 45, 60, 90)),
                                    "interaction_type": "planning", "members_present": [], "topics": [],
                                    "author_id": 2, "created_at": now, "updated_at": now})
        conn.execute(insert(models.LogMonth), logs)
        for i in range(0, len(entries), BATCH):
            conn.execute(insert(models.Interaction), entries[i:i + BATCH])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def figures(engine, teams: dict[int, str]):
    with Session(engine) as session:
        return compile_figures(session=session, month=MONTH, start=START, end=END, as_of=AS_OF, log_due_at=DUE,
                               teams=teams)


def naive(engine) -> dict[str, object]:
    """The same request totals with a query per item: every item of the month, then each one's audit trail."""
    totals = {"received": 0, "answered": 0, "escalated": 0, "moved_on": 0}
    hours: list[float] = []
    with Session(engine) as session:
        received = session.scalars(select(models.Item).where(models.Item.kind.in_(REQUEST_KINDS),
                                                             models.Item.created_at >= START,
                                                             models.Item.created_at < END)).all()
        totals["received"] = len(received)
        touched = session.scalars(select(models.ItemEvent.item_id).where(models.ItemEvent.at >= START,
                                                                         models.ItemEvent.at < END).distinct()).all()
        for item_id in touched:
            item = session.get(models.Item, item_id)
            if item.kind not in REQUEST_KINDS:
                continue
            trail = session.scalars(select(models.ItemEvent).where(models.ItemEvent.item_id == item_id)
                                    .order_by(models.ItemEvent.at)).all()
            month = [e for e in trail if START <= _aware(e.at) < END]
            answers = [e for e in trail if e.kind == "answered"]
            if any(e.kind == "answered" for e in month):
                totals["answered"] += 1
            if any(e.kind == "escalated" and e.actor_id is not None for e in month):
                totals["escalated"] += 1
            if any(e.kind == "escalated" and e.actor_id is None for e in month):
                totals["moved_on"] += 1
            if answers and START <= _aware(answers[0].at) < END:
                hours.append((_aware(answers[0].at) - _aware(item.created_at)).total_seconds() / 3600)
    totals["median_hours"] = round(statistics.median(hours), 1) if hours else None
    return totals


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def floor(engine) -> int:
    """Read once what the figures cannot avoid reading: the month's audit entries with their item's team and
    kind, every row fetched."""
    e, i = models.ItemEvent.__table__.c, models.Item.__table__.c
    with engine.connect() as conn:
        rows = conn.execute(select(i.team_id, i.kind, e.kind, e.actor_id, e.at).select_from(models.ItemEvent)
                            .join(models.Item, i.id == e.item_id).where(e.at >= START, e.at < END)).all()
    return len(rows)


def best_of(n: int, fn, *args) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times), result


@contextlib.contextmanager
def database(kind: str, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
    else:
        with scratch_schema(pg_url, "bench_figures") as url:
            yield url


def run(kind: str, url: str, *, teams: int, items: int) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        generate(engine, teams=teams, items=items)
        built = time.perf_counter() - t0
        names = {t: f"Team {t}" for t in range(1, teams + 1)}
        t_floor, scanned = best_of(3, floor, engine)
        t_fig, result = best_of(3, figures, engine, names)
        t_naive, totals = best_of(1, naive, engine)
        same = all(getattr(result.requests, k) == v for k, v in totals.items())
        print(f"\n{kind}: {teams} teams, {items:,} items over {YEAR}, {scanned:,} audit entries in {MONTH} "
              f"(data built in {built:.1f} s)")
        print(f"  {'floor: the month read once':<44}{t_floor * 1000:9.1f} ms")
        print(f"  {'compile_figures (set-based)':<44}{t_fig * 1000:9.1f} ms   {t_fig / t_floor:6.1f}x floor")
        print(f"  {'naive: a query per item':<44}{t_naive * 1000:9.1f} ms   {t_naive / t_fig:6.1f}x figures")
        print(f"  same request totals: {'yes' if same else 'NO'} "
              f"({result.requests.received:,} received, {result.requests.answered:,} answered, "
              f"median {result.requests.median_hours} h)")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply teams and items (default 1)")
    parser.add_argument("--postgres", default=DEFAULT_PG, metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    teams, items = max(2, int(40 * args.scale)), max(100, int(120_000 * args.scale))
    kinds = ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres else ["postgresql"])
    for kind in kinds:
        with database(kind, args.postgres) as url:
            run(kind, url, teams=teams, items=items)


if __name__ == "__main__":
    main()
