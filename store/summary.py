"""The monthly summary compiled from SUBMITTED coaching interaction logs ("CST Implementation Guide": "These
logs will be compiled into MMD summaries for DESE Learning Services, RPDC Directors, and Area Supervisors").

Only months a facilitator submitted count (`log_month.status == "submitted"`); a log reopened after submission
counts as not submitted until it is submitted again. The counts come from one SQL GROUP BY over the month's
entries (count and minutes by team, district, interaction type, and whether the team's log is submitted); topics
are counted by streaming only the topics column of the submitted entries. Every active team is listed under
submissions: on time (submitted by `protocol.log_due_at(month)`), late, or not submitted.

`summary_xlsx` writes the workbook (sheets By team, By district, Topics, Submissions) and `summary_chart` a PNG
of interactions by type per team. Rendering to text is the templates' job (`templates/reports/summary.*.j2`).
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, case, cast, func, select
from sqlmodel import Session

from routing import vocabulary
from routing.allocation import Ledger, ledger
from routing.communication import Communication
from routing.directory import Directory
from routing.protocol import Protocol
from store import allocation, models
from store.communication import compile_communication
from store.export import YIELD_PER

SUBMITTED = "submitted"
ON_TIME, LATE, MISSING = "on_time", "late", "missing"
STATUS_LABELS = {ON_TIME: "On time", LATE: "Late", MISSING: "Not submitted"}
STANDARD, EXPERTISE, OTHER = "standard", "expertise", "other"
KIND_LABELS = {STANDARD: "Standard for Professional Learning", EXPERTISE: "Expertise area", OTHER: "Other topic"}
TOPIC_LIST_CACHE = 20_000  # distinct topic lists remembered while counting (bounded memory)

_I = models.Interaction.__table__.c  # type: ignore[attr-defined]
_L = models.LogMonth.__table__.c  # type: ignore[attr-defined]

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str) -> date:
    """'2026-03' -> date(2026, 3, 1); ValueError with a readable message otherwise."""
    match = MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ValueError(f"{value!r} is not a month: use YYYY-MM, e.g. 2026-03")
    return date(int(match.group(1)), int(match.group(2)), 1)


def natural_key(name: str) -> tuple:
    """Sort 'Team 2' before 'Team 10'."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name))


# --- the result ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Interactions and minutes by interaction type key."""

    counts: dict[str, int] = field(default_factory=dict)
    minutes: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int, minutes: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + count
        self.minutes[kind] = self.minutes.get(kind, 0) + minutes

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    @property
    def hours(self) -> float:
        return self.total_minutes / 60

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)

    def hours_of(self, kind: str) -> float:
        return self.minutes.get(kind, 0) / 60


@dataclass
class DistrictLine:
    district_id: int
    name: str
    team_id: int
    team: str
    tally: Tally = field(default_factory=Tally)


@dataclass
class TeamLine:
    team_id: int
    name: str
    facilitators: tuple[str, ...]
    tally: Tally = field(default_factory=Tally)
    districts: list[DistrictLine] = field(default_factory=list)


@dataclass(frozen=True)
class TopicCount:
    name: str
    kind: str  # standard | expertise | other
    count: int  # interactions that covered it


