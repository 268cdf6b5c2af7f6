"""A month in figures, compiled from the bot's own records: the draft of a lead facilitator's CST update.

Per team and in total:

- requests (questions, updates, district requests): received in the month (`item.created_at`); answered,
  escalated by a person, and moved on by a deadline in the month (the audit trail, `item_event`: an `escalated`
  entry with no actor is the deadline sweep's); the median time from a request's arrival to its answer, over
  the requests answered in the month; and requests still open past their deadline at `as_of` (their deadline
  has passed, or they were kept overdue at the last tier).
- training requests received in the month: how many reached each matching stage (the stage they are at, or
  closed at), and how many were matched.
- the team's coaching interaction log for the month: submitted on time (by `log_due_at`), late, or missing, with
  its interactions and minutes (live entries, submitted or not).

Seven queries whatever the number of items, teams or entries (each a GROUP BY, or one row per answered request
for the median), each reading one month through the `item.created_at` and `item_event.at` indexes, so the cost
follows the month's activity, not the years of history. Items not tied to a team (a lead's own question) count in
the totals only. `bench/bench_figures.py` measures it against a query per item and a one-scan floor.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlmodel import Session

from store import models
from store.summary import LATE, MISSING, ON_TIME, SUBMITTED, counts_query

REQUEST_KINDS = ("question", "update", "district")
TRAINING = "training"
ANSWERED, ESCALATED, OVERDUE = "answered", "escalated", "overdue"
OPEN = "open"
MATCHED = "matched"

_I = models.Item.__table__.c  # type: ignore[attr-defined]
_E = models.ItemEvent.__table__.c  # type: ignore[attr-defined]
_L = models.LogMonth.__table__.c  # type: ignore[attr-defined]


@dataclass
class Requests:
    received: int = 0
    answered: int = 0
    escalated: int = 0  # by a person (Escalate)
    moved_on: int = 0  # by a deadline passing (the sweep)
    open_overdue: int = 0
    median_hours: float | None = None  # arrival to answer, requests answered in the month


@dataclass
class Training:
    received: int = 0
    matched: int = 0
    stages: dict[str, int] = field(default_factory=dict)  # stage name -> requests that reached it (are or ended there)


@dataclass
class Log:
    status: str = MISSING  # on_time | late | missing
    interactions: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return self.minutes / 60


@dataclass
class TeamFigures:
    team_id: int | None  # None: requests not tied to a team
    name: str
    requests: Requests = field(default_factory=Requests)
    training: Training = field(default_factory=Training)
    log: Log | None = None  # None for the "not tied to a team" line


@dataclass
class MonthFigures:
    month: str
    as_of: datetime
    teams: list[TeamFigures]
    requests: Requests
    training: Training
    logs: dict[str, int]  # on_time | late | missing -> teams
    interactions: int
    minutes: int

    @property
    def hours(self) -> float:
        return self.minutes / 60

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonthFigures:
        teams = [
            TeamFigures(team_id=t["team_id"], name=t["name"], requests=Requests(**t["requests"]),
                        training=Training(**t["training"]), log=Log(**t["log"]) if t.get("log") else None)
            for t in data.get("teams", [])
        ]
        return cls(month=data["month"], as_of=datetime.fromisoformat(data["as_of"]), teams=teams,
                   requests=Requests(**data["requests"]), training=Training(**data["training"]),
                   logs=dict(data["logs"]), interactions=data["interactions"], minutes=data["minutes"])


def _aware(value: datetime) -> datetime:
    # Read through Core, a UTCDateTime column comes back aware already; a raw SQLite string would not.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def compile_figures(*, session: Session, month: str, start: datetime, end: datetime, as_of: datetime,
                    log_due_at: datetime, teams: dict[int, str]) -> MonthFigures:
    """The month [start, end) in figures. `teams` (id -> name, in display order) lists the teams to show; a team
    not listed that has figures is shown after them, named by id."""
    conn = session.connection()
    requests: dict[int | None, Requests] = defaultdict(Requests)
    training: dict[int | None, Training] = defaultdict(Training)
    in_month = and_(_I.created_at >= start, _I.created_at < end)
    is_request = _I.kind.in_(REQUEST_KINDS)

    # 1. requests received
    for team_id, n in conn.execute(
        select(_I.team_id, func.count()).where(is_request, in_month).group_by(_I.team_id)
    ):
        requests[team_id].received = n

    # 2. answered, escalated by a person, moved on by a deadline: requests with such an entry in the month
    by_clock = _E.actor_id.is_(None)
    events = (
        select(_I.team_id, _E.kind, by_clock.label("by_clock"), func.count(func.distinct(_E.item_id)))
        .select_from(models.ItemEvent)
        .join(models.Item, _I.id == _E.item_id)
        .where(is_request, _E.kind.in_((ANSWERED, ESCALATED)), _E.at >= start, _E.at < end)
        .group_by(_I.team_id, _E.kind, by_clock)
    )
    for team_id, kind, clock, n in conn.execute(events):
        line = requests[team_id]
        if kind == ANSWERED:
            line.answered += n
        elif clock:
            line.moved_on += n
        else:
            line.escalated += n

    # 3. time to answer: one row per request answered in the month (its arrival and its first answer)
    first_answer = func.min(_E.at)
    answered_in_month = select(_E.item_id).where(_E.kind == ANSWERED, _E.at >= start, _E.at < end)
    answers = (
        select(_I.team_id, _I.created_at, first_answer)
        .select_from(models.Item)
        .join(models.ItemEvent, _E.item_id == _I.id)
        .where(is_request, _E.kind == ANSWERED, _I.id.in_(answered_in_month))
        .group_by(_I.id, _I.team_id, _I.created_at)
        .having(first_answer >= start)  # its first answer, not a later one, fell in the month
    )
    hours: dict[int | None, list[float]] = defaultdict(list)
    for team_id, created, answered in conn.execute(answers):
        hours[team_id].append((_aware(answered) - _aware(created)).total_seconds() / 3600)

    # 4. open past their deadline now (or kept overdue at the last tier, with a fresh deadline)
    # Counted over the open items only (the status index): "received by the month's end" is a sum, not a filter,
    # so no planner walks years of history through the created_at index instead.
    kept_overdue = exists().where(_E.item_id == _I.id, _E.kind == OVERDUE)  # looked up per open item only
    overdue = (
        select(_I.team_id, func.sum(case((_I.created_at < end, 1), else_=0)))
        .where(is_request, _I.status == OPEN, or_(_I.deadline_at <= as_of, kept_overdue))
        .group_by(_I.team_id)
    )
    for team_id, n in conn.execute(overdue):
        if n:
            requests[team_id].open_overdue = int(n)

    # 5. training requests received in the month, by the stage they reached and how they ended
    stages = (
        select(_I.team_id, _I.tier, _I.status, func.count())
        .where(_I.kind == TRAINING, in_month)
        .group_by(_I.team_id, _I.tier, _I.status)
    )
    for team_id, tier, status, n in conn.execute(stages):
        line = training[team_id]
        line.received += n
        if tier:
            line.stages[tier] = line.stages.get(tier, 0) + n
        if status == MATCHED:
            line.matched += n

    # 6. coaching logs: live entries per team (submitted or not), then 7. each team's log status
    entries: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for team_id, _district, _kind, _submitted, n, minutes in conn.execute(counts_query(month)):
        entries[team_id][0] += n
        entries[team_id][1] += int(minutes or 0)
    logs: dict[int, Log] = {}
    for team_id, status, submitted_at in conn.execute(
        select(_L.team_id, _L.status, _L.submitted_at).where(_L.month == month)
    ):
        if status == SUBMITTED and submitted_at is not None:
            logs[team_id] = Log(status=ON_TIME if _aware(submitted_at) <= log_due_at else LATE)

    # Per team, in the order given; teams not given but with figures after them; then the team-less line.
    order = list(teams)
    order += sorted(t for t in {*requests, *training, *entries, *logs} if t is not None and t not in teams)
    lines: list[TeamFigures] = []
    for team_id in order:
        log = logs.get(team_id, Log())
        log.interactions, log.minutes = entries.get(team_id, [0, 0])
        line = TeamFigures(team_id, teams.get(team_id, f"team {team_id}"), requests.get(team_id, Requests()),
                           training.get(team_id, Training()), log)
        line.requests.median_hours = _median(hours.get(team_id, []))
        lines.append(line)
    if None in requests or None in training:
        loose = TeamFigures(None, "", requests.get(None, Requests()), training.get(None, Training()), None)
        loose.requests.median_hours = _median(hours.get(None, []))
        lines.append(loose)

    total = Requests(
        received=sum(r.received for r in requests.values()),
        answered=sum(r.answered for r in requests.values()),
        escalated=sum(r.escalated for r in requests.values()),
        moved_on=sum(r.moved_on for r in requests.values()),
        open_overdue=sum(r.open_overdue for r in requests.values()),
        median_hours=_median([h for values in hours.values() for h in values]),
    )
    all_training = Training()
    for line in training.values():
        all_training.received += line.received
        all_training.matched += line.matched
        for stage, n in line.stages.items():
            all_training.stages[stage] = all_training.stages.get(stage, 0) + n
    statuses = {ON_TIME: 0, LATE: 0, MISSING: 0}
    for line in lines:
        if line.log is not None and line.team_id in teams:  # teams shown because they are listed
            statuses[line.log.status] += 1
    return MonthFigures(
        month=month, as_of=as_of, teams=lines, requests=total, training=all_training, logs=statuses,
        interactions=sum(v[0] for v in entries.values()), minutes=sum(v[1] for v in entries.values()),
    )


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
