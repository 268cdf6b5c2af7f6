"""The roster importer as it was before issue 16 (main at 029b3d2): one ORM object per row, flushed table by table.

A frozen copy of `store/roster/sync.py`'s `sync_roster` and its helpers, kept only as the reference the
set-based importer is compared with (tests/store/test_roster_scale.py: identical tables and reports). Do not
improve it: its value is that it is the old behaviour, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from store import models
from store.directory import ORGANIZATION_KEY, bump_directory_version
from store.roster.model import PersonSpec, Roster
from store.roster.sync import NO_LOOKUP, Change, ImportReport, Unresolved
from store.roster.validate import name_key
from store.types import utcnow

# --- people: matching and Slack ids ---------------------------------------------------------------------


@dataclass
class _PeoplePlan:
    rows: dict[str, models.Person | None]  # person key -> the row it is (None: a new person)
    kept: dict[str, str]  # person key -> stored Slack id kept because the file gives none
    lookup: list[PersonSpec]  # people with no Slack id in the file nor stored: look them up by email


def _plan_people(roster: Roster, rows: list[models.Person]) -> _PeoplePlan:
    """Match file people to rows: by email first (for everyone), then by Slack id."""
    by_email = {r.email: r for r in rows if r.email}
    by_slack = {r.slack_id: r for r in rows if r.slack_id}
    matched: dict[str, models.Person | None] = {}
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


def people_to_look_up(roster: Roster, *, session: Session) -> list[PersonSpec]:
    """The people of the roster whose Slack id is neither in the file nor already stored."""
    rows = list(session.exec(select(models.Person)).all())
    return _plan_people(roster, rows).lookup


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


class _Sync:
    def __init__(self, session: Session, report: ImportReport, now: datetime) -> None:
        self.session, self.report, self.now = session, report, now
        self.shown: dict[str, Callable[[Any], str]] = {}

    def change(self, kind: str, action: str, label: str, details: list[str] | tuple[str, ...] = ()) -> None:
        self.report.changes.append(Change(kind, action, label, tuple(details)))

    def add(self, kind: str, row: SQLModel, label: str) -> None:
        row.created_at = row.updated_at = self.now  # type: ignore[attr-defined]
        self.session.add(row)
        self.change(kind, "added", label)

    def update(
        self, kind: str, row: Any, values: Mapping[str, Any], label: str, before: Mapping[str, Any] | None = None
    ) -> None:
        """Set the values that differ; reactivate an inactive row. `before` overrides a current value that
        was cleared in an earlier flush (see the two-step Slack id update)."""
        details = []
        for name, new in values.items():
            old = (before or {}).get(name, getattr(row, name))
            if old != new:
                show = self.shown.get(name, _show)
                details.append(f"{name} {show(old)} -> {show(new)}")
            if getattr(row, name) != new:
                setattr(row, name, new)
        reactivated = not row.active
        if details or reactivated:
            row.active = True
            row.updated_at = self.now
            self.change(kind, "reactivated" if reactivated else "updated", label, details)

    def deactivate(self, kind: str, row: Any, label: str) -> None:
        if row.active:
            row.active = False
            row.updated_at = self.now
            self.change(kind, "deactivated", label)

    def rows(self, model: type[SQLModel]) -> list[Any]:
        return list(self.session.exec(select(model).order_by(model.id)).all())  # type: ignore[attr-defined]

    def sync(
        self,
        kind: str,
        model: type[SQLModel],
        key_of: Callable[[Any], Hashable],
        desired: list[tuple[Hashable, dict[str, Any], str]],
        label_of: Callable[[Any], str],
    ) -> dict[Hashable, Any]:
        """Make the rows of `model` be `desired` (key, values, label): add, update, deactivate the rest."""
        rows = self.rows(model)
        existing: dict[Hashable, Any] = {}
        for row in sorted(rows, key=lambda r: r.active):  # an active row wins a (legacy) key clash
            existing[key_of(row)] = row
        result: dict[Hashable, Any] = {}
        for key, values, label in desired:
            row = existing.get(key)
            if row is None:
                row = model(**values)
                self.add(kind, row, label)
            else:
                self.update(kind, row, values, label)
            result[key] = row
        kept = {id(r) for r in result.values()}
        for row in rows:
            if id(row) not in kept:
                self.deactivate(kind, row, label_of(row))
        self.session.flush()
        return result


def sync_roster(
    roster: Roster,
    *,
    session: Session,
    slack_ids: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Write `roster` into the session's transaction (the caller commits or rolls back).

    `slack_ids` are lookup results (email -> Slack id); `notes` say why someone without a Slack id has
    none (email -> reason) for the report.
    """
    slack_ids, notes = slack_ids or {}, notes or {}
    report = ImportReport(source=roster.source, organization=roster.organization)
    report.warnings.extend(str(w) for w in roster.warnings)
    s = _Sync(session, report, now or utcnow())

    meta = session.get(models.Meta, ORGANIZATION_KEY)
    if meta is None:
        session.add(models.Meta(key=ORGANIZATION_KEY, value=roster.organization))
        s.change("organization", "added", roster.organization)
    elif meta.value != roster.organization:
        s.change("organization", "updated", roster.organization, [f"name {meta.value} -> {roster.organization}"])
        meta.value = roster.organization

    people = _sync_people(s, roster, slack_ids, notes)
    person_label = {r.id: _person_label(r) for r in s.rows(models.Person)}

    teams = s.sync(
        "team",
        models.Team,
        lambda r: name_key(r.name),
        [(name_key(t.name), {"name": t.name, "zone": t.zone, "region": t.region}, t.name) for t in roster.teams],
        lambda r: r.name,
    )
    team_name = {r.id: r.name for r in s.rows(models.Team)}

    s.sync(
        "membership",
        models.TeamMembership,
        lambda r: (r.team_id, r.person_id),
        [
            (
                (teams[name_key(m.team)].id, people[m.person].id),
                {
                    "team_id": teams[name_key(m.team)].id,
                    "person_id": people[m.person].id,
                    "role": m.role.value,
                    "expertise": list(m.expertise),
                    "fte": m.fte,
                    "fte_available": m.fte_available,
                    "home_center": m.home_center,
                    "fit": m.fit,
                },
                f"{person_label[people[m.person].id]} in {m.team} ({m.role.value})",
            )
            for m in roster.memberships
        ],
        lambda r: f"{person_label[r.person_id]} in {team_name[r.team_id]} ({r.role})",
    )

    s.shown["team_id"] = lambda v: team_name.get(v, "none") if v is not None else "none"
    districts = s.sync(
        "district",
        models.District,
        lambda r: name_key(r.name),
        [
            (
                name_key(d.name),
                {
                    "name": d.name,
                    "team_id": teams[name_key(d.team)].id if d.team else None,
                    "zone": d.zone,
                    "region": d.region,
                    "center": d.center,
                },
                d.name,
            )
            for d in roster.districts
        ],
        lambda r: r.name,
    )
    district_name = {r.id: r.name for r in s.rows(models.District)}

    s.sync(
        "district staff",
        models.DistrictStaff,
        lambda r: (r.district_id, r.person_id),
        [
            (
                (districts[name_key(d.name)].id, people[key].id),
                {"district_id": districts[name_key(d.name)].id, "person_id": people[key].id},
                f"{person_label[people[key].id]} at {d.name}",
            )
            for d in roster.districts
            for key in d.staff
        ],
        lambda r: f"{person_label[r.person_id]} at {district_name[r.district_id]}",
    )

    s.sync(
        "role",
        models.PersonRole,
        lambda r: (r.person_id, r.role),
        [
            (
                (people[r.person].id, r.role.value),
                {
                    "person_id": people[r.person].id,
                    "role": r.role.value,
                    "expertise": list(r.expertise),
                    "fte": r.fte,
                    "home_center": r.home_center,
                    "position": r.position,
                },
                f"{person_label[people[r.person].id]} as {r.role.value}",
            )
            for r in roster.roles
        ],
        lambda r: f"{person_label[r.person_id]} as {r.role}",
    )

    s.sync(
        "channel",
        models.Channel,
        lambda r: (r.purpose, r.channel_id),
        [
            (
                (c.purpose, c.channel_id),
                {"purpose": c.purpose, "channel_id": c.channel_id},
                f"{c.purpose} {c.channel_id}",
            )
            for c in roster.channels
        ],
        lambda r: f"{r.purpose} {r.channel_id}",
    )

    session.flush()
    if report.changed:
        bump_directory_version(session=session)  # running processes reload their cached directory
    return report