@dataclass(frozen=True)
class Submission:
    """One team's log for the month, as the facilitators' report card shows it."""

    team_id: int
    team: str
    facilitators: tuple[str, ...]
    status: str  # on_time | late | missing
    log_status: str  # submitted | open | not started
    submitted_at: datetime | None  # in the protocol's time zone
    submitted_by: str | None
    entered: int  # live entries for the month, submitted or not
    active: bool = True

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Summary:
    month: str  # YYYY-MM
    organization: str
    due_at: datetime  # in the protocol's time zone
    types: tuple[tuple[str, str], ...]  # (key, label): the protocol's types, then unknown keys found
    teams: list[TeamLine]  # teams with submitted interactions, natural name order
    districts: list[DistrictLine]  # (team, district) with submitted interactions, by team then district
    totals: Tally
    standards: list[TopicCount]  # every standard of the protocol, in its order (zero counts included)
    expertise: list[TopicCount]  # every expertise area of the protocol, in its order
    other_topics: list[TopicCount]  # names matching neither list, most frequent first
    topics_by_team: dict[int, list[TopicCount]]  # team id -> topics covered (non-zero), most frequent first
    submissions: list[Submission]  # every active team (and inactive ones that submitted), natural name order
    allocations: Ledger | None = None  # the state contacts' allocation ledger of the month's school year
    communication: Communication | None = None  # the month's items and their audit trail (store.communication)

    @property
    def month_label(self) -> str:
        return f"{parse_month(self.month):%B %Y}"

    @property
    def on_time(self) -> list[Submission]:
        return [s for s in self.submissions if s.status == ON_TIME]

    @property
    def late(self) -> list[Submission]:
        return [s for s in self.submissions if s.status == LATE]

    @property
    def missing(self) -> list[Submission]:
        return [s for s in self.submissions if s.status == MISSING]

    @property
    def districts_served(self) -> int:
        return len({d.district_id for d in self.districts})

    def type_label(self, key: str) -> str:
        return dict(self.types).get(key, key)

    def topics_of_team(self, team_id: int) -> list[TopicCount]:
        return self.topics_by_team.get(team_id, [])


@dataclass(frozen=True)
class ScopeFigures:
    """A summary seen from an RPDC director's center or an area supervisor's area (routing.audiences.Scope)."""

    label: str
    interactions: int
    minutes: int
    districts: int  # the districts in the scope
    served: int  # of them, with interactions in submitted logs
    teams: tuple[Submission, ...]  # the teams serving them, natural name order

    @property
    def hours(self) -> float:
        return self.minutes / 60


def scoped(summary: Summary, label: str, district_ids: Iterable[int], team_ids: Iterable[int]) -> ScopeFigures:
    """The summary's figures for some districts: interactions and hours in submitted logs, how many of the
    districts were served, and the submission status of the teams serving them."""
    ids, teams = set(district_ids), set(team_ids)
    lines = [d for d in summary.districts if d.district_id in ids]
    return ScopeFigures(
        label=label,
        interactions=sum(d.tally.total for d in lines),
        minutes=sum(d.tally.total_minutes for d in lines),
        districts=len(ids),
        served=len({d.district_id for d in lines}),
        teams=tuple(s for s in summary.submissions if s.team_id in teams),
    )


# --- compiling -----------------------------------------------------------------------------------------


def counts_query(month: str):
    """Count and minutes by (team, district, type, submitted?) for a month's live entries: one GROUP BY."""
    submitted = case((_L.status == SUBMITTED, 1), else_=0).label("submitted")
    return (
        select(
            _I.team_id,
            _I.district_id,
            _I.interaction_type,
            submitted,
            func.count().label("n"),
            func.coalesce(func.sum(_I.duration_minutes), 0).label("minutes"),
        )
        .select_from(models.Interaction)
        .outerjoin(models.LogMonth, and_(_L.team_id == _I.team_id, _L.month == _I.month))
        .where(_I.month == month, _I.deleted_at.is_(None))
        .group_by(_I.team_id, _I.district_id, _I.interaction_type, submitted)
    )


def topics_query(month: str):
    """The topics column of the month's live entries in submitted logs, as its JSON text.

    Text, not decoded JSON: most entries repeat a few topic lists, so each distinct text is decoded and
    classified once (half the time of letting the driver decode every row on PostgreSQL)."""
    return (
        select(_I.team_id, cast(_I.topics, Text))
        .join(models.LogMonth, and_(_L.team_id == _I.team_id, _L.month == _I.month))
        .where(_I.month == month, _I.deleted_at.is_(None), _L.status == SUBMITTED)
    )


