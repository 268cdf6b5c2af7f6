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

from routing.vocabulary import normalized


class Role(StrEnum):
    """Every role a person can hold. A person may hold several (a lead can also be an admin)."""

    DISTRICT_STAFF = "district_staff"
    MEMBER = "member"
    FACILITATOR = "facilitator"
    LEAD = "lead"
    MANAGEMENT = "management"
    STATE_CONTACT = "state_contact"
    ADMIN = "admin"
    # The support team (CST Implementation Guide, "CST Expertise, Composition, and Mindset": Special Education,
    # Early Childhood, Social-Behavioral, "advisory resources that span across all teams"): on no team, a trainer
    # candidate for every team.
    SUPPORT = "support"


# Roles held through a row in the person-role table (not through a team or a district).
NETWORK_ROLES = (Role.LEAD, Role.MANAGEMENT, Role.STATE_CONTACT, Role.ADMIN, Role.SUPPORT)


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    email: str | None = None
    slack_id: str | None = None
    active: bool = True
    # Away (leave, vacancy cover): routing skips the person while `on` <= away_until.
    away_until: date | None = None
    tz: str | None = None  # their Slack time zone ("America/New_York"); None: the protocol's

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
    """A lead facilitator, a management team member, a state trainer-match contact, a bot admin, or a member of
    the support team (on no team; a trainer candidate for every team)."""

    person_id: int
    role: Role
    expertise: frozenset[str] = frozenset()
    fte: float = 0.0  # a state contact: their allocation for the school year (Missouri: Collaborative Work FTE)
    home_center: str | None = None
    active: bool = True
    fte_available: float | None = None  # the support team: unassigned share of `fte`; None = not stated
    trainers: tuple[int, ...] = ()  # a state contact: the people they can assign as trainers (besides themselves)


@dataclass(frozen=True, slots=True)
class AudienceMember:
    """Someone the summaries are for (roster `audiences:`): someone in learning services (the whole state), an
    RPDC director of one center, an area supervisor of a region, a zone or named districts."""

    audience: str  # routing.protocol.AUDIENCE_KEYS
    person_id: int
    center: str | None = None
    active: bool = True
    region: str | None = None
    zone: str | None = None
    districts: tuple[str, ...] = ()  # district names, as the roster writes them


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
    audiences: tuple[AudienceMember, ...] = ()
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
        audiences: Iterable[AudienceMember] = (),
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
            audiences=tuple(audiences),
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

    # --- lookups -----------------------------------------------------------------------------------------
    # Each answers from `index` (maps built once, on first use): O(1), or O(the answer), whatever the roster's size.
    # A request never scans the roster (tests/routing/test_directory_index.py checks both, against plain scans).

    def roles_of(self, person_id: int) -> frozenset[Role]:
        return self.index.roles_of(person_id)

    def team_memberships(self, team_id: int, *, role: Role | None = None) -> tuple[Membership, ...]:
        """The team's active memberships (its facilitator's and members'), in roster order."""
        return self.index.team_memberships(team_id, role=role)

    def memberships_of(self, person_id: int) -> tuple[Membership, ...]:
        """The person's active memberships of active teams."""
        return self.index.memberships_of(person_id)

    def facilitators_of(self, team_id: int) -> tuple[Person, ...]:
        """The team's active facilitators (normally one), whether or not they are away."""
        return self.index.facilitators_of(team_id)

    def active_teams(self) -> tuple[Team, ...]:
        return self.index.active_teams

    def districts_of_staff(self, person_id: int) -> tuple[District, ...]:
        """The active districts the person is staff of."""
        return self.index.districts_of_staff(person_id)

    def districts_of_team(self, team_id: int) -> tuple[District, ...]:
        """The team's active districts."""
        return self.index.districts_of_team(team_id)

    def active_districts(self) -> tuple[District, ...]:
        """Every active district, by name."""
        return self.index.districts_by_name

    def holders(self, role: Role) -> tuple[Person, ...]:
        """Active people holding a network role (lead, management, state contact, admin), in roster order."""
        return self.index.holders(role)

    def network_role(self, person_id: int, role: Role) -> NetworkRole | None:
        """The person's first active row for a network role."""
        return self.index.network_role(person_id, role)

    def audience_members(self, audience: str) -> tuple[AudienceMember, ...]:
        """Active members of an audience whose person is active, in roster order."""
        return self.index.audience_members.get(audience, ())

    def listing(self, expertise: str) -> tuple[Membership, ...]:
        """Active memberships on active teams that list `expertise` (any spelling `normalized` equates), team
        by team in team order, each team's in roster order."""
        return tuple(m for _, m in self.index.listing.get(normalized(expertise), ()))

    # --- precomputed lookups (see DirectoryIndex) ---------------------------------------------------------
    @cached_property
    def index(self) -> DirectoryIndex:
        """The maps the lookups above answer from, built in one pass on first use (a Directory never changes)."""
        return DirectoryIndex.build(self)


