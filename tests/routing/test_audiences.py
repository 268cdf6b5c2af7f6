"""Who reads the monthly summary, and which districts each reader's copy opens with (routing.audiences)."""

from __future__ import annotations

from routing.audiences import Scope, readers, scope_of
from routing.directory import AudienceMember, Directory, District, Membership, NetworkRole, Person, Role, Team


def network() -> Directory:
    people = [Person(1, "Fay", slack_id="UFAY"), Person(2, "Max", slack_id="UMAX"), Person(3, "Dora", slack_id="UDOR"),
              Person(4, "Lia", slack_id="ULIA"), Person(5, "Ed", slack_id="UED"), Person(6, "Nox"),
              Person(7, "Sue", slack_id="USUE"), Person(8, "Gone", slack_id="UGONE", active=False)]
    teams = [Team(10, "Team A", zone="Early", region="East"), Team(11, "Team B", region="West"),
             Team(12, "Old", active=False)]
    districts = [District(20, "One", team_id=10, zone="Early", region="East", center="North Center"),
                 District(21, "Two", team_id=10, center="north center"),  # zone and region: the team's
                 District(22, "Three", team_id=11, zone="New", region="West", center="West Center"),
                 District(23, "Closed", team_id=11, region="East", center="North Center", active=False)]
    memberships = [Membership(1, 10, Role.FACILITATOR), Membership(2, 10, Role.MEMBER), Membership(6, 11, Role.MEMBER),
                   Membership(8, 11, Role.MEMBER), Membership(1, 11, Role.FACILITATOR)]
    audiences = [AudienceMember("rpdc_directors", 3, center="North Center"),
                 AudienceMember("learning_services", 4),
                 AudienceMember("area_supervisors", 4, zone="New"),
                 AudienceMember("area_supervisors", 5, region="East"),
                 AudienceMember("area_supervisors", 1, districts=("three", "One"))]
    return Directory.build(people=people, teams=teams, districts=districts, memberships=memberships,
                           network_roles=[NetworkRole(7, Role.SUPPORT)], audiences=audiences)


def test_each_scope_is_its_active_districts_and_the_teams_serving_them():
    d = network()
    director, _, zone, region, named = d.audiences
    assert scope_of(d, director) == Scope("North Center", (20, 21), (10,))
    assert scope_of(d, zone) == Scope("the New zone", (22,), (11,))
    assert scope_of(d, region) == Scope("the East region", (20, 21), (10,))  # District Two: its team's region
    assert scope_of(d, named) == Scope("One and Three", (20, 22), (10, 11))
    assert scope_of(d, d.audiences[1]) is None  # learning services: the whole state


def test_everyone_once_in_order_with_every_way_they_are_reached():
    d = network()
    got = readers(d, summaries=("CSUM", "CSUM"), audience_channels={"learning_services": ("CLS",)})
    assert [(r.key, r.kinds, r.team_ids, [s.label for s in r.scopes]) for r in got] == [
        ("CSUM", ("summaries",), (), []),
        ("CLS", ("learning_services",), (), []),
        ("ULIA", ("learning_services", "area_supervisors"), (), ["the New zone"]),  # one copy for two audiences
        ("UDOR", ("rpdc_directors",), (), ["North Center"]),
        ("UED", ("area_supervisors",), (), ["the East region"]),
        ("UFAY", ("area_supervisors", "facilitators"), (10, 11), ["One and Three"]),
        ("UMAX", ("members",), (10,), []),
        ("USUE", ("support",), (), []),
        ("", ("members",), (11,), []),  # Nox has no Slack id: listed last, reported, never sent
    ]


def test_share_with_facilitators_leaves_the_members_out():
    got = readers(network(), summaries=(), audience_channels={}, share_with="facilitators")
    assert "members" not in {k for r in got for k in r.kinds}
