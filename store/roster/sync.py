"""Write a validated Roster into the database: add, update, reactivate, deactivate; never delete.

Rows keep their ids for life, so items, events and logs that point at them keep their history. A row is
touched (and its `updated_at` moves) only when a value really changes: importing the same file twice
writes nothing the second time.

Set-based, so every US state's roster (~210,000 rows) imports in seconds: each table is read with one Core
SELECT, compared in memory, and written with one statement per kind of write: new rows in one bulk insert
(COPY on PostgreSQL, executemany elsewhere), changed rows in one executemany UPDATE per set of changed columns.
No ORM object is built per row. What is written, and the report, are exactly what the row-by-row importer
wrote (tests/store/test_roster_scale.py compares the two on a generated roster).
"""

from __future__ import annotations

import json
from collections import Counter, namedtuple
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from sqlalchemy import JSON, Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from routing.errors import CstbotError
from store import models
from store.directory import ORGANIZATION_KEY, bump_directory_version
from store.memory import gc_paused
from store.roster.model import PersonSpec, Roster
from store.roster.validate import name_key
from store.types import utcnow

Lookup = Callable[[str], "str | None"]
"""email -> Slack user id, or None when Slack has no user with that email."""


class LookupFailed(Exception):
    """A lookup's Slack error other than "not found". `fatal` (bad token, missing scope, no network)
    means every further lookup would fail the same way, so the import stops asking."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


# Kinds of rows, in report order, with their plural for the report's table.
KINDS: dict[str, str] = {
    "organization": "organization",
    "person": "people",
    "team": "teams",
    "membership": "memberships",
    "district": "districts",
    "district staff": "district staff",
    "role": "roles",
    "channel": "channels",
    "support": "support team",
    "trainer": "trainers",
    "audience": "audiences",
}
ACTIONS = ("added", "updated", "reactivated", "deactivated")

NO_LOOKUP = "no slack_id in the file and no Slack lookup (the bot token is not set)"
DRY_RUN_LOOKUP = "no slack_id in the file: would be looked up in Slack by email"


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # a key of KINDS
    action: str  # one of ACTIONS
    label: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Someone the bot cannot reach in Slack yet (no Slack user id)."""

    label: str
    reason: str


@dataclass
class ImportReport:
    source: str
    organization: str
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lookups: int = 0  # Slack lookups made

    def count(self, kind: str, action: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind and c.action == action)

    @property
    def counts(self) -> list[dict[str, Any]]:
        """One row per kind: {'kind': 'people', 'added': 3, 'updated': 0, ...}."""
        tally = Counter((c.kind, c.action) for c in self.changes)
        return [{"kind": plural, **{a: tally[kind, a] for a in ACTIONS}} for kind, plural in KINDS.items()]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# --- people: matching and Slack ids ---------------------------------------------------------------------


@dataclass
class _PeoplePlan:
    rows: dict[str, Any]  # person key -> the row it is (None: a new person)
    kept: dict[str, str]  # person key -> stored Slack id kept because the file gives none
    lookup: list[PersonSpec]  # people with no Slack id in the file nor stored: look them up by email


def _plan_people(roster: Roster, rows: Sequence[Any]) -> _PeoplePlan:
    """Match file people to rows: by email first (for everyone), then by Slack id."""
    by_email = {r.email: r for r in rows if r.email}
    by_slack = {r.slack_id: r for r in rows if r.slack_id}
    matched: dict[str, Any] = {}
    taken: set[int | None] = set()
    for p in roster.people:
        row = by_email.get(p.email) if p.email else None
        if row is not None:
            matched[p.key] = row
            taken.add(row.id)
    for p in roster.people:
        if p.key in matched:
            continue
        row = by_slack.get(p.slack_id) if p.slack_id else None
        if row is not None and row.id in taken:
            row = None
        matched[p.key] = row
        if row is not None:
            taken.add(row.id)
    in_file = {p.slack_id for p in roster.people if p.slack_id}
    kept: dict[str, str] = {}
    lookup: list[PersonSpec] = []
    for p in roster.people:
        if p.slack_id:
            continue
        row = matched[p.key]
        if row is not None and row.slack_id and row.slack_id not in in_file:
            kept[p.key] = row.slack_id  # found by an earlier lookup: never asked again
        elif p.email:
            lookup.append(p)
    return _PeoplePlan(matched, kept, lookup)


