"""A read-only, in-memory view of the organisation the protocol runs over.

The routing engine decides against this view only: it never queries a database. `store.directory`
builds one from the database; tests build one by hand. Ids are the store's primary keys (ints).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType


class Role(StrEnum):
    """Every role a person can hold. A person may hold several (a lead can also be an admin)."""

    DISTRICT_STAFF = "district_staff"
    MEMBER = "member"
    FACILITATOR = "facilitator"
    LEAD = "lead"
    MANAGEMENT = "management"
    STATE_CONTACT = "state_contact"
    ADMIN = "admin"


# Roles held through a row in the person-role table (not through a team or a district).
NETWORK_ROLES = (Role.LEAD, Role.MANAGEMENT, Role.STATE_CONTACT, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    email: str | None = None
    slack_id: str | None = None
    active: bool = True
    # Away (leave, vacancy cover): routing skips the person while `on` <= away_until.
    away_until: date | None = None

    def is_available(self, on: date) -> bool:
        return self.active and (self.away_until is None or on > self.away_until)

    @property
    def label(self) -> str:
        return self.name or self.email or self.slack_id or f"person {self.id}"


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    name: str
    zone: str | None = None
    region: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Membership:
    """A person's place on a team: its facilitator or a member, with what they bring to trainer matching."""

    person_id: int
    team_id: int
    role: Role  # Role.FACILITATOR or Role.MEMBER
    expertise: frozenset[str] = frozenset()
    fte: float = 0.0  # allocated FTE, 0..1
    fte_available: float | None = None  # unassigned share of `fte`; None = unknown (treated as `fte`)
    home_center: str | None = None
    fit: float | None = None  # supervisor (center director) reported fit, 0..1; None = not reported
    active: bool = True


@dataclass(frozen=True, slots=True)
class District:
    id: int
    name: str
    team_id: int | None
    zone: str | None = None
    region: str | None = None
    center: str | None = None  # the regional center (RPDC) that serves it, for home-center matching
    staff: tuple[int, ...] = ()
    active: bool = True


