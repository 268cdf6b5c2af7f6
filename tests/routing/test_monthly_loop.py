"""The monthly loop's rules (CST Implementation Guide, Communication Protocol): who sends the update and who
reads it, who gets the minutes and where a facilitator passes them on, when an update is in, when a
facilitator is reminded."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from routing import monthly_loop as rules
from routing.directory import Directory, Membership, Role
from tests.routing.helpers import ADA, BEA, CAL, CT, DEE, FAY, LEE, LOU, MIA, MO, NIA, OTTO, SAM, TEAM_A, TEAM_B, org

EVERYONE = (FAY, MO, NIA, OTTO, BEA, LEE, LOU, MIA, SAM, ADA, DEE, CAL)


@pytest.mark.parametrize(("rule", "holders"), [
    (rules.is_lead, {LEE, LOU}),
    (rules.is_management, {MIA}),
])
def test_network_roles(directory, rule, holders):
    assert {p for p in EVERYONE if rule(directory, p)} == holders


def test_who_sends_and_who_reads(directory):
    assert [p.id for p in rules.leads(directory)] == [LEE, LOU]
    assert [p.id for p in rules.update_readers(directory)] == [MIA]
    # Every facilitator of an active team, once each: Cadre 3 has none.
    assert [p.id for p in rules.minutes_readers(directory)] == [FAY, OTTO]


def test_a_facilitator_of_two_teams_gets_the_minutes_once_and_shares_with_both():
    base = org()
    directory = Directory.build(
        people=base.people.values(), teams=base.teams.values(), districts=base.districts.values(),
        memberships=(*base.memberships, Membership(FAY, TEAM_B, Role.FACILITATOR)), network_roles=base.network_roles)
    assert [p.id for p in rules.minutes_readers(directory)] == [FAY, OTTO]
    assert {t.id for t in rules.conduit_teams(directory, FAY)} == {TEAM_A, TEAM_B}


@pytest.mark.parametrize(("person", "teams"), [(FAY, {TEAM_A}), (OTTO, {TEAM_B}), (MO, set()), (LEE, set()),
                                              (DEE, set())])
def test_conduit_teams(directory, person, teams):
    assert {t.id for t in rules.conduit_teams(directory, person)} == teams


def test_a_team_audience_is_its_active_members_only(directory):
    assert [p.id for p in rules.team_audience(directory, TEAM_A)] == [MO, NIA]
    gone = Directory.build(people=[replace(p, active=p.id != NIA) for p in directory.people.values()],
                           teams=directory.teams.values(), districts=directory.districts.values(),
                           memberships=directory.memberships, network_roles=directory.network_roles)
    assert [p.id for p in rules.team_audience(gone, TEAM_A)] == [MO]


@pytest.mark.parametrize(("sent", "lead", "covered"), [
    ((), LEE, False),
    ((rules.SentUpdate(LEE, False),), LEE, True),
    ((rules.SentUpdate(LEE, False),), LOU, False),
    ((rules.SentUpdate(LEE, True),), LOU, True),
    ((rules.SentUpdate(LOU, False), rules.SentUpdate(LEE, False)), LOU, True),
])
def test_an_update_is_in_when_the_lead_sent_theirs_or_another_sent_one_for_all(sent, lead, covered):
    assert rules.update_covers(sent, lead) is covered


@pytest.mark.parametrize(("sent", "reminded"), [
    (datetime(2024, 4, 8, 10, 0, tzinfo=CT), datetime(2024, 4, 10, 10, 0, tzinfo=CT)),  # Monday -> Wednesday
    (datetime(2024, 4, 11, 15, 0, tzinfo=CT), datetime(2024, 4, 15, 15, 0, tzinfo=CT)),  # Thursday -> Monday
    (datetime(2024, 4, 12, 20, 0, tzinfo=CT), None),  # Friday night counts from Monday morning: Wednesday's opening
])
def test_the_minutes_reminder_comes_two_business_days_on(protocol, sent, reminded):
    if reminded is None:
        reminded = datetime.combine(datetime(2024, 4, 17).date(), protocol.calendar.day_start, tzinfo=CT)
    assert rules.minutes_reminder_at(protocol, sent) == reminded
