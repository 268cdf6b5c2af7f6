"""`cstbot roster export`: the roster as the database holds it, in the shapes `roster import` reads.

`roster_from_db` reads the active rows back into a validated-form `Roster` (people referred to by their key,
roles and audiences in their stored order), so the three writers are the importer's own: `write_yaml` here
(the nested form of `examples/roster.yaml`), `sheets.write_csv` and `sheets.write_xlsx`. Importing an export
changes nothing; an edited export imports as exactly its edits.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from routing.directory import Role
from routing.protocol import AUDIENCE_KEYS
from store import models
from store.directory import ORGANIZATION_KEY
from store.roster.model import (
    AudienceSpec,
    ChannelSpec,
    DistrictSpec,
    MembershipSpec,
    PersonSpec,
    RoleSpec,
    Roster,
    TeamSpec,
)
from store.roster.sheets import write_csv, write_xlsx
from store.roster.validate import ROLE_ORDER
from store.roster.yamlform import ROLE_SECTIONS

FORMATS = ("yaml", "csv", "xlsx")
# Role sections of the YAML form, in the order examples/roster.yaml lists them.
YAML_ROLE_ORDER = ("leads", "management_team", "state_contacts", "support_team", "admins")


# An audience entry's details beyond who and which audience (an RPDC director's center, ...): every such field of
# AudienceSpec, read from the audience_member column of the same name.
_AUDIENCE_ORDER = {key: i for i, key in enumerate(AUDIENCE_KEYS)}  # the order the example roster lists them
AUDIENCE_DETAILS = tuple(f.name for f in dataclasses.fields(AudienceSpec)
                         if f.name not in ("audience", "person", "position", "loc"))


def _details(row: Any) -> dict[str, Any]:
    return {name: tuple(v) if isinstance(v := getattr(row, name), list) else v for name in AUDIENCE_DETAILS}


def _active(session: Session, model: type, *order: Any) -> list[Any]:
    return list(session.exec(select(model).where(model.active.is_(True)).order_by(*order, model.id)))


def roster_from_db(*, session: Session) -> Roster:
    """The active rows of the directory tables as a Roster (what a file importing to this state would hold)."""
    meta = session.get(models.Meta, ORGANIZATION_KEY)
    people = _active(session, models.Person)
    key = {p.id: p.email or p.slack_id or "" for p in people}
    teams = {t.id: t for t in _active(session, models.Team)}
    memberships = [m for m in _active(session, models.TeamMembership) if m.team_id in teams and m.person_id in key]
    districts = [d for d in _active(session, models.District)]
    staff: dict[int, list[str]] = defaultdict(list)
    for s in _active(session, models.DistrictStaff):
        if s.person_id in key:
            staff[s.district_id].append(key[s.person_id])
    trainers: dict[int, list[str]] = defaultdict(list)
    for t in _active(session, models.ContactTrainer, models.ContactTrainer.position):
        if t.trainer_id in key:
            trainers[t.contact_id].append(key[t.trainer_id])
    roles = [
        RoleSpec(role=Role(r.role), person=key[r.person_id], position=r.position, expertise=tuple(r.expertise),
                 fte=r.fte, home_center=r.home_center,
                 trainers=tuple(trainers[r.person_id]) if r.role == Role.STATE_CONTACT.value else ())
        for r in _active(session, models.PersonRole, models.PersonRole.position)
        if r.person_id in key
    ]
    roles.sort(key=lambda r: (ROLE_ORDER.index(r.role), r.position))
    support = [
        RoleSpec(role=Role.SUPPORT, person=key[s.person_id], position=s.position, expertise=tuple(s.expertise),
                 fte=s.fte, home_center=s.home_center, fte_available=s.fte_available)
        for s in _active(session, models.SupportMember, models.SupportMember.position)
        if s.person_id in key
    ]
    return Roster(
        organization=meta.value if meta else "",
        people=tuple(PersonSpec(name=p.name, email=p.email, slack_id=p.slack_id, away_until=p.away_until)
                     for p in people),
        teams=tuple(TeamSpec(name=t.name, zone=t.zone, region=t.region) for t in teams.values()),
        memberships=tuple(
            MembershipSpec(team=teams[m.team_id].name, person=key[m.person_id], role=Role(m.role),
                           expertise=tuple(m.expertise), fte=m.fte, fte_available=m.fte_available,
                           home_center=m.home_center, fit=m.fit)
            for m in memberships
        ),
        districts=tuple(
            DistrictSpec(name=d.name, team=teams[d.team_id].name if d.team_id in teams else None, zone=d.zone,
                         region=d.region, center=d.center, staff=tuple(staff[d.id]))
            for d in districts
        ),
        roles=tuple(roles),
        channels=tuple(ChannelSpec(purpose=c.purpose, channel_id=c.channel_id)
                       for c in _active(session, models.Channel)),
        support=tuple(support),
        audiences=tuple(sorted(
            (AudienceSpec(audience=a.audience, person=key[a.person_id], position=a.position, **_details(a))
             for a in _active(session, models.AudienceMember, models.AudienceMember.audience,
                              models.AudienceMember.position)
             if a.person_id in key),
            key=lambda a: (_AUDIENCE_ORDER.get(a.audience, len(AUDIENCE_KEYS)), a.audience, a.position),
        )),
    )


# --- YAML --------------------------------------------------------------------------------------------------


class _Line(dict):
    """A mapping written on one line (`- {person: ..., expertise: [...]}`), as the example roster writes entries."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Line, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data.items(), flow_style=True))


