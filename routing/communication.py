"""How well the network communicates, from the items' audit trail (the lead facilitator evaluates "the
effectiveness of internal communication methods"). Pure: plain rows in, figures out; the shell reads the rows
(`store/communication.py`) and renders the figures (`templates/reports/communication.*`).

What is counted, exactly (the items asked in the period, each followed through to the newest audit row):

* A *tier visit* starts when an item of a chain (question, update, district request) reaches a tier: an
  `assigned` or `escalated` audit row naming the tier (detail `tier`). It ends at the next of:
  - `answered`: answered at that tier;
  - `escalated` by someone (an actor): escalated by hand (the next visit starts there);
  - `escalated` with no actor (the deadline sweep): moved on by a deadline;
  - `withdrawn`, `converted` (made a training request), `unroutable`: ended otherwise;
  and is *still open* when none came. A reassignment or a holder taking it keeps the visit going.
* Time to first action: business hours (the protocol's hours, weekends and holidays skipped) from the start of
  the visit to the first `answered`, hand `escalated`, `reassigned`, `taken` or `converted` row in it. Visits
  moved on by a deadline with nobody acting have none. Median, and the 90th percentile by nearest rank (the
  smallest time at least 90% of the visits were acted on within).
* Answered within the deadline: answered at the tier by the tier's deadline, out of the visits that were
  answered, escalated by hand or moved on by a deadline. The engine's deadline is the same local time
  `deadline_days` business days after the visit starts (its business-hours anchor), which is exactly
  `deadline_days` x the business day's hours of business time after the start: that is what is compared.
* Per team: the same figures over every visit of the team's items (the item's team: the asker's, or the
  district's for a district request).
* Redirected: `redirected` rows, a district person's request passed on by a member, counted by member.
* Missing reports (compliance items, docs/monthly-loop.md): per report (coaching log, lead update), the items
  opened (`created`, detail `report`), closed by the report coming in (`resolved`, which also ends the tier
  visit otherwise), answered with a note, withdrawn, still open. Their tier visits count like any item's.
* Training requests (asked as one, or converted to one in the period's items): each stage reached (a `stage`
  row naming a new stage), matched there (`matched` while at it), passed on by hand (`escalated` with an actor)
  or moved on by a deadline (`escalated` without); requests matched, unmatched, withdrawn, still open; the
  median business days from the request (or its conversion) to the match (business hours / hours per day).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import NamedTuple

from routing.model import AuditKind, ItemKind
from routing.protocol import Protocol

NO_TEAM = "No team"

# Audit rows the report reads (the store selects only these).
KINDS = (
    AuditKind.CREATED, AuditKind.ASSIGNED, AuditKind.ESCALATED, AuditKind.ANSWERED, AuditKind.REASSIGNED,
    AuditKind.TAKEN, AuditKind.CONVERTED, AuditKind.WITHDRAWN, AuditKind.UNROUTABLE, AuditKind.REDIRECTED,
    AuditKind.STAGE, AuditKind.MATCHED, AuditKind.UNMATCHED, AuditKind.RESOLVED,
)
# The audit kinds as plain strings: compared once per audit row, a str compares faster than an enum member.
_CREATED, _REDIRECTED, _ASSIGNED, _ESCALATED, _ANSWERED, _STAGE, _MATCHED, _UNMATCHED, _WITHDRAWN, _CONVERTED = (
    k.value for k in (AuditKind.CREATED, AuditKind.REDIRECTED, AuditKind.ASSIGNED, AuditKind.ESCALATED,
                      AuditKind.ANSWERED, AuditKind.STAGE, AuditKind.MATCHED, AuditKind.UNMATCHED,
                      AuditKind.WITHDRAWN, AuditKind.CONVERTED)
)
_TRAINING = ItemKind.TRAINING.value
_ENTERS = {_ASSIGNED, _ESCALATED}
_ACTIONS = {k.value for k in (AuditKind.ANSWERED, AuditKind.REASSIGNED, AuditKind.TAKEN, AuditKind.CONVERTED)}
_ENDED = {k.value for k in (AuditKind.WITHDRAWN, AuditKind.CONVERTED, AuditKind.UNROUTABLE, AuditKind.RESOLVED)}
_RESOLVED, _COMPLIANCE = AuditKind.RESOLVED.value, ItemKind.COMPLIANCE.value
REPORTS = ("coaching_log", "lead_update")  # routing.compliance.REPORTS, in the order the report lists them

ANSWERED, BY_HAND, BY_DEADLINE, ENDED, OPEN = "answered", "by_hand", "by_deadline", "ended", "open"


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: int
    kind: str  # the item's kind now (a converted question is "training")
    team_id: int | None
    created_at: datetime


class EventRow(NamedTuple):
    """One `item_event` row: `tier` and `item_kind` are its detail's keys of those names (None when absent). Any
    row with these attributes will do (the store passes its result rows, labelled the same, as they come)."""

    item_id: int
    kind: str
    actor_id: int | None
    at: datetime
    tier: str | None = None
    item_kind: str | None = None
    report: str | None = None  # a compliance item's opening row: which report is missing


@dataclass
class Line:
    """The figures of one chain tier, one team, or everything."""

    key: str
    label: str
    received: int = 0
    answered: int = 0
    escalated_by_hand: int = 0
    moved_on_by_deadline: int = 0
    ended_otherwise: int = 0
    open: int = 0
    answered_within_deadline: int = 0
    hours: list[float] = field(default_factory=list)  # time to first action, per visit acted on

    @property
    def decided(self) -> int:
        return self.answered + self.escalated_by_hand + self.moved_on_by_deadline

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.hours) if self.hours else None

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.hours, 90)

    @property
    def within_deadline_share(self) -> float | None:
        return self.answered_within_deadline / self.decided if self.decided else None

    def add(self, visit: _Visit) -> None:
        self.received += 1
        if visit.outcome == ANSWERED:
            self.answered += 1
            self.answered_within_deadline += visit.in_time
        elif visit.outcome == BY_HAND:
            self.escalated_by_hand += 1
        elif visit.outcome == BY_DEADLINE:
            self.moved_on_by_deadline += 1
        elif visit.outcome == ENDED:
            self.ended_otherwise += 1
        else:
            self.open += 1
        if visit.first_action is not None:
            self.hours.append(visit.first_action)


@dataclass
class TierLine(Line):
    chain: str = ""  # the item kind ("question")
    chain_label: str = ""
    tier: str = ""
    deadline_days: int = 0


@dataclass
class StageLine:
    name: str
    label: str
    reached: int = 0
    matched: int = 0
    passed_by_hand: int = 0
    moved_on_by_deadline: int = 0


@dataclass
class TrainingFigures:
    label: str
    requests: int = 0
    matched: int = 0
    unmatched: int = 0
    withdrawn: int = 0
    open: int = 0
    stages: list[StageLine] = field(default_factory=list)
    days_to_match: list[float] = field(default_factory=list)

    @property
    def median_days_to_match(self) -> float | None:
        return statistics.median(self.days_to_match) if self.days_to_match else None


@dataclass
class MissingReport:
    """Compliance items about one report: opened, and how they closed."""

    report: str
    label: str
    opened: int = 0
    resolved: int = 0  # the report came in: closed by itself
    answered: int = 0  # closed by its holder with a note
    withdrawn: int = 0
    open: int = 0


@dataclass(frozen=True)
class Redirect:
    person_id: int
    name: str
    count: int


@dataclass
class Communication:
    """The report. `start`/`end` are the period's first and last day (ISO dates), `label` names it."""

    label: str
    start: str
    end: str
    items: int
    tiers: list[TierLine]
    teams: list[Line]
    total: Line
    redirects: list[Redirect]
    training: TrainingFigures | None
    missing_reports: list[MissingReport] = field(default_factory=list)

    @property
    def chains(self) -> list[tuple[str, list[TierLine]]]:
        """The tier lines grouped by chain, in the protocol's order: [(chain label, lines)]."""
        grouped: dict[str, list[TierLine]] = {}
        for line in self.tiers:
            grouped.setdefault(line.chain_label, []).append(line)
        return list(grouped.items())

    @property
    def redirected(self) -> int:
        return sum(r.count for r in self.redirects)


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest rank: the smallest value at least `pct`% of the values are at or under."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass
class _Visit:
    chain: str
    tier: str
    started: datetime
    allowed: float | None  # business hours to the tier's deadline (None: a tier the protocol no longer has)
    outcome: str = OPEN
    first_action: float | None = None
    in_time: bool = False