@dataclass(frozen=True, slots=True)
class NetworkRole:
    """A lead facilitator, a management team member, a state trainer-match contact or a bot admin."""

    person_id: int
    role: Role
    expertise: frozenset[str] = frozenset()
    fte: float = 0.0
    home_center: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Directory:
    """Everything routing needs to know about who is who. Build with `Directory.build(...)`."""

    people: Mapping[int, Person]
    teams: Mapping[int, Team]
    districts: Mapping[int, District]
    memberships: tuple[Membership, ...] = ()
    network_roles: tuple[NetworkRole, ...] = ()
    organization: str = ""
    summary_channels: tuple[str, ...] = ()
    _by_slack: Mapping[str, int] = field(default_factory=dict, repr=False)
    _by_email: Mapping[str, int] = field(default_factory=dict, repr=False)
    # Slack accounts that stand for several roster people (`cstbot roster try` binds one account to a person of
    # each role), each with those people's ids in id order. Empty in a normal roster: Slack ids are unique.
    _shared_slack: Mapping[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        *,
        people: Iterable[Person],
        teams: Iterable[Team] = (),
        districts: Iterable[District] = (),
        memberships: Iterable[Membership] = (),
        network_roles: Iterable[NetworkRole] = (),
        organization: str = "",
        summary_channels: Iterable[str] = (),
    ) -> Directory:
        people_map = {p.id: p for p in people}
        by_slack: dict[str, list[int]] = {}
        for p in sorted(people_map.values(), key=lambda p: p.id):
            if p.slack_id:
                by_slack.setdefault(p.slack_id, []).append(p.id)
        return cls(
            people=MappingProxyType(people_map),
            teams=MappingProxyType({t.id: t for t in teams}),
            districts=MappingProxyType({d.id: d for d in districts}),
            memberships=tuple(memberships),
            network_roles=tuple(network_roles),
            organization=organization,
            summary_channels=tuple(summary_channels),
            _by_slack=MappingProxyType({slack_id: ids[0] for slack_id, ids in by_slack.items()}),
            _by_email=MappingProxyType({p.email.lower(): p.id for p in people_map.values() if p.email}),
            _shared_slack=MappingProxyType({s: tuple(ids) for s, ids in by_slack.items() if len(ids) > 1}),
        )

    # --- people -------------------------------------------------------------------------------------
    def person(self, person_id: int) -> Person | None:
        return self.people.get(person_id)

    def by_slack_id(self, slack_id: str) -> Person | None:
        pid = self._by_slack.get(slack_id)
        return self.people.get(pid) if pid is not None else None

    def people_of_slack(self, slack_id: str) -> tuple[Person, ...]:
        """Everyone a Slack account stands for: normally one person; several when one account plays a person
        of each role (`cstbot roster try`)."""
        ids = self._shared_slack.get(slack_id)
        if ids is None:
            person = self.by_slack_id(slack_id)
            return (person,) if person is not None else ()
        return tuple(self.people[i] for i in ids)

    def by_email(self, email: str) -> Person | None:
        pid = self._by_email.get(email.lower())
        return self.people.get(pid) if pid is not None else None

    def roles_of(self, person_id: int) -> frozenset[Role]:
        roles: set[Role] = set()
        for m in self.memberships:
            if m.person_id == person_id and m.active and self._team_active(m.team_id):
                roles.add(m.role)
        for r in self.network_roles:
            if r.person_id == person_id and r.active:
                roles.add(r.role)
        for d in self.districts.values():
            if d.active and person_id in d.staff:
                roles.add(Role.DISTRICT_STAFF)
        return frozenset(roles)

    # --- teams --------------------------------------------------------------------------------------
    def _team_active(self, team_id: int) -> bool:
        team = self.teams.get(team_id)
        return team is not None and team.active

    def team_memberships(self, team_id: int, *, role: Role | None = None) -> tuple[Membership, ...]:
        return tuple(
            m
            for m in self.memberships
            if m.team_id == team_id and m.active and (role is None or m.role == role)
        )

    def memberships_of(self, person_id: int) -> tuple[Membership, ...]:
        return tuple(
            m for m in self.memberships if m.person_id == person_id and m.active and self._team_active(m.team_id)
        )

    def facilitators_of(self, team_id: int) -> tuple[Person, ...]:
        """The team's active facilitators (normally one), whether or not they are away."""
        return tuple(
            p
            for m in self.team_memberships(team_id, role=Role.FACILITATOR)
            if (p := self.people.get(m.person_id)) is not None and p.active
        )

    def active_teams(self) -> tuple[Team, ...]:
        return tuple(t for t in self.teams.values() if t.active)

    # --- districts ----------------------------------------------------------------------------------
    def districts_of_staff(self, person_id: int) -> tuple[District, ...]:
        return tuple(d for d in self.districts.values() if d.active and person_id in d.staff)

    def districts_of_team(self, team_id: int) -> tuple[District, ...]:
        return tuple(d for d in self.districts.values() if d.active and d.team_id == team_id)

    # --- network roles ------------------------------------------------------------------------------
    def holders(self, role: Role) -> tuple[Person, ...]:
        """Active people holding a network role (lead, management, state contact, admin), in roster order."""
        return tuple(
            p
            for r in self.network_roles
            if r.role == role and r.active and (p := self.people.get(r.person_id)) is not None and p.active
        )

    def network_role(self, person_id: int, role: Role) -> NetworkRole | None:
        for r in self.network_roles:
            if r.person_id == person_id and r.role == role and r.active:
                return r
        return None

    # --- precomputed lookups (see DirectoryIndex) ---------------------------------------------------------
    @cached_property
    def index(self) -> DirectoryIndex:
        """The lookups above, answered from maps built once on first use (a Directory never changes)."""
        return DirectoryIndex.build(self)