def _entry(person: str, **details: Any) -> str | dict[str, Any]:
    """A person with details as `{person: ..., ...}` (unset details left out), or the bare reference. An FTE of 0
    is the importer's default: left out too (an available FTE or a fit of 0 is not, as unset differs from 0)."""
    if details.get("fte") == 0.0:
        details["fte"] = None
    kept = {k: list(v) if isinstance(v, tuple) else v for k, v in details.items() if v is not None and v != ()}
    return _Line({"person": person, **kept}) if kept else person


def yaml_data(roster: Roster) -> dict[str, Any]:
    """The roster as the nested YAML form's data (`examples/roster.yaml`), sections in that file's order."""
    members: dict[str, list[MembershipSpec]] = defaultdict(list)
    for m in roster.memberships:
        members[m.team].append(m)

    def member(m: MembershipSpec) -> str | dict[str, Any]:
        return _entry(m.person, expertise=m.expertise, fte=m.fte, fte_available=m.fte_available,
                      home_center=m.home_center, fit=m.fit)

    teams = []
    for t in roster.teams:
        team: dict[str, Any] = {"name": t.name}
        if t.zone:
            team["zone"] = t.zone
        if t.region:
            team["region"] = t.region
        for m in members[t.name]:
            if m.role == Role.FACILITATOR:
                team["facilitator"] = member(m)
        plain = [member(m) for m in members[t.name] if m.role == Role.MEMBER]
        if plain:
            team["members"] = plain
        teams.append(team)
    data: dict[str, Any] = {
        "organization": roster.organization,
        "people": [_Line({k: v for k, v in (("email", p.email), ("name", p.name), ("slack_id", p.slack_id),
                                      ("away_until", p.away_until)) if v is not None}) for p in roster.people],
        "teams": teams,
        "districts": [
            _Line({k: v for k, v in (("name", d.name), ("team", d.team), ("zone", d.zone), ("region", d.region),
                                     ("center", d.center), ("staff", list(d.staff) or None)) if v is not None})
            for d in roster.districts
        ],
    }
    by_section: dict[str, list[Any]] = defaultdict(list)
    section_of = {role: section for section, role in ROLE_SECTIONS.items()}
    for r in (*roster.roles, *roster.support):
        by_section[section_of[r.role.value]].append(
            _entry(r.person, expertise=r.expertise, fte=r.fte, home_center=r.home_center,
                   fte_available=r.fte_available, trainers=r.trainers)
        )
    for section in YAML_ROLE_ORDER:
        if by_section[section]:
            data[section] = by_section[section]
    audiences: dict[str, Any] = defaultdict(list)
    for a in roster.audiences:
        audiences[a.audience].append(_entry(a.person, **{name: getattr(a, name) for name in AUDIENCE_DETAILS}))
    channels: dict[str, list[str]] = defaultdict(list)
    audience_channels: dict[str, list[str]] = defaultdict(list)  # written under audiences.channels, as imported
    for c in roster.channels:
        (audience_channels if c.purpose in AUDIENCE_KEYS else channels)[c.purpose].append(c.channel_id)
    if audience_channels:
        audiences["channels"] = dict(audience_channels)
    if audiences:
        data["audiences"] = dict(audiences)
    if channels:
        data["channels"] = dict(channels)
    return data


def yaml_text(roster: Roster, *, header: Iterable[str] = ()) -> str:
    """The YAML form: block style for the sections, one flow-style line per person, district and entry."""
    comment = "".join(f"# {line}\n" for line in header)
    data = yaml_data(roster)
    sections = [yaml.dump({key: value}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=1_000_000) for key, value in data.items()]
    return comment + "\n".join(sections)


def write_yaml(roster: Roster, path: Path, *, header: Iterable[str] = ()) -> Path:
    path.write_text(yaml_text(roster, header=header), encoding="utf-8")
    return path


def format_of(path: Path | None, given: str | None) -> str:
    """The export's form: as given, else from the output's name (.xlsx, .yaml/.yml, anything else a CSV
    directory), else YAML."""
    if given:
        return given
    if path is None:
        return "yaml"
    suffix = path.suffix.lower()
    return {".xlsx": "xlsx", ".yaml": "yaml", ".yml": "yaml"}.get(suffix, "csv")


def write(roster: Roster, form: str, path: Path, *, header: Iterable[str] = ()) -> list[Path]:
    """Write the roster at `path` (a file for YAML and XLSX, a directory for CSV). Returns what was written."""
    if form == "yaml":
        return [write_yaml(roster, path, header=header)]
    if form == "csv":
        return write_csv(roster, path)
    return [write_xlsx(roster, path)]