def _rows(conn: Connection, model: type[SQLModel], *columns: str) -> list[Any]:
    """Every row of the model's table in id order, as named tuples: the id and `columns`, else every column but
    the timestamps (written, never compared; decoding them was a third of reading a big table)."""
    table = model.__table__  # type: ignore[attr-defined]
    if columns:
        cols = [table.c.id, *(table.c[c] for c in columns)]
    else:
        cols = [c for c in table.columns if c.name not in ("created_at", "updated_at")]
    make = _record_type(table.name, tuple(c.name for c in cols))._make  # plain tuples: 10x faster to read than Row
    return [make(r) for r in conn.execute(select(*cols).order_by(table.c.id))]


@cache
def _record_type(table: str, columns: tuple[str, ...]) -> type:
    return namedtuple(f"{table}_row", columns)  # type: ignore[misc]


def people_to_look_up(roster: Roster, *, session: Session) -> list[PersonSpec]:
    """The people of the roster whose Slack id is neither in the file nor already stored."""
    return _plan_people(roster, _rows(session.connection(), models.Person, "email", "slack_id")).lookup


# --- the sync -----------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if value is None or value == []:
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


Progress = Callable[..., None]
"""`progress(step)` as each step starts, and `progress(step, done, total)` within a long one, for a progress bar.
The steps, in order, are `STEPS`; "looking up" happens only with a Slack lookup, "reading" only from a file."""

SYNC_STEPS = ("people", "teams", "memberships", "districts", "district staff", "roles", "channels",
              "support team and audiences")
STEPS = ("reading", "checking", "looking up", *SYNC_STEPS, "saving")


def _no_progress(step: str, done: int = 0, total: int = 0) -> None:
    pass


@dataclass
class _Writes:
    """What one table's sync decided to write; `flush` writes it, one statement per kind of write."""

    updates: dict[frozenset[str], list[dict[str, Any]]] = field(default_factory=dict)  # changed columns -> rows
    inserts: list[dict[str, Any]] = field(default_factory=list)

    def update(self, row_id: int, values: dict[str, Any]) -> None:
        self.updates.setdefault(frozenset(values), []).append({"_row_id": row_id, **values})


