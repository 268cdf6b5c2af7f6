"""One Slack account playing several roster people (`cstbot roster try`): who acts, and in which role a message
reaches each of them. Pure: the test organisation with one account bound to a person of each role."""

from __future__ import annotations

from dataclasses import replace

from routing.actions import role_on_item, who_may
from routing.directory import Directory, Role
from routing.model import EventKind, ItemKind
from tests.routing.helpers import ADA, DEE, FAY, LEE, MIA, MO, SAM, SIKESTON, act, ask, org

PLAYED = (DEE, MO, FAY, LEE, MIA, SAM, ADA)  # district staff, member, facilitator, lead, management, state, admin


def played_by_one_account() -> Directory:
    base = org()
    people = [replace(p, slack_id="UEVAL") if p.id in PLAYED else p for p in base.people.values()]
    return Directory.build(people=people, teams=base.teams.values(), districts=base.districts.values(),
                           memberships=base.memberships, network_roles=base.network_roles)


def test_the_account_stands_for_each_person_in_id_order():
    d = played_by_one_account()
    assert [p.id for p in d.people_of_slack("UEVAL")] == sorted(PLAYED)
    assert d.by_slack_id("UEVAL").id == min(PLAYED)
    assert [p.id for p in org().people_of_slack(f"U{FAY:03d}")] == [FAY]  # a normal account: one person
    assert org().people_of_slack("UNOBODY") == ()


def test_a_click_acts_as_the_person_the_protocol_lets_act(protocol):
    d = played_by_one_account()
    state = ask(d, protocol, DEE, ItemKind.DISTRICT, district_id=SIKESTON).state
    assert state.owner_id == FAY
    # The admin may answer anything, but the owner is the one the item concerns.
    assert who_may(state, EventKind.ANSWERED, PLAYED, d, protocol) == FAY
    assert who_may(state, EventKind.WITHDRAWN, PLAYED, d, protocol) == DEE
    assert who_may(state, EventKind.ESCALATED, (ADA,), d, protocol) == ADA  # only the admin is played: they may
    assert who_may(state, EventKind.OFFERED, PLAYED, d, protocol) is None  # not a training request
    up = act(state, d, protocol, EventKind.ESCALATED, FAY).state
    # The lead tier is held by two leads: it is offered to both, and a lead takes it before answering; until then
    # only the admin the account also plays may answer it.
    assert up.owner_id is None and LEE in up.holders
    assert who_may(up, EventKind.TAKEN, PLAYED, d, protocol) == LEE
    assert who_may(up, EventKind.ANSWERED, PLAYED, d, protocol) == ADA
    taken = act(up, d, protocol, EventKind.TAKEN, LEE).state
    assert who_may(taken, EventKind.ANSWERED, PLAYED, d, protocol) == taken.owner_id == LEE


def test_each_message_names_the_role_it_reaches_its_reader_in(protocol):
    d = played_by_one_account()
    state = ask(d, protocol, DEE, ItemKind.DISTRICT, district_id=SIKESTON).state
    assert role_on_item(state, FAY, d, protocol) is Role.FACILITATOR
    assert role_on_item(state, DEE, d, protocol) is Role.DISTRICT_STAFF
    assert role_on_item(state, ADA, d, protocol) is None  # an admin is not named by the item
    up = act(state, d, protocol, EventKind.ESCALATED, FAY).state
    assert role_on_item(up, LEE, d, protocol) is Role.LEAD
    question = ask(d, protocol, MO, ItemKind.QUESTION).state
    assert role_on_item(question, MO, d, protocol) is Role.MEMBER