def communication(
    items: Iterable[ItemRow],
    events: Iterable[EventRow],
    protocol: Protocol,
    *,
    label: str,
    start: str,
    end: str,
    team_names: Mapping[int, str],
    person_names: Mapping[int, str],
) -> Communication:
    """The report over `items` (the period's) and `events` (theirs, ordered by item, time, id)."""
    calendar = protocol.calendar
    by_id = {i.id: i for i in items}
    tiers: dict[tuple[str, str], TierLine] = {}
    for kind, chain in protocol.chains.items():
        for tier in chain.tiers:
            tiers[(kind.value, tier.name)] = TierLine(
                key=f"{kind.value}:{tier.name}", label=tier.label, chain=kind.value, chain_label=chain.label,
                tier=tier.name, deadline_days=tier.deadline_days,
            )
    teams: dict[int | None, Line] = {}
    total = Line("all", "All items")
    redirects: dict[int, int] = {}
    training = None
    stages: dict[str, StageLine] = {}
    if protocol.training is not None:
        stages = {s.name: StageLine(s.name, s.label) for s in protocol.training.sequence}
        training = TrainingFigures(protocol.training.label, stages=list(stages.values()))

    labels = {"coaching_log": "Coaching interaction logs", "lead_update": f"{protocol.reporting.lead_update_label}s"}
    missing = {r: MissingReport(r, labels[r][:1].upper() + labels[r][1:]) for r in REPORTS}
    for item_id, rows in groupby(events, key=lambda e: e.item_id):
        item = by_id.get(item_id)
        if item is None:
            continue
        visits, trained, compliance = _walk(item, list(rows), protocol, redirects, stages, training)
        if compliance is not None:
            report, how = compliance
            line = missing.get(report) or missing.setdefault(report, MissingReport(report, report))
            line.opened += 1
            setattr(line, how, getattr(line, how) + 1)
        team = teams.get(item.team_id)
        if team is None:
            name = team_names.get(item.team_id, f"team {item.team_id}") if item.team_id is not None else NO_TEAM
            team = teams[item.team_id] = Line(str(item.team_id or ""), name)
        for visit in visits:
            line = tiers.get((visit.chain, visit.tier))
            if line is not None:
                line.add(visit)
            team.add(visit)
            total.add(visit)
        if training is not None and trained is not None:
            since, matched_at, outcome = trained
            training.requests += 1
            if outcome == "matched" and matched_at is not None:
                training.matched += 1
                training.days_to_match.append(calendar.business_hours(since, matched_at) / calendar.hours_per_day)
            elif outcome == "unmatched":
                training.unmatched += 1
            elif outcome == "withdrawn":
                training.withdrawn += 1
            else:
                training.open += 1

    team_lines = sorted(teams.values(), key=lambda t: (t.label == NO_TEAM, _natural(t.label)))
    redirect_lines = sorted(
        (Redirect(pid, person_names.get(pid, f"person {pid}"), n) for pid, n in redirects.items()),
        key=lambda r: (-r.count, r.name.lower()),
    )
    return Communication(
        label=label, start=start, end=end, items=len(by_id), tiers=list(tiers.values()), teams=team_lines,
        total=total, redirects=redirect_lines, training=training, missing_reports=list(missing.values()),
    )