class _Sync:
    def __init__(self, session: Session, report: ImportReport, now: datetime) -> None:
        self.session, self.report, self.now = session, report, now
        self.conn = session.connection()
        self.shown: dict[str, Callable[[Any], str]] = {}

    def change(self, kind: str, action: str, label: str, details: list[str] | tuple[str, ...] = ()) -> None:
        self.report.changes.append(Change(kind, action, label, tuple(details)))

    def rows(self, model: type[SQLModel], *columns: str) -> list[Any]:
        return _rows(self.conn, model, *columns)

    def compare(
        self, kind: str, row: Any, values: Mapping[str, Any], label: str, writes: _Writes,
        before: Mapping[str, Any] | None = None,
    ) -> None:
        """Plan setting the values that differ; reactivate an inactive row. `before` overrides a current value
        that was cleared in an earlier statement (see the two-step Slack id update)."""
        if before is None and row.active and _getter(tuple(values))(row) == tuple(values.values()):
            return  # unchanged: most rows of a re-import, decided in one C-level comparison
        details = []
        changed: dict[str, Any] = {}
        for name, new in values.items():
            current = getattr(row, name)
            old = before[name] if before and name in before else current
            if old != new:
                show = self.shown.get(name, _show)
                details.append(f"{name} {show(old)} -> {show(new)}")
            if current != new:
                changed[name] = new
        reactivated = not row.active
        if details or reactivated:
            changed["active"] = True
            changed["updated_at"] = self.now
            self.change(kind, "reactivated" if reactivated else "updated", label, details)
        if changed:
            writes.update(row.id, changed)

    def insert(self, kind: str, model: type[SQLModel], values: dict[str, Any], label: str, writes: _Writes) -> None:
        writes.inserts.append({**_defaults(model), **values, "created_at": self.now, "updated_at": self.now})
        self.change(kind, "added", label)

    def deactivate(self, kind: str, row: Any, label: str, writes: _Writes) -> None:
        if row.active:
            writes.update(row.id, {"active": False, "updated_at": self.now})
            self.change(kind, "deactivated", label)

    def flush(self, model: type[SQLModel], writes: _Writes) -> None:
        """Updates first, then inserts (the order the ORM's flush used: a row that gives up a unique value
        is written before the row that takes it)."""
        table = model.__table__  # type: ignore[attr-defined]
        for rows in writes.updates.values():
            self.conn.execute(update(table).where(table.c.id == bindparam("_row_id")), rows)
        if writes.inserts:
            _bulk_insert(self.conn, table, writes.inserts)

    def sync(
        self,
        kind: str,
        model: type[SQLModel],
        key_of: Callable[[Any], Hashable],
        desired: Iterable[tuple[Hashable, dict[str, Any], str]],
        label_of: Callable[[Any], str],
    ) -> dict[Hashable, int]:
        """Make the rows of `model` be `desired` (key, values, label): add, update, deactivate the rest.
        Returns the id of each desired key's row."""
        rows = self.rows(model)
        existing: dict[Hashable, Any] = {}
        for row in sorted(rows, key=lambda r: r.active):  # an active row wins a (legacy) key clash
            existing[key_of(row)] = row
        result: dict[Hashable, int] = {}
        added: list[Hashable] = []
        writes = _Writes()
        for key, values, label in desired:
            row = existing.get(key)
            if row is None:
                self.insert(kind, model, values, label, writes)
                added.append(key)
            else:
                self.compare(kind, row, values, label, writes)
                result[key] = row.id
        kept = set(result.values())
        for row in rows:
            if row.id not in kept:
                self.deactivate(kind, row, label_of(row), writes)
        self.flush(model, writes)
        if added:  # the new rows' ids, by key (a new key matched no row before: it is unique)
            wanted = set(added)
            for row in self.rows(model, *KEY_COLUMNS[model]):
                key = key_of(row)
                if key in wanted:
                    result[key] = row.id
        return result


# The columns a table's rows are matched on (the key functions below read only these).
KEY_COLUMNS: dict[type[SQLModel], tuple[str, ...]] = {
    models.Team: ("name",),
    models.TeamMembership: ("team_id", "person_id"),
    models.District: ("name",),
    models.DistrictStaff: ("district_id", "person_id"),
    models.PersonRole: ("person_id", "role"),
    models.Channel: ("purpose", "channel_id"),
    models.SupportMember: ("person_id",),
    models.ContactTrainer: ("contact_id", "trainer_id"),
    models.AudienceMember: ("audience", "person_id", "center", "region", "zone", "districts"),
}


@cache
def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A row's values of `names`, as a tuple (even for one name)."""
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda row: (get(row),)


@cache
def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The model's default for each column a new row may be given none for (`active`: True)."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in ("id", "created_at", "updated_at") or info.is_required() or info.default_factory is not None:
            continue
        out[name] = info.default
    return out