# --- precomputed lookups --------------------------------------------------------------------------------------
# Added for the routing engine's hot paths: the same answers as Directory's methods, from maps built in one pass
# the first time `directory.index` is read (a Directory never changes). tests/routing checks they always agree.


@dataclass(frozen=True)
class DirectoryIndex:
    roles: Mapping[int, frozenset[Role]]
    memberships: Mapping[int, tuple[Membership, ...]]  # by person: active, on active teams
    team_members: Mapping[int, tuple[Membership, ...]]  # by team: active memberships
    facilitators: Mapping[int, tuple[Person, ...]]  # by team: active facilitators
    staff: Mapping[int, tuple[District, ...]]  # by person: active districts they are staff of
    role_holders: Mapping[Role, tuple[Person, ...]]  # active holders of each network role, roster order
    network_roles: Mapping[tuple[int, Role], NetworkRole]  # (person, role) -> first active row

    @classmethod
    def build(cls, directory: Directory) -> DirectoryIndex:
        people, teams = directory.people, directory.teams
        roles: dict[int, set[Role]] = {}
        memberships: dict[int, list[Membership]] = {}
        team_members: dict[int, list[Membership]] = {}
        facilitators: dict[int, list[Person]] = {}
        for m in directory.memberships:
            if not m.active:
                continue
            team_members.setdefault(m.team_id, []).append(m)
            person = people.get(m.person_id)
            if m.role == Role.FACILITATOR and person is not None and person.active:
                facilitators.setdefault(m.team_id, []).append(person)
            team = teams.get(m.team_id)
            if team is not None and team.active:
                memberships.setdefault(m.person_id, []).append(m)
                roles.setdefault(m.person_id, set()).add(m.role)
        holders: dict[Role, list[Person]] = {}
        network_roles: dict[tuple[int, Role], NetworkRole] = {}
        for r in directory.network_roles:
            if not r.active:
                continue
            roles.setdefault(r.person_id, set()).add(r.role)
            network_roles.setdefault((r.person_id, r.role), r)
            person = people.get(r.person_id)
            if person is not None and person.active:
                holders.setdefault(r.role, []).append(person)
        staff: dict[int, list[District]] = {}
        for d in directory.districts.values():
            if d.active:
                for pid in dict.fromkeys(d.staff):
                    staff.setdefault(pid, []).append(d)
                    roles.setdefault(pid, set()).add(Role.DISTRICT_STAFF)
        return cls(
            roles=MappingProxyType({pid: frozenset(r) for pid, r in roles.items()}),
            memberships=MappingProxyType({k: tuple(v) for k, v in memberships.items()}),
            team_members=MappingProxyType({k: tuple(v) for k, v in team_members.items()}),
            facilitators=MappingProxyType({k: tuple(v) for k, v in facilitators.items()}),
            staff=MappingProxyType({k: tuple(v) for k, v in staff.items()}),
            role_holders=MappingProxyType({k: tuple(v) for k, v in holders.items()}),
            network_roles=MappingProxyType(network_roles),
        )

    def roles_of(self, person_id: int) -> frozenset[Role]:
        return self.roles.get(person_id, frozenset())

    def memberships_of(self, person_id: int) -> tuple[Membership, ...]:
        return self.memberships.get(person_id, ())

    def team_memberships(self, team_id: int, *, role: Role | None = None) -> tuple[Membership, ...]:
        found = self.team_members.get(team_id, ())
        return found if role is None else tuple(m for m in found if m.role == role)

    def facilitators_of(self, team_id: int) -> tuple[Person, ...]:
        return self.facilitators.get(team_id, ())

    def districts_of_staff(self, person_id: int) -> tuple[District, ...]:
        return self.staff.get(person_id, ())

    def holders(self, role: Role) -> tuple[Person, ...]:
        return self.role_holders.get(role, ())

    def network_role(self, person_id: int, role: Role) -> NetworkRole | None:
        return self.network_roles.get((person_id, role))