# --- precomputed lookups --------------------------------------------------------------------------------------
# Built in one pass over the roster the first time `directory.index` is read; a process builds it once per roster
# version (store.directory.DirectoryCache builds it as it loads). tests/routing checks every answer against a plain
# scan of the roster.


@dataclass(frozen=True)
class DirectoryIndex:
    roles: Mapping[int, frozenset[Role]]
    memberships: Mapping[int, tuple[Membership, ...]]  # by person: active, on active teams
    team_members: Mapping[int, tuple[Membership, ...]]  # by team: active memberships
    facilitators: Mapping[int, tuple[Person, ...]]  # by team: active facilitators
    staff: Mapping[int, tuple[District, ...]]  # by person: active districts they are staff of
    role_holders: Mapping[Role, tuple[Person, ...]]  # active holders of each network role, roster order
    network_roles: Mapping[tuple[int, Role], NetworkRole]  # (person, role) -> first active row
    team_districts: Mapping[int | None, tuple[District, ...]]  # by team: its active districts
    active_teams: tuple[Team, ...]
    districts_by_name: tuple[District, ...]  # every active district, sorted by name
    # normalized expertise -> ((team rank, roster position), membership) of active memberships on active teams
    # listing it, in that order: who in the network lists a topic without walking every team
    listing: Mapping[str, tuple[tuple[tuple[int, int], Membership], ...]] = field(default_factory=dict)
    audience_members: Mapping[str, tuple[AudienceMember, ...]] = field(default_factory=dict)  # active, by audience

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
        team_districts: dict[int, list[District]] = {}
        active_districts: list[District] = []
        for d in directory.districts.values():
            if d.active:
                active_districts.append(d)
                team_districts.setdefault(d.team_id, []).append(d)  # None: the districts with no team
                for pid in dict.fromkeys(d.staff):
                    staff.setdefault(pid, []).append(d)
                    roles.setdefault(pid, set()).add(Role.DISTRICT_STAFF)
        active_teams = tuple(t for t in teams.values() if t.active)
        rank = {t.id: i for i, t in enumerate(active_teams)}
        listing: dict[str, list[tuple[tuple[int, int], Membership]]] = {}
        for position, m in enumerate(directory.memberships):
            if m.active and m.team_id in rank:
                for key in dict.fromkeys(normalized(e) for e in m.expertise):
                    listing.setdefault(key, []).append(((rank[m.team_id], position), m))
        audiences: dict[str, list[AudienceMember]] = {}
        for a in directory.audiences:
            if a.active and (p := people.get(a.person_id)) is not None and p.active:
                audiences.setdefault(a.audience, []).append(a)
        return cls(
            roles=MappingProxyType({pid: frozenset(r) for pid, r in roles.items()}),
            memberships=MappingProxyType({k: tuple(v) for k, v in memberships.items()}),
            team_members=MappingProxyType({k: tuple(v) for k, v in team_members.items()}),
            facilitators=MappingProxyType({k: tuple(v) for k, v in facilitators.items()}),
            staff=MappingProxyType({k: tuple(v) for k, v in staff.items()}),
            role_holders=MappingProxyType({k: tuple(v) for k, v in holders.items()}),
            network_roles=MappingProxyType(network_roles),
            team_districts=MappingProxyType({k: tuple(v) for k, v in team_districts.items()}),
            active_teams=active_teams,
            districts_by_name=tuple(sorted(active_districts, key=lambda d: d.name)),
            listing=MappingProxyType({k: tuple(sorted(v, key=lambda e: e[0])) for k, v in listing.items()}),
            audience_members=MappingProxyType({k: tuple(v) for k, v in audiences.items()}),
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

    def districts_of_team(self, team_id: int | None) -> tuple[District, ...]:
        return self.team_districts.get(team_id, ())