def _bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One bulk insert: COPY on PostgreSQL (psycopg), executemany elsewhere. Rows get their ids in list order."""
    columns = [c.name for c in table.columns if c.name != "id"]
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        conn.execute(insert(table), rows)
        return
    import psycopg

    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in json_columns else row[c] for c in columns])
    except psycopg.errors.IntegrityError as exc:  # what SQLAlchemy raises for the same error from an INSERT
        raise sqlalchemy.exc.IntegrityError(statement, None, exc) from exc


def sync_roster(
    roster: Roster,
    *,
    session: Session,
    slack_ids: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Write `roster` into the session's transaction (the caller commits or rolls back).

    `slack_ids` are lookup results (email -> Slack id); `notes` say why someone without a Slack id has
    none (email -> reason) for the report.
    """
    slack_ids, notes = slack_ids or {}, notes or {}
    report = ImportReport(source=roster.source, organization=roster.organization)
    report.warnings.extend(str(w) for w in roster.warnings)
    s = _Sync(session, report, now or utcnow())
    step = progress or _no_progress

    meta = session.get(models.Meta, ORGANIZATION_KEY)
    if meta is None:
        session.add(models.Meta(key=ORGANIZATION_KEY, value=roster.organization))
        s.change("organization", "added", roster.organization)
    elif meta.value != roster.organization:
        s.change("organization", "updated", roster.organization, [f"name {meta.value} -> {roster.organization}"])
        meta.value = roster.organization

    step("people")
    people, person_label = _sync_people(s, roster, slack_ids, notes)

    step("teams")
    teams = s.sync(
        "team",
        models.Team,
        lambda r: name_key(r.name),
        [(name_key(t.name), {"name": t.name, "zone": t.zone, "region": t.region}, t.name) for t in roster.teams],
        lambda r: r.name,
    )
    team_name = {r.id: r.name for r in s.rows(models.Team, "name")}

    step("memberships")
    s.sync(
        "membership",
        models.TeamMembership,
        lambda r: (r.team_id, r.person_id),
        (
            (
                (teams[name_key(m.team)], people[m.person]),
                {
                    "team_id": teams[name_key(m.team)],
                    "person_id": people[m.person],
                    "role": m.role.value,
                    "expertise": list(m.expertise),
                    "fte": m.fte,
                    "fte_available": m.fte_available,
                    "home_center": m.home_center,
                    "fit": m.fit,
                },
                f"{person_label[people[m.person]]} in {m.team} ({m.role.value})",
            )
            for m in roster.memberships
        ),
        lambda r: f"{person_label[r.person_id]} in {team_name[r.team_id]} ({r.role})",
    )

    step("districts")
    s.shown["team_id"] = lambda v: team_name.get(v, "none") if v is not None else "none"
    districts = s.sync(
        "district",
        models.District,
        lambda r: name_key(r.name),
        (
            (
                name_key(d.name),
                {
                    "name": d.name,
                    "team_id": teams[name_key(d.team)] if d.team else None,
                    "zone": d.zone,
                    "region": d.region,
                    "center": d.center,
                },
                d.name,
            )
            for d in roster.districts
        ),
        lambda r: r.name,
    )
    district_name = {r.id: r.name for r in s.rows(models.District, "name")}

    step("district staff")
    def staff():
        for d in roster.districts:
            district_id = districts[name_key(d.name)]
            for key in d.staff:
                person_id = people[key]
                yield (
                    (district_id, person_id),
                    {"district_id": district_id, "person_id": person_id},
                    f"{person_label[person_id]} at {d.name}",
                )

    s.sync(
        "district staff",
        models.DistrictStaff,
        lambda r: (r.district_id, r.person_id),
        staff(),
        lambda r: f"{person_label[r.person_id]} at {district_name[r.district_id]}",
    )

    step("roles")
    s.sync(
        "role",
        models.PersonRole,
        lambda r: (r.person_id, r.role),
        (
            (
                (people[r.person], r.role.value),
                {
                    "person_id": people[r.person],
                    "role": r.role.value,
                    "expertise": list(r.expertise),
                    "fte": r.fte,
                    "home_center": r.home_center,
                    "position": r.position,
                },
                f"{person_label[people[r.person]]} as {r.role.value}",
            )
            for r in roster.roles
        ),
        lambda r: f"{person_label[r.person_id]} as {r.role}",
    )

    step("channels")
    s.sync(
        "channel",
        models.Channel,
        lambda r: (r.purpose, r.channel_id),
        (
            (
                (c.purpose, c.channel_id),
                {"purpose": c.purpose, "channel_id": c.channel_id},
                f"{c.purpose} {c.channel_id}",
            )
            for c in roster.channels
        ),
        lambda r: f"{r.purpose} {r.channel_id}",
    )

    step("support team and audiences")
    _sync_network(s, roster, people, person_label)

    session.flush()
    if report.changed:
        bump_directory_version(session=session)  # running processes reload their cached directory
    return report