def compile_summary(*, session: Session, month: str, protocol: Protocol, directory: Directory) -> Summary:
    """The month's summary from submitted logs. `directory` names teams, districts and facilitators."""
    parse_month(month)
    conn = session.connection()
    tz: ZoneInfo = protocol.timezone
    facilitators = _facilitator_names(directory)

    # Counts and minutes, per (team, district); teams and totals are rolled up from the districts.
    teams: dict[int, TeamLine] = {}
    districts: dict[tuple[int, int], DistrictLine] = {}
    entered: Counter[int] = Counter()
    seen_types: dict[str, None] = {}
    for team_id, district_id, kind, submitted, n, minutes in conn.execute(counts_query(month)):
        entered[team_id] += n
        if not submitted:
            continue
        seen_types[kind] = None
        district = districts.get((team_id, district_id))
        if district is None:
            team = teams.get(team_id)
            if team is None:
                name = _team_name(directory, team_id)
                team = teams[team_id] = TeamLine(team_id, name, facilitators.get(team_id, ()))
            district = districts[(team_id, district_id)] = DistrictLine(
                district_id, _district_name(directory, district_id), team_id, team.name
            )
        district.tally.add(kind, n, int(minutes or 0))

    team_lines = sorted(teams.values(), key=lambda t: natural_key(t.name))
    team_order = {t.team_id: i for i, t in enumerate(team_lines)}
    district_lines = sorted(districts.values(), key=lambda d: (team_order[d.team_id], natural_key(d.name)))
    totals = Tally()
    for d in district_lines:
        team = teams[d.team_id]
        team.districts.append(d)
        merge_tally(team.tally, d.tally)
    for team in team_lines:
        merge_tally(totals, team.tally)

    known = [(t.key, t.label) for t in protocol.interaction_types]
    types = tuple(known + [(k, k) for k in seen_types if k not in dict(known)])

    # Topics: only the topics column, streamed.
    standards, expertise, other, by_team = _count_topics(conn, month, protocol)

    # Submissions: every active team, and any inactive team whose submitted log was counted.
    logs = {
        r.team_id: r
        for r in conn.execute(
            select(_L.team_id, _L.status, _L.submitted_at, _L.submitted_by).where(_L.month == month)
        )
    }
    due_at = protocol.log_due_at(month)
    submissions = []
    listed = [t for t in directory.teams.values() if t.active or t.id in teams]
    for t in sorted(listed, key=lambda t: natural_key(t.name)):
        log = logs.get(t.id)
        submitted_at = _as_utc(log.submitted_at) if log is not None else None
        if log is not None and log.status == SUBMITTED:
            status = ON_TIME if submitted_at is not None and submitted_at <= due_at else LATE
        else:
            status = MISSING
        by = directory.person(log.submitted_by) if log is not None and log.submitted_by is not None else None
        submissions.append(
            Submission(
                team_id=t.id,
                team=t.name,
                facilitators=facilitators.get(t.id, ()),
                status=status,
                log_status=log.status if log is not None else "not started",
                submitted_at=submitted_at.astimezone(tz) if submitted_at is not None else None,
                submitted_by=by.label if by is not None else None,
                entered=entered.get(t.id, 0),
                active=t.active,
            )
        )

    allocations = None
    if protocol.training is not None:  # as of the month's last day
        first = parse_month(month)
        day = first.replace(day=monthrange(first.year, first.month)[1])
        rows = allocation.in_school_year(session=session, protocol=protocol, day=day)
        allocations = ledger(directory, protocol, rows, day=day, as_of=day)
    first = parse_month(month)
    last = first.replace(day=monthrange(first.year, first.month)[1])
    communication = compile_communication(
        session=session, start=first, end=last, protocol=protocol, directory=directory, label=f"{first:%B %Y}"
    )
    return Summary(
        communication=communication,
        allocations=allocations,
        month=month,
        organization=directory.organization,
        due_at=due_at.astimezone(tz),
        types=types,
        teams=team_lines,
        districts=district_lines,
        totals=totals,
        standards=standards,
        expertise=expertise,
        other_topics=other,
        topics_by_team=by_team,
        submissions=submissions,
    )