def _person_label(row: models.Person) -> str:
    return f"{row.name} <{row.email}>" if row.email else f"{row.name} ({row.slack_id or 'no Slack id'})"


def _sync_people(
    s: _Sync, roster: Roster, slack_ids: Mapping[str, str], notes: Mapping[str, str]
) -> dict[str, models.Person]:
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
    before: dict[int | None, str | None] = {r.id: r.slack_id for r in rows}
    labels = {r.id: _person_label(r) for r in rows}
    moved: set[int | None] = set()  # people not in the file whose Slack id the file gives someone else
    cleared = False
    for p in roster.people:
        row = plan.rows[p.key]
        if row is not None and row.slack_id is not None and row.slack_id != final[p.key]:
            row.slack_id = None
            cleared = True
    for row in rows:
        if row.id not in matched_ids and row.slack_id in used:
            row.slack_id = None
            moved.add(row.id)
            cleared = True
    if cleared:
        s.session.flush()

    # ... then set the file's values.
    out: dict[str, models.Person] = {}
    for p in roster.people:
        values = {"name": p.name, "email": p.email, "slack_id": final[p.key], "away_until": p.away_until}
        row = plan.rows[p.key]
        if row is None:
            row = models.Person(**values)
            s.add("person", row, p.label)
        else:
            s.update("person", row, values, p.label, before={"slack_id": before[row.id]})
        out[p.key] = row
    for row in rows:
        if row.id in matched_ids:
            continue
        details = [f"slack_id {before[row.id]} -> none (given to someone else)"] if row.id in moved else []
        if row.active or details:
            s.change("person", "deactivated" if row.active else "updated", labels[row.id], details)
            row.active = False
            row.updated_at = s.now
    s.session.flush()
    return out