def _sync_network(
    s: _Sync, roster: Roster, people: Mapping[str, int], person_label: Mapping[int, str]
) -> None:
    """The support team, each state contact's trainers, and the audiences: their own tables, their own sync."""
    s.sync(
        "support",
        models.SupportMember,
        lambda r: r.person_id,
        [
            (
                people[r.person],
                {
                    "person_id": people[r.person],
                    "expertise": list(r.expertise),
                    "fte": r.fte,
                    "fte_available": r.fte_available,
                    "home_center": r.home_center,
                    "position": r.position,
                },
                person_label[people[r.person]],
            )
            for r in roster.support
        ],
        lambda r: person_label[r.person_id],
    )
    s.sync(
        "trainer",
        models.ContactTrainer,
        lambda r: (r.contact_id, r.trainer_id),
        [
            (
                (people[r.person], people[t]),
                {"contact_id": people[r.person], "trainer_id": people[t], "position": i},
                f"{person_label[people[t]]} for {person_label[people[r.person]]}",
            )
            for r in roster.roles
            for i, t in enumerate(r.trainers)
        ],
        lambda r: f"{person_label[r.trainer_id]} for {person_label[r.contact_id]}",
    )
    s.sync(
        "audience",
        models.AudienceMember,
        lambda r: _audience_key(r.audience, r.person_id, r.center, r.region, r.zone, r.districts),
        [
            (
                _audience_key(a.audience, people[a.person], a.center, a.region, a.zone, a.districts),
                {"audience": a.audience, "person_id": people[a.person], "center": a.center, "region": a.region,
                 "zone": a.zone, "districts": list(a.districts), "position": a.position},
                f"{person_label[people[a.person]]} in {a.audience}" + _scope_label(a),
            )
            for a in roster.audiences
        ],
        lambda r: f"{person_label[r.person_id]} in {r.audience}" + _scope_label(r),
    )


def _audience_key(audience: str, person_id: int, center: str | None, region: str | None, zone: str | None,
                  districts: Any) -> tuple:
    """An audience entry is its audience, person and scope (a person may direct two centers)."""
    return (audience, person_id, name_key(center or ""), region or "", zone or "",
            tuple(name_key(d) for d in districts or ()))


def _scope_label(a: Any) -> str:
    scope = a.center or a.region or a.zone or ", ".join(a.districts or ())
    return f" ({scope})" if scope else ""


def _person_label(row: Any) -> str:
    return f"{row.name} <{row.email}>" if row.email else f"{row.name} ({row.slack_id or 'no Slack id'})"


def _sync_people(
    s: _Sync, roster: Roster, slack_ids: Mapping[str, str], notes: Mapping[str, str]
) -> tuple[dict[str, int], dict[int, str]]:
    """Returns each file person's row id (by person key) and every person's label (by id), as now stored."""
    rows = s.rows(models.Person)
    plan = _plan_people(roster, rows)
    matched_ids = {r.id for r in plan.rows.values() if r is not None}
    holders = {r.slack_id: r for r in rows if r.slack_id}

    # The Slack id each file person ends with: the file's, else the stored one, else a lookup's.
    final: dict[str, str | None] = {}
    used = {p.slack_id for p in roster.people if p.slack_id} | set(plan.kept.values())
    for p in roster.people:
        final[p.key] = p.slack_id or plan.kept.get(p.key)
        if final[p.key] is not None:
            continue
        found = slack_ids.get(p.email or "")
        holder = holders.get(found) if found else None
        if found and found not in used and holder is None:
            final[p.key] = found
            used.add(found)
        elif found and holder is not None and holder.id not in matched_ids:
            s.report.unresolved.append(
                Unresolved(
                    p.label,
                    f"Slack returned {found}, the Slack id of {_person_label(holder)}, who is not in the file: "
                    f"give this person slack_id {found} to carry on that record",
                )
            )
        elif found:
            s.report.unresolved.append(Unresolved(p.label, f"Slack returned {found}, which belongs to someone else"))
        else:
            s.report.unresolved.append(Unresolved(p.label, notes.get(p.email or "", NO_LOOKUP)))

    # Two steps, so Slack ids can move between people without breaking the unique index: clear every id
    # that changes (and ids that a person not in the file holds but the file gives to someone else) ...
    person = models.Person.__table__  # type: ignore[attr-defined]
    cleared: set[int] = set()
    for p in roster.people:
        row = plan.rows[p.key]
        if row is not None and row.slack_id is not None and row.slack_id != final[p.key]:
            cleared.add(row.id)
    moved = {row.id for row in rows if row.id not in matched_ids and row.slack_id in used}
    cleared |= moved  # people not in the file whose Slack id the file gives someone else
    if cleared:
        s.conn.execute(
            update(person).where(person.c.id == bindparam("_row_id")).values(slack_id=None),
            [{"_row_id": i} for i in sorted(cleared)],
        )

    # ... then set the file's values.
    writes = _Writes()
    for p in roster.people:
        values = {"name": p.name, "email": p.email, "slack_id": final[p.key], "away_until": p.away_until}
        row = plan.rows[p.key]
        if row is None:
            s.insert("person", models.Person, values, p.label, writes)
        else:
            if row.id in cleared:
                s.compare("person", row._replace(slack_id=None), values, p.label, writes,
                          before={"slack_id": row.slack_id})
            else:
                s.compare("person", row, values, p.label, writes)
    for row in rows:
        if row.id in matched_ids:
            continue
        details = [f"slack_id {row.slack_id} -> none (given to someone else)"] if row.id in moved else []
        if row.active or details:
            s.change("person", "deactivated" if row.active else "updated", _person_label(row), details)
            writes.update(row.id, {"active": False, "updated_at": s.now})
    s.flush(models.Person, writes)

    ids: dict[str, int] = {}
    labels: dict[int, str] = {}
    by_email: dict[str, int] = {}
    by_slack: dict[str, int] = {}
    unchanged = not cleared and not writes.updates and not writes.inserts
    for r in rows if unchanged else s.rows(models.Person, "name", "email", "slack_id"):
        labels[r.id] = _person_label(r)
        if r.email:
            by_email[r.email] = r.id
        if r.slack_id:
            by_slack[r.slack_id] = r.id
    for p in roster.people:
        row = plan.rows[p.key]
        if row is not None:
            ids[p.key] = row.id
        else:  # a new row: it holds the file's email, else the Slack id it was given
            ids[p.key] = by_email[p.email] if p.email else by_slack[final[p.key] or ""]
    return ids, labels


