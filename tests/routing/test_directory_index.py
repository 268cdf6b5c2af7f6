"""`Directory.index` answers exactly what Directory's own methods answer, for any roster (inactive rows too)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.directory import Directory, District, Membership, NetworkRole, Person, Role, Team

ACTIVE = st.sampled_from([True, True, True, False])
PEOPLE = st.integers(1, 12)


@st.composite
def rosters(draw) -> Directory:
    people = [Person(pid, f"P{pid}", active=draw(ACTIVE)) for pid in range(1, 11)]  # 11, 12: not in the roster
    teams = [Team(tid, f"T{tid}", active=draw(ACTIVE)) for tid in (100, 101, 102)]
    memberships = [
        Membership(draw(PEOPLE), draw(st.sampled_from([100, 101, 102, 103])), role, active=draw(ACTIVE))
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
    return Directory.build(
        people=people, teams=teams, districts=districts, memberships=memberships, network_roles=roles
    )


@settings(max_examples=150, deadline=None)
@given(rosters())
def test_index_agrees_with_the_directory(directory):
    index = directory.index
    assert directory.index is index  # built once
    for pid in range(0, 14):
        assert index.roles_of(pid) == directory.roles_of(pid)
        assert index.memberships_of(pid) == directory.memberships_of(pid)
        assert index.districts_of_staff(pid) == directory.districts_of_staff(pid)
        for role in Role:
            assert index.network_role(pid, role) == directory.network_role(pid, role)
    for tid in (99, 100, 101, 102, 103):
        assert index.facilitators_of(tid) == directory.facilitators_of(tid)
        for role in (None, Role.FACILITATOR, Role.MEMBER):
            assert index.team_memberships(tid, role=role) == directory.team_memberships(tid, role=role)
    for role in Role:
        assert index.holders(role) == directory.holders(role)


def test_the_index_does_not_change_equality():
    a = Directory.build(people=[Person(1, "A")])
    b = Directory.build(people=[Person(1, "A")])
    assert a.index.roles_of(1) == frozenset()
    assert a == b
