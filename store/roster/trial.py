"""`cstbot roster try`: one evaluator plays a person of each role in a real workspace, and `--undo` takes it back.

The example roster's Slack ids are invented, so in a real workspace nobody would receive anything. A trial imports
the example roster (through `sync_roster`, unchanged) and binds one Slack account to one example person per chosen
role, all on one team and one of its districts: a district staff member, a CST member, the team's facilitator, the
first lead facilitator, a management team member, a state trainer-match contact and an admin. The binding is one
`meta` row (`store.directory.TRIAL_KEY`); `load_directory` gives the bound people that account's Slack id, so the
evaluator asks as district staff, receives as the facilitator, answers as the lead... each message saying in which
role it reaches them. The example's other people keep their invented ids.

The record also says what the import added, so `undo_trial` removes exactly that: the binding, and the roster rows
the trial added (or, when items or coaching logs made during the trial point at them, it deactivates them, as a
roster import would: history is never deleted). A trial runs only on a database that is empty or already holds
exactly the example roster: it never changes someone's real roster.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, delete, select

from routing.directory import Directory, District, Person, Role, Team
from routing.errors import CstbotError
from store import models
from store.directory import TRIAL_KEY, VERSION_KEY, bump_directory_version, load_directory
from store.roster.model import Roster
from store.roster.sync import sync_roster
from store.types import utcnow

# `--as` words -> roles, in the order a trial lists them (asking roles first, as a request travels).
ROLE_WORDS: dict[str, Role] = {
    "district": Role.DISTRICT_STAFF,
    "member": Role.MEMBER,
    "facilitator": Role.FACILITATOR,
    "lead": Role.LEAD,
    "management": Role.MANAGEMENT,
    "state": Role.STATE_CONTACT,
    "admin": Role.ADMIN,
}
# How the reports name the tables.
TABLE_LABELS = {"district_staff": "district staff", "person_role": "network roles", "support_member": "support team",
                "contact_trainer": "state contacts' trainers", "audience_member": "audience members",
                "team_membership": "team memberships", "district": "districts", "team": "teams",
                "channel": "channels", "person": "people"}
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")

# Directory tables, children before parents: the order rows are deleted in.
TABLES: tuple[type[SQLModel], ...] = (
    models.SupportMember,
    models.ContactTrainer,
    models.AudienceMember,
    models.DistrictStaff,
    models.PersonRole,
    models.TeamMembership,
    models.District,
    models.Team,
    models.Channel,
    models.Person,
)


class TrialError(CstbotError):
    """A trial cannot start or be undone; the message says why and what to do."""


@dataclass(frozen=True)
class Binding:
    role: Role
    person: Person
    where: str  # the team or district the role is held at ("" for network roles)


@dataclass
class TrialReport:
    slack_id: str
    organization: str
    bindings: list[Binding]
    imported: bool  # the example roster was added to the database by this trial
    added: dict[str, int] = field(default_factory=dict)  # table -> rows added


@dataclass
class UndoReport:
    slack_id: str
    bindings: int
    removed: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    deactivated: dict[str, int] = field(default_factory=dict)  # table -> rows kept inactive (history points at them)
    activity: dict[str, int] = field(default_factory=dict)  # what points at them: items, coaching log entries...


def parse_roles(text: str | None) -> list[Role]:
    """`--as facilitator,lead` -> roles (trial order); None or "all" -> every role."""
    if text is None or text.strip().lower() == "all":
        return list(ROLE_WORDS.values())
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    unknown = [w for w in words if w not in ROLE_WORDS]
    if unknown or not words:
        raise TrialError(f"unknown role {unknown[0] if unknown else text!r} for --as: use any of "
                         f"{','.join(ROLE_WORDS)} (or all)")
    return [role for role in ROLE_WORDS.values() if role in {ROLE_WORDS[w] for w in words}]


def check_slack_id(slack_id: str) -> str:
    value = slack_id.strip()
    if not SLACK_USER_ID.match(value):
        raise TrialError(f"{slack_id!r} is not a Slack member id (it looks like U0123ABCD): in Slack, open your "
                         "profile, then the ⋮ menu, then 'Copy member ID'")
    return value


# --- starting ------------------------------------------------------------------------------------------------


def start_trial(roster: Roster, *, engine: Engine, slack_id: str, roles: Sequence[Role], today: date,
                now: datetime | None = None) -> TrialReport:
    """Import `roster` (the example) and bind `slack_id` to one of its people per role, in one transaction."""
    slack_id = check_slack_id(slack_id)
    now = now or utcnow()
    with Session(engine, expire_on_commit=False) as session:
        existing = session.get(models.Meta, TRIAL_KEY)
        if existing is not None:
            raise TrialError(f"a trial is already on in this database (for Slack user "
                             f"{json.loads(existing.value)['slack_id']}): run `cstbot roster try --undo` first")
        before_ids = _ids(session)
        before_meta = {m.key: m.value for m in session.exec(select(models.Meta)).all()}
        report = sync_roster(roster, session=session, now=now)
        changed = [c for c in report.changes if c.action != "added"]
        if changed:
            session.rollback()
            raise TrialError(
                f"this database holds another roster ({len(changed)} of its rows would change, e.g. {changed[0].kind} "
                f"{changed[0].label}); `roster try` never changes a real roster: give it a database of its own, e.g. "
                "DATABASE_URL=sqlite:///try.db cstbot db upgrade, then the same command with that DATABASE_URL")
        session.flush()
        directory = load_directory(session=session)
        bindings = pick(directory, roles, today=today)
        holder = session.exec(select(models.Person).where(models.Person.slack_id == slack_id)).first()
        if holder is not None and holder.id not in {b.person.id for b in bindings}:
            name = holder.name
            session.rollback()
            raise TrialError(f"{slack_id} is already {name}'s Slack id in this roster: pick your own member id")
        added = {table: sorted(ids - before_ids.get(table, set())) for table, ids in _ids(session).items()}
        record = {
            "slack_id": slack_id,
            "people": {b.role.value: b.person.id for b in bindings},
            "added": {t: ids for t, ids in added.items() if ids},
            "meta_before": {k: before_meta.get(k) for k in _meta_keys(session) | {VERSION_KEY}},
            "at": now.isoformat(),
        }
        session.add(models.Meta(key=TRIAL_KEY, value=json.dumps(record)))
        bump_directory_version(session=session)  # running processes reload the directory with the binding
        session.commit()
    return TrialReport(slack_id, roster.organization, bindings, imported=bool(added.get("person")),
                       added={TABLE_LABELS[t]: len(ids) for t, ids in added.items() if ids})


def pick(directory: Directory, roles: Sequence[Role], *, today: date) -> list[Binding]:
    """One person per role, all on the first team that has an available facilitator, a member and a district with
    staff: its facilitator, its first member, that district's first staff member, and the first available holder of
    each network role (the first lead is the one a facilitator's escalation reaches)."""
    team, district = _team_and_district(directory, today)
    chosen: list[Binding] = []
    for role in roles:
        if role is Role.DISTRICT_STAFF:
            person = directory.people[district.staff[0]]
            where = district.name
        elif role in (Role.FACILITATOR, Role.MEMBER):
            person = next(p for m in directory.team_memberships(team.id, role=role)
                          if (p := directory.people[m.person_id]).is_available(today))
            where = team.name
        else:
            holders = [p for p in directory.holders(role) if p.is_available(today)]
            if not holders:
                raise TrialError(f"the roster has nobody available as {role.value}: it cannot be tried")
            person, where = holders[0], ""
        chosen.append(Binding(role, person, where))
    return chosen


def _team_and_district(directory: Directory, today: date) -> tuple[Team, District]:
    for team in directory.active_teams():
        facilitators = [p for p in directory.facilitators_of(team.id) if p.is_available(today)]
        members = [m for m in directory.team_memberships(team.id, role=Role.MEMBER)
                   if directory.people[m.person_id].is_available(today)]
        districts = [d for d in directory.districts_of_team(team.id) if d.staff]
        if facilitators and members and districts:
            return team, districts[0]
    raise TrialError("the roster has no team with an available facilitator, a member and a district with staff")


def _meta_keys(session: Session) -> set[str]:
    return set(session.exec(select(models.Meta.key)).all())


def _ids(session: Session) -> dict[str, set[int]]:
    return {m.__tablename__: set(session.exec(select(m.id)).all()) for m in TABLES}  # type: ignore[attr-defined]


# --- undoing -------------------------------------------------------------------------------------------------


def current_trial(*, session: Session) -> dict[str, Any] | None:
    row = session.get(models.Meta, TRIAL_KEY)
    return json.loads(row.value) if row is not None else None


def undo_trial(*, engine: Engine, now: datetime | None = None) -> UndoReport:
    """Remove the binding and the rows the trial's import added (deactivate them instead when items or logs made
    during the trial point at them); restore the meta rows it changed."""
    now = now or utcnow()
    with Session(engine, expire_on_commit=False) as session:
        record = current_trial(session=session)
        if record is None:
            raise TrialError("there is no `roster try` to undo in this database")
        added: dict[str, list[int]] = record.get("added", {})
        report = UndoReport(record["slack_id"], len(record["people"]))
        report.activity = _activity(session, added)
        session.exec(delete(models.Meta).where(models.Meta.key == TRIAL_KEY))  # type: ignore[call-overload]
        if any(report.activity.values()):
            for model in TABLES:
                ids = added.get(model.__tablename__, [])  # type: ignore[attr-defined]
                for row in session.exec(select(model).where(model.id.in_(ids))).all():  # type: ignore[attr-defined]
                    if row.active:
                        row.active, row.updated_at = False, now
                        label = TABLE_LABELS[model.__tablename__]  # type: ignore[attr-defined]
                        report.deactivated[label] = report.deactivated.get(label, 0) + 1
            bump_directory_version(session=session)
        else:
            for model in TABLES:
                ids = added.get(model.__tablename__, [])  # type: ignore[attr-defined]
                if ids:
                    session.exec(delete(model).where(model.id.in_(ids)))  # type: ignore[attr-defined,call-overload]
                    report.removed[TABLE_LABELS[model.__tablename__]] = len(ids)  # type: ignore[attr-defined]
            _restore_meta(session, record.get("meta_before", {}))
        session.commit()
    return report


def _restore_meta(session: Session, before: dict[str, str | None]) -> None:
    """Meta rows as they were before the trial: those it added go, the directory version gets its old value back
    (a value caches have not seen with the trial's directory, so running processes reload)."""
    for key, value in before.items():
        row = session.get(models.Meta, key)
        if value is None and row is not None:
            session.delete(row)
        elif value is not None and row is not None:
            row.value = value
        elif value is not None:
            session.add(models.Meta(key=key, value=value))


def _activity(session: Session, added: dict[str, list[int]]) -> dict[str, int]:
    """Rows made during the trial that point at the people, teams or districts it added."""
    people = added.get("person", [])
    teams = added.get("team", [])
    districts = added.get("district", [])
    if not (people or teams or districts):
        return {}
    item, interaction, log = models.Item, models.Interaction, models.LogMonth
    counts = {
        "items": session.exec(select(func.count()).select_from(item).where(or_(
            item.asker_id.in_(people), item.owner_id.in_(people), item.team_id.in_(teams),  # type: ignore[union-attr]
            item.district_id.in_(districts)))).one(),  # type: ignore[union-attr]
        "coaching log entries": session.exec(select(func.count()).select_from(interaction).where(or_(
            interaction.author_id.in_(people), interaction.team_id.in_(teams),  # type: ignore[attr-defined]
            interaction.district_id.in_(districts)))).one(),  # type: ignore[attr-defined]
        "log months": session.exec(select(func.count()).select_from(log).where(
            log.team_id.in_(teams))).one(),  # type: ignore[attr-defined]
    }
    return {k: v for k, v in counts.items() if v}