def import_roster(
    source: Roster | str | Path,
    *,
    engine: Engine,
    lookup: Lookup | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Read (if given a path), look up missing Slack ids, and write the roster in one transaction.

    Lookups run before the transaction opens (they are network calls, possibly rate limited) and only for
    people with no Slack id in the file nor stored. `dry_run` makes no lookups and rolls back. `progress`
    follows the steps (`Progress`).
    """
    from store.roster import read_roster

    step = progress or _no_progress
    roster = source if isinstance(source, Roster) else read_roster(source, progress=step)
    wanted: list[PersonSpec] = []
    if lookup is not None:  # without one, everyone without a Slack id gets sync_roster's default note, NO_LOOKUP
        with Session(engine) as session:
            wanted = people_to_look_up(roster, session=session)

    found: dict[str, str] = {}
    notes: dict[str, str] = {}
    calls = 0
    stopped: str | None = None
    for done, person in enumerate(wanted):
        if lookup is not None and not dry_run and stopped is None:
            step("looking up", done, len(wanted))
        email = person.email or ""
        if dry_run or lookup is None:
            notes[email] = DRY_RUN_LOOKUP if dry_run and lookup is not None else NO_LOOKUP
        elif stopped is not None:
            notes[email] = f"not looked up: {stopped}"
        else:
            calls += 1
            try:
                slack_id = lookup(email)
            except LookupFailed as exc:
                notes[email] = f"Slack lookup failed: {exc}"
                if exc.fatal:
                    stopped = str(exc)
                continue
            if slack_id:
                found[email] = slack_id
            else:
                notes[email] = "not found in Slack by email"

    with gc_paused(), Session(engine, expire_on_commit=False) as session:
        try:
            report = sync_roster(roster, session=session, slack_ids=found, notes=notes, progress=progress)
            step("saving")
            if dry_run:
                session.rollback()
            else:
                session.commit()
        except IntegrityError as exc:
            session.rollback()
            reason = str(exc.orig).strip().splitlines()[0]
            raise CstbotError(f"the roster conflicts with the database, nothing imported: {reason}") from exc
        except BaseException:
            session.rollback()
            raise
    report.dry_run = dry_run
    report.lookups = calls
    return report
