"""Directory's lookups (answered from `Directory.index`) agree with plain scans of the roster, for any roster
(inactive rows too); and no lookup's cost grows with the roster."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.directory import AudienceMember, Directory, District, Membership, NetworkRole, Person, Role, Team

ACTIVE = st.sampled_from([True, True, True, False])
EXPERTISE = st.frozensets(st.sampled_from(["Data", "data", "Special Education", "special-education", "Leadership"]),
                          max_size=2)  # two spellings of each: the index equates them as `normalized` does
PEOPLE = st.integers(1, 12)


@st.composite
def rosters(draw) -> Directory:
    people = [Person(pid, f"P{pid}", active=draw(ACTIVE)) for pid in range(1, 11)]  # 11, 12: not in the roster
    teams = [Team(tid, f"T{tid}", active=draw(ACTIVE)) for tid in (100, 101, 102)]
    memberships = [
        Membership(draw(PEOPLE), draw(st.sampled_from([100, 101, 102, 103])), role, draw(EXPERTISE),
                   active=draw(ACTIVE))
        for role in draw(st.lists(st.sampled_from([Role.FACILITATOR, Role.MEMBER]), max_size=10))
    ]
    roles = [
        NetworkRole(draw(PEOPLE), role, active=draw(ACTIVE))
        for role in draw(
            st.lists(st.sampled_from([Role.LEAD, Role.MANAGEMENT, Role.STATE_CONTACT, Role.ADMIN]), max_size=8)
        )
    ]
    districts = [
        District(
            did,
            f"D{did}",
            draw(st.sampled_from([None, 100, 101])),
            staff=tuple(draw(st.lists(PEOPLE, max_size=3))),
            active=draw(ACTIVE),
        )
        for did in range(200, 200 + draw(st.integers(0, 4)))
    ]
    audiences = [
        AudienceMember(draw(st.sampled_from(["rpdc_directors", "area_supervisors"])), draw(PEOPLE),
                       active=draw(ACTIVE))
        for _ in range(draw(st.integers(0, 4)))
    ]
    return Directory.build(
        people=people, teams=teams, districts=districts, memberships=memberships, network_roles=roles,
        audiences=audiences,
    )


class Scan:
    """The lookups written as the plain scans of the roster they once were (every membership, role and district
    on each call): the reference the index must agree with."""

    def __init__(self, d: Directory) -> None:
        self.d = d
        self.person, self.by_slack_id = d.person, d.by_slack_id  # maps: never scans

    def _team_active(self, team_id: int) -> bool:
        team = self.d.teams.get(team_id)
        return team is not None and team.active

    def roles_of(self, person_id: int) -> frozenset[Role]:
        roles: set[Role] = set()
        for m in self.d.memberships:
            if m.person_id == person_id and m.active and self._team_active(m.team_id):
                roles.add(m.role)
        for r in self.d.network_roles:
            if r.person_id == person_id and r.active:
                roles.add(r.role)
        for d in self.d.districts.values():
            if d.active and person_id in d.staff:
                roles.add(Role.DISTRICT_STAFF)
        return frozenset(roles)

    def team_memberships(self, team_id: int, *, role: Role | None = None) -> tuple[Membership, ...]:
        return tuple(
            m for m in self.d.memberships if m.team_id == team_id and m.active and (role is None or m.role == role)
        )

    def memberships_of(self, person_id: int) -> tuple[Membership, ...]:
        return tuple(
            m for m in self.d.memberships if m.person_id == person_id and m.active and self._team_active(m.team_id)
        )

    def facilitators_of(self, team_id: int) -> tuple[Person, ...]:
        return tuple(
            p
            for m in self.team_memberships(team_id, role=Role.FACILITATOR)
            if (p := self.d.people.get(m.person_id)) is not None and p.active
        )

    def active_teams(self) -> tuple[Team, ...]:
        return tuple(t for t in self.d.teams.values() if t.active)

    def districts_of_staff(self, person_id: int) -> tuple[District, ...]:
        return tuple(d for d in self.d.districts.values() if d.active and person_id in d.staff)

    def districts_of_team(self, team_id: int | None) -> tuple[District, ...]:
        return tuple(d for d in self.d.districts.values() if d.active and d.team_id == team_id)

    def active_districts(self) -> tuple[District, ...]:
        return tuple(sorted((d for d in self.d.districts.values() if d.active), key=lambda d: d.name))

    def holders(self, role: Role) -> tuple[Person, ...]:
        return tuple(
            p
            for r in self.d.network_roles
            if r.role == role and r.active and (p := self.d.people.get(r.person_id)) is not None and p.active
        )

    def network_role(self, person_id: int, role: Role) -> NetworkRole | None:
        for r in self.d.network_roles:
            if r.person_id == person_id and r.role == role and r.active:
                return r
        return None

    def listing(self, expertise: str) -> tuple[Membership, ...]:
        wanted = expertise.lower().replace("-", " ")
        return tuple(m for t in self.active_teams() for m in self.team_memberships(t.id)
                     if any(e.lower().replace("-", " ") == wanted for e in m.expertise))

    def audience_members(self, audience: str) -> tuple[AudienceMember, ...]:
        return tuple(a for a in self.d.audiences if a.audience == audience and a.active
                     and (p := self.d.people.get(a.person_id)) is not None and p.active)


@settings(max_examples=150, deadline=None)
@given(rosters())
def test_the_lookups_agree_with_scans_of_the_roster(directory):
    index, scan = directory.index, Scan(directory)
    assert directory.index is index  # built once
    for pid in range(0, 14):
        assert directory.roles_of(pid) == index.roles_of(pid) == scan.roles_of(pid)
        assert directory.memberships_of(pid) == index.memberships_of(pid) == scan.memberships_of(pid)
        assert directory.districts_of_staff(pid) == index.districts_of_staff(pid) == scan.districts_of_staff(pid)
        for role in Role:
            assert directory.network_role(pid, role) == index.network_role(pid, role) == scan.network_role(pid, role)
    for tid in (None, 99, 100, 101, 102, 103):
        assert directory.facilitators_of(tid) == index.facilitators_of(tid) == scan.facilitators_of(tid)
        assert directory.districts_of_team(tid) == index.districts_of_team(tid) == scan.districts_of_team(tid)
        for role in (None, Role.FACILITATOR, Role.MEMBER):
            assert directory.team_memberships(tid, role=role) == scan.team_memberships(tid, role=role)
            assert index.team_memberships(tid, role=role) == scan.team_memberships(tid, role=role)
    for role in Role:
        assert directory.holders(role) == index.holders(role) == scan.holders(role)
    assert directory.active_teams() == scan.active_teams()
    for expertise in ("Data", "DATA", "Special Education", "Leadership", "Assessment"):
        assert directory.listing(expertise) == scan.listing(expertise)
    for audience in ("rpdc_directors", "area_supervisors", "learning_services"):
        assert directory.audience_members(audience) == scan.audience_members(audience)
    assert [d.name for d in directory.active_districts()] == [d.name for d in scan.active_districts()]


def test_the_index_does_not_change_equality():
    a = Directory.build(people=[Person(1, "A")])
    b = Directory.build(people=[Person(1, "A")])
    assert a.index.roles_of(1) == frozenset()
    assert a == b


def test_no_lookup_walks_the_roster_whatever_its_size():
    """Every lookup of a 100x roster walks as many roster entries as on a one-state roster: none (the index is
    built once per directory). The reference scans, run the same way, walk 100x more: the count sees a scan."""
    from tests.routing.scaled import ADMIN, FACILITATOR, LEAD, MEMBER, STAFF, STATE, STRANGER, TEAM, counted, walked
    from tests.routing.scaled import scaled_directory as roster

    def every_lookup(d) -> None:
        for pid in (FACILITATOR, MEMBER, STAFF, LEAD, ADMIN, STATE, STRANGER):
            d.roles_of(pid), d.memberships_of(pid), d.districts_of_staff(pid), d.person(pid)
            for role in Role:
                d.network_role(pid, role)
        for tid in (TEAM, None, 10**9):
            d.facilitators_of(tid), d.team_memberships(tid), d.team_memberships(tid, role=Role.MEMBER)
            d.districts_of_team(tid)
        for role in Role:
            d.holders(role)
        d.active_teams(), d.active_districts(), d.by_slack_id("ULEAD")
        d.listing("Leadership"), d.audience_members("rpdc_directors")

    small, large = counted(roster(1)), counted(roster(100))
    assert len(large.districts) == 100 * len(small.districts) == 2_500
    built = walked(lambda: small.index), walked(lambda: large.index)
    assert built[0] > 0 and built[1] > 90 * built[0]  # building the index walks the roster, once
    assert walked(lambda: every_lookup(small)) == walked(lambda: every_lookup(large)) == 0
    assert walked(lambda: large.index) == 0  # not built again

    scans = [walked(lambda d=d: every_lookup(Scan(d))) for d in (small, large)]  # the planted violation
    assert scans[0] > 0 and scans[1] > 50 * scans[0]