def _walk(item: ItemRow, rows: list[EventRow], protocol: Protocol, redirects: dict[int, int],
          stages: dict[str, StageLine], training: TrainingFigures | None):
    """One item's tier visits, (became training: when, matched at, outcome) or None, and (a compliance item:
    its report, how it closed: resolved | answered | withdrawn | open) or None."""
    calendar = protocol.calendar
    day_hours = calendar.hours_per_day
    kind = item.kind
    visits: list[_Visit] = []
    current: _Visit | None = None
    trained_since: datetime | None = None
    stage: str | None = None
    outcome = "open"
    matched_at = None
    report: str | None = None
    closed = "open"

    def close(visit: _Visit | None, how: str, at: datetime) -> None:
        if visit is None or visit.outcome != OPEN:
            return
        visit.outcome = how
        if how == ANSWERED:
            if visit.allowed is None:
                visit.in_time = True
            else:  # the answer was the first action (usually), else measure again
                took = visit.first_action if visit.first_action is not None and acted_at == at else (
                    calendar.business_hours(visit.started, at))
                visit.in_time = took <= visit.allowed

    acted_at: datetime | None = None

    def act(visit: _Visit | None, at: datetime) -> None:
        nonlocal acted_at
        if visit is not None and visit.outcome == OPEN and visit.first_action is None:
            visit.first_action = calendar.business_hours(visit.started, at)
            acted_at = at

    for e in rows:
        k = e.kind
        if k == _CREATED:
            kind = e.item_kind or item.kind
            if kind == _TRAINING:
                trained_since = e.at
            elif kind == _COMPLIANCE:
                report = e.report or "unknown"
            continue
        if report is not None and closed == "open":
            closed = {_RESOLVED: "resolved", _ANSWERED: "answered", _WITHDRAWN: "withdrawn"}.get(k, closed)
        if k == _REDIRECTED:
            if e.actor_id is not None:
                redirects[e.actor_id] = redirects.get(e.actor_id, 0) + 1
            continue
        if kind == _TRAINING:
            if k == _STAGE and e.tier and e.tier != stage:
                stage = e.tier
                if e.tier in stages:
                    stages[e.tier].reached += 1
            elif k == _ESCALATED and stage is not None and stage in stages:
                if e.actor_id is None:
                    stages[stage].moved_on_by_deadline += 1
                else:
                    stages[stage].passed_by_hand += 1
            elif k == _MATCHED:
                outcome, matched_at = "matched", e.at
                if stage in stages:
                    stages[stage].matched += 1
            elif k == _UNMATCHED:
                outcome = "unmatched"
            elif k == _WITHDRAWN:
                outcome = "withdrawn"
            continue
        # a chain item
        if k in _ENTERS and e.tier:
            if k == _ESCALATED:
                by_hand = e.actor_id is not None
                if by_hand:
                    act(current, e.at)
                close(current, BY_HAND if by_hand else BY_DEADLINE, e.at)
            current = _Visit(kind, e.tier, e.at, _allowed(protocol, kind, e.tier, day_hours))
            visits.append(current)
        elif k == _ANSWERED:
            act(current, e.at)
            close(current, ANSWERED, e.at)
        elif k in _ACTIONS:
            act(current, e.at)
        if k in _ENDED:
            close(current, ENDED, e.at)
        if k == _CONVERTED:
            kind, trained_since, current = _TRAINING, e.at, None
    compliance = (report, closed) if report is not None else None
    if training is None or trained_since is None:
        return visits, None, compliance
    return visits, (trained_since, matched_at, outcome), compliance


def _allowed(protocol: Protocol, kind: str, tier: str, day_hours: float) -> float | None:
    try:
        return protocol.chains[ItemKind(kind)].tier(tier).deadline_days * day_hours
    except (KeyError, ValueError):  # a kind or tier the protocol no longer has
        return None


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name))