def merge_tally(into: Tally, tally: Tally) -> None:
    counts, minutes = into.counts, into.minutes
    for kind, n in tally.counts.items():
        counts[kind] = counts.get(kind, 0) + n
    for kind, m in tally.minutes.items():
        minutes[kind] = minutes.get(kind, 0) + m


def _as_utc(value: datetime | None) -> datetime | None:
    # Read through Core, a UTCDateTime column comes back aware already; a raw SQLite string would not.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _facilitator_names(directory: Directory) -> dict[int, tuple[str, ...]]:
    index = directory.index
    return {t.id: tuple(p.label for p in index.facilitators_of(t.id)) for t in directory.teams.values()}


def _team_name(directory: Directory, team_id: int) -> str:
    team = directory.teams.get(team_id)
    return team.name if team is not None else f"team {team_id}"


def _district_name(directory: Directory, district_id: int) -> str:
    district = directory.districts.get(district_id)
    return district.name if district is not None else f"district {district_id}"


def _count_topics(
    conn, month: str, protocol: Protocol
) -> tuple[list[TopicCount], list[TopicCount], list[TopicCount], dict[int, list[TopicCount]]]:
    # Each distinct name is classified once: a standard, an expertise area, both ("Data"), or neither; each
    # distinct topic list (as stored) once into the set of what it covers.
    classes: dict[str, tuple[tuple[str, str], ...]] = {}
    lists: dict[str, frozenset[tuple[str, str]]] = {}

    def classify(name: str) -> tuple[tuple[str, str], ...]:
        found = []
        if (s := vocabulary.canonical(name, protocol.standards)) is not None:
            found.append((STANDARD, s))
        if (e := vocabulary.canonical(name, protocol.expertise)) is not None:
            found.append((EXPERTISE, e))
        return tuple(found) or ((OTHER, name.strip()),)

    overall: Counter[tuple[str, str]] = Counter()
    per_team: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
    result = conn.execute(topics_query(month), execution_options={"stream_results": True, "yield_per": YIELD_PER})
    try:
        for team_id, stored in result:
            keys = lists.get(stored)
            if keys is None:
                found: set[tuple[str, str]] = set()  # a topic named twice in one entry ("Data", "data") counts once
                for name in json.loads(stored) if stored else ():
                    if name not in classes:
                        classes[name] = classify(name)
                    found.update(classes[name])
                if len(lists) >= TOPIC_LIST_CACHE:
                    lists.clear()
                keys = lists[stored] = frozenset(found)
            if keys:
                counts = per_team[team_id]
                for key in keys:
                    counts[key] += 1
    finally:
        result.close()
    for counts in per_team.values():
        overall.update(counts)

    standards = [TopicCount(s, STANDARD, overall.get((STANDARD, s), 0)) for s in protocol.standards]
    expertise = [TopicCount(e, EXPERTISE, overall.get((EXPERTISE, e), 0)) for e in protocol.expertise]
    other = sorted(
        (TopicCount(name, OTHER, n) for (kind, name), n in overall.items() if kind == OTHER),
        key=lambda t: (-t.count, t.name.lower()),
    )
    order = {STANDARD: 0, EXPERTISE: 1, OTHER: 2}
    by_team = {
        team_id: sorted(
            (TopicCount(name, kind, n) for (kind, name), n in counts.items()),
            key=lambda t: (-t.count, order[t.kind], t.name.lower()),
        )
        for team_id, counts in per_team.items()
    }
    return standards, expertise, other, by_team


# --- workbook ------------------------------------------------------------------------------------------
