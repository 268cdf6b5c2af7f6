"""Questions, updates and district requests move one tier at a time; only the owner (or an admin) acts.

Every test runs on both protocol files: tiers are looked up through the file (entry roles, tier order), never
by Missouri's names.
"""

from __future__ import annotations

from datetime import date

import pytest

from routing.directory import Role
from routing.errors import Refused
from routing.model import AuditKind, EventKind, ItemKind, Notice, Status
from tests.routing.helpers import (
    ADA,
    BEA,
    BISMARCK,
    DAN,
    DEE,
    FAY,
    LEE,
    LOU,
    MIA,
    MO,
    NIA,
    NOBODY,
    OTTO,
    RAY,
    SIKESTON,
    TEAM_A,
    act,
    ask,
    next_tier,
    org,
    tier_of,
)


@pytest.mark.parametrize(
    ("asker", "role", "owner"),
    [
        (MO, Role.MEMBER, FAY),  # a member's question goes to their facilitator
        (BEA, Role.MEMBER, OTTO),
        (LEE, Role.LEAD, MIA),  # a lead's goes to the management team
        (DEE, Role.DISTRICT_STAFF, FAY),  # district staff reach their district's team facilitator
    ],
)
def test_a_question_goes_to_the_tier_above_the_asker(protocol, directory, asker, role, owner):
    decision = ask(directory, protocol, asker)
    state = decision.state
    assert (state.status, state.owner_id, state.tier) == (
        Status.OPEN,
        owner,
        tier_of(protocol, ItemKind.QUESTION, role),
    )
    assert state.history == (state.tier,) and state.owners == (owner,) and state.holders == ()
    assert state.protocol_version == protocol.version
    assert decision.notices_for(owner) == (Notice.ITEM_ASSIGNED,)
    assert decision.notices_for(asker) == (Notice.ASKER_STATUS,)
    assert [a.kind for a in decision.audits] == [AuditKind.CREATED, AuditKind.ASSIGNED]


def test_a_tier_held_by_several_people_is_offered_to_all_of_them_and_owned_by_none(protocol, directory):
    decision = ask(directory, protocol, FAY)  # a facilitator's question: the two leads
    state = decision.state
    assert state.tier == tier_of(protocol, ItemKind.QUESTION, Role.FACILITATOR)
    assert (state.owner_id, state.holders, state.owners) == (None, (LEE, LOU), ())
    assert decision.notices_for(LEE) == decision.notices_for(LOU) == (Notice.ITEM_SHARED,)
    (offered,) = [n for n in decision.notices if n.recipient_id == LOU]
    assert offered.context["holder_names"] == ["Lee Lead", "Lou Lead"] and offered.context["owner_id"] is None
    (assigned,) = [a for a in decision.audits if a.kind is AuditKind.ASSIGNED]
    assert assigned.to_owner_id is None and "the first to take it owns it" in assigned.reason
    assert state.deadline_at is not None  # an item nobody takes still moves on at its deadline


def test_the_first_to_take_it_owns_it_and_a_second_take_is_refused(protocol, directory):
    state = ask(directory, protocol, FAY).state
    for actor, code in [(MIA, "not_holder"), (FAY, "not_holder")]:
        with pytest.raises(Refused) as caught:
            act(state, directory, protocol, EventKind.TAKEN, actor)
        assert caught.value.code == code
    with pytest.raises(Refused) as caught:  # a holder must take it before answering
        act(state, directory, protocol, EventKind.ANSWERED, LOU, text="x")
    assert caught.value.code == "not_taken"
    decision = act(state, directory, protocol, EventKind.TAKEN, LOU)
    taken = decision.state
    assert (taken.owner_id, taken.owners, taken.holders, taken.step) == (LOU, (LOU,), (LEE, LOU), "taken")
    assert taken.deadline_at == state.deadline_at  # taking it does not buy time
    assert [(a.kind, a.to_owner_id) for a in decision.audits] == [(AuditKind.TAKEN, LOU)]
    assert decision.notices_for(FAY) == (Notice.ASKER_STATUS,)
    with pytest.raises(Refused) as caught:
        act(taken, directory, protocol, EventKind.TAKEN, LEE)
    assert caught.value.code == "taken" and "Lou Lead took it first" in caught.value.message
    with pytest.raises(Refused) as caught:
        act(taken, directory, protocol, EventKind.ANSWERED, LEE, text="x")
    assert caught.value.code == "not_owner"


def test_reminders_and_a_passed_deadline_reach_every_holder_until_one_takes_it(protocol, directory):
    state = ask(directory, protocol, FAY).state
    reminded = act(state, directory, protocol, EventKind.REMINDER_DUE, None, at=state.remind_at)
    assert reminded.notices_for(LEE) == reminded.notices_for(LOU) == (Notice.REMINDER,)
    assert {n.context["role"] for n in reminded.notices} == {"holder"}
    moved = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
    assert (moved.state.owner_id, moved.state.holders, moved.state.step) == (MIA, (), "moved_up")
    (audit,) = [a for a in moved.audits if a.kind is AuditKind.ESCALATED]
    assert "No answer from anyone it was offered to (Lee Lead, Lou Lead)" in audit.reason


def test_a_member_question_carries_the_members_team(protocol, directory):
    assert ask(directory, protocol, NIA).state.team_id == TEAM_A


def test_escalation_climbs_one_tier_at_a_time(protocol, directory):
    state = ask(directory, protocol, MO).state
    chain = protocol.chains[ItemKind.QUESTION]
    owners = [FAY, None, MIA]  # the lead tier is held by two leads: offered to both, owned by whoever takes it
    for index in range(1, len(chain.tiers)):
        decision = act(state, directory, protocol, EventKind.ESCALATED, state.owner_id, reason="needs a decision")
        state = decision.state
        assert state.tier == chain.tiers[index].name
        assert state.owner_id == owners[index]
        if owners[index] is not None:
            assert decision.notices_for(owners[index]) == (Notice.ITEM_ASSIGNED,)
        else:
            assert decision.notices_for(LEE) == decision.notices_for(LOU) == (Notice.ITEM_SHARED,)
        assert Notice.ASKER_STATUS in decision.notices_for(MO)
        (audit,) = [a for a in decision.audits if a.kind is AuditKind.ESCALATED]
        assert audit.from_owner_id == (owners[index - 1] or LEE) and audit.to_owner_id == owners[index]
        assert "needs a decision" in audit.reason
        if state.owner_id is None:
            state = act(state, directory, protocol, EventKind.TAKEN, LEE).state
    assert state.history == tuple(t.name for t in chain.tiers)
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.ESCALATED, MIA)
    assert caught.value.code == "last_tier"


@pytest.mark.parametrize("kind", [EventKind.ANSWERED, EventKind.ESCALATED, EventKind.REASSIGNED])
@pytest.mark.parametrize("actor", [MO, NIA, LEE, OTTO, None])
def test_only_the_owner_may_act(protocol, directory, kind, actor):
    state = ask(directory, protocol, MO).state  # owned by FAY
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, kind, actor, target_id=LOU)
    assert caught.value.code == "not_owner"
    assert "Fay Facilitator" in caught.value.message


def test_an_admin_may_act_for_the_owner(protocol, directory):
    state = ask(directory, protocol, MO).state
    escalated = act(state, directory, protocol, EventKind.ESCALATED, ADA).state
    assert (escalated.owner_id, escalated.holders) == (None, (LEE, LOU))
    answered = act(escalated, directory, protocol, EventKind.ANSWERED, ADA, text="Done").state  # not taken: fine
    assert answered.status is Status.ANSWERED and answered.answered_by == ADA


def test_answering_closes_and_tells_the_asker_and_earlier_owners(protocol, directory):
    state = ask(directory, protocol, MO).state
    state = act(state, directory, protocol, EventKind.ESCALATED, FAY).state
    state = act(state, directory, protocol, EventKind.TAKEN, LEE).state
    decision = act(state, directory, protocol, EventKind.ANSWERED, LEE, text="Use the blueprint, p. 12")
    closed = decision.state
    assert closed.status is Status.ANSWERED and closed.owner_id == LEE and closed.deadline_at is None
    assert closed.answer == "Use the blueprint, p. 12" and closed.closed_at is not None
    assert decision.notices_for(MO) == (Notice.ANSWER_TO_ASKER,)
    assert decision.notices_for(FAY) == (Notice.ANSWER_TO_CHAIN,)
    (to_asker,) = [n for n in decision.notices if n.recipient_id == MO]
    assert to_asker.context["answer"] == "Use the blueprint, p. 12"
    assert to_asker.context["answered_by_name"] == "Lee Lead"
    with pytest.raises(Refused) as caught:
        act(closed, directory, protocol, EventKind.ESCALATED, LEE)
    assert caught.value.code == "closed"


def test_reassign_within_the_tier_only(protocol, directory):
    state = act(ask(directory, protocol, MO).state, directory, protocol, EventKind.ESCALATED, FAY).state
    state = act(state, directory, protocol, EventKind.TAKEN, LEE).state
    assert state.owner_id == LEE
    decision = act(state, directory, protocol, EventKind.REASSIGNED, LEE, target_id=LOU, reason="my area")
    moved = decision.state
    assert (moved.owner_id, moved.tier, moved.owners) == (LOU, state.tier, (FAY, LEE, LOU))
    assert decision.notices_for(LOU) == (Notice.ITEM_ASSIGNED,)
    assert decision.notices_for(LEE) == (Notice.ITEM_REASSIGNED_AWAY,)
    assert [a.kind for a in decision.audits] == [AuditKind.REASSIGNED]
    for target, code in [(MIA, "not_in_tier"), (LOU, "same_owner"), (None, "unknown_target"), (999, "unknown_target")]:
        with pytest.raises(Refused) as caught:
            act(moved, directory, protocol, EventKind.REASSIGNED, LOU, target_id=target)
        assert caught.value.code == code


def test_reassign_to_someone_away_is_refused(protocol):
    directory = org(away={LOU: date(2024, 4, 30)})
    state = ask(directory, protocol, FAY).state  # Lou is away: the lead tier is Lee's alone, not shared
    assert (state.owner_id, state.holders) == (LEE, ())
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.REASSIGNED, LEE, target_id=LOU)
    assert caught.value.code == "target_unavailable"


# --- district requests ---------------------------------------------------------------------------------------


def test_a_district_request_goes_to_the_districts_team_facilitator(protocol, directory):
    state = ask(directory, protocol, DEE, ItemKind.DISTRICT).state
    assert (state.owner_id, state.district_id, state.team_id) == (FAY, SIKESTON, TEAM_A)
    assert state.tier == protocol.chains[ItemKind.DISTRICT].tiers[0].name


def test_a_district_request_continues_up_the_question_chain(protocol, directory):
    state = ask(directory, protocol, DEE, ItemKind.DISTRICT).state
    state = act(state, directory, protocol, EventKind.ESCALATED, FAY).state
    assert (state.owner_id, state.holders) == (None, (LEE, LOU))
    assert state.tier == protocol.chains[ItemKind.QUESTION].entry[Role.FACILITATOR]


def test_a_member_redirects_a_district_request_politely(protocol, directory):
    event_kw = {"requester_id": DEE, "item_kind": ItemKind.DISTRICT, "text": "Can someone visit?"}
    decision = act(None, directory, protocol, EventKind.REDIRECTED, MO, **event_kw)
    state = decision.state
    assert (state.asker_id, state.owner_id, state.redirected_by) == (DEE, FAY, MO)
    assert decision.notices_for(DEE) == (Notice.ASKER_STATUS, Notice.REDIRECT_TO_DISTRICT_PERSON)
    assert decision.notices_for(MO) == (Notice.REDIRECT_TO_MEMBER,)
    (assigned,) = [n for n in decision.notices if n.recipient_id == FAY]
    assert assigned.context["redirected_by_name"] == "Mo Member"
    (redirect,) = [n for n in decision.notices if n.template is Notice.REDIRECT_TO_DISTRICT_PERSON]
    assert redirect.context["owner_name"] == "Fay Facilitator"
    assert AuditKind.REDIRECTED in [a.kind for a in decision.audits]


def test_a_redirect_needs_the_requester(protocol, directory):
    with pytest.raises(Refused) as caught:
        act(None, directory, protocol, EventKind.REDIRECTED, MO, item_kind=ItemKind.DISTRICT)
    assert caught.value.code == "no_requester"


def test_district_staff_may_only_speak_for_their_own_district(protocol, directory):
    with pytest.raises(Refused) as caught:
        ask(directory, protocol, DEE, ItemKind.DISTRICT, district_id=BISMARCK)
    assert caught.value.code == "not_your_district"
    with pytest.raises(Refused) as caught:
        ask(directory, protocol, DEE, ItemKind.DISTRICT, district_id=12345)
    assert caught.value.code == "unknown_district"


# --- nobody to route to ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ItemKind.QUESTION, ItemKind.DISTRICT])
def test_someone_on_no_team_or_district_is_told_whom_to_contact(protocol, directory, kind):
    decision = ask(directory, protocol, NOBODY, kind)
    state = decision.state
    assert state.status is Status.UNROUTABLE and state.owner_id is None and state.closed_at is not None
    (notice,) = [n for n in decision.notices if n.recipient_id == NOBODY]
    assert notice.template is Notice.NO_ROUTE
    assert [c["name"] for c in notice.context["contacts"]] == ["Lee Lead", "Lou Lead"]
    assert notice.context["contacts"][0]["label"] == protocol.label(Role.LEAD)
    assert "Nobody Anywhere" in notice.context["reason"]
    assert decision.notices_for(ADA) == (Notice.ADMIN_ALERT,)
    assert [a.kind for a in decision.audits] == [AuditKind.CREATED, AuditKind.UNROUTABLE]


def test_no_route_falls_back_to_admins_when_no_lead_is_available(protocol):
    directory = org(away={LEE: date(2024, 5, 1), LOU: date(2024, 5, 1)})
    (notice,) = [n for n in ask(directory, protocol, NOBODY).notices if n.recipient_id == NOBODY]
    assert [c["name"] for c in notice.context["contacts"]] == ["Ada Admin"]


def test_a_redirect_nobody_can_take_tells_both(protocol, directory):
    decision = act(
        None, directory, protocol, EventKind.REDIRECTED, MO, requester_id=NOBODY, item_kind=ItemKind.DISTRICT
    )
    assert decision.state.status is Status.UNROUTABLE
    assert decision.notices_for(NOBODY) == (Notice.NO_ROUTE,)
    assert decision.notices_for(MO) == (Notice.NO_ROUTE,)


def test_a_kind_the_protocol_lacks_for_this_asker_is_no_route(protocol, directory):
    decision = ask(directory, protocol, DEE, ItemKind.UPDATE)  # no protocol routes district staff updates
    assert decision.state.status is Status.UNROUTABLE
    (notice,) = decision.notices[:1]
    assert protocol.label(Role.DISTRICT_STAFF).lower() in notice.context["reason"]


# --- vacancies -------------------------------------------------------------------------------------------------


def test_a_team_without_a_facilitator_goes_straight_to_the_lead(protocol, directory):
    decision = ask(directory, protocol, DAN, ItemKind.DISTRICT)  # Bismarck's team (Cadre 3) has no facilitator
    state = decision.state
    assert (state.owner_id, state.holders) == (None, (LEE, LOU))  # the two leads: whoever takes it
    (skip,) = [a for a in decision.audits if a.kind is AuditKind.SKIPPED]
    assert "team 'Cadre 3' has no active facilitator" in skip.reason
    assert state.skipped == (protocol.chains[ItemKind.DISTRICT].tiers[0].name,)
    (offered,) = [n for n in decision.notices if n.recipient_id == LEE]
    assert offered.template is Notice.ITEM_SHARED and offered.context["reason"] == "vacancy"


def test_a_district_without_a_team_goes_to_the_lead(protocol, directory):
    decision = ask(directory, protocol, RAY, ItemKind.DISTRICT)
    assert decision.state.holders == (LEE, LOU)
    assert any("district 'Nowhere C-1' has no team" in a.reason for a in decision.audits)


def test_an_away_facilitator_is_passed_over_and_the_audit_says_why(protocol):
    directory = org(away={FAY: date(2024, 4, 12)})
    decision = ask(directory, protocol, MO)
    assert decision.state.holders == (LEE, LOU)
    assert any(
        a.kind is AuditKind.SKIPPED and "Fay Facilitator is away until 2024-04-12" in a.reason for a in decision.audits
    )


def test_the_first_available_lead_in_roster_order(protocol):
    directory = org(away={LEE: date(2024, 4, 30)})
    assert ask(directory, protocol, FAY).state.owner_id == LOU


def test_every_tier_vacant_is_unroutable_with_reasons(protocol):
    directory = org(away={FAY: date(2024, 5, 1), LEE: date(2024, 5, 1), LOU: date(2024, 5, 1), MIA: date(2024, 5, 1)})
    decision = ask(directory, protocol, MO)
    assert decision.state.status is Status.UNROUTABLE
    skipped = [a for a in decision.audits if a.kind is AuditKind.SKIPPED]
    assert len(skipped) == len(protocol.chains[ItemKind.QUESTION].tiers)
    assert decision.notices_for(MO) == (Notice.NO_ROUTE,)


def test_escalating_past_vacant_tiers_is_refused_when_nobody_is_above(protocol):
    directory = org(away={LEE: date(2024, 5, 1), LOU: date(2024, 5, 1), MIA: date(2024, 5, 1)})
    state = ask(directory, protocol, MO).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.ESCALATED, FAY)
    assert caught.value.code == "nobody_above" and "away until 2024-05-01" in caught.value.message


def test_escalating_over_an_away_tier_records_the_skip(protocol):
    directory = org(away={LEE: date(2024, 5, 1), LOU: date(2024, 5, 1)})
    state = ask(directory, protocol, MO).state
    decision = act(state, directory, protocol, EventKind.ESCALATED, FAY)
    lead_tier = next_tier(protocol, ItemKind.QUESTION, state.tier)
    assert decision.state.owner_id == MIA
    assert decision.state.skipped == (lead_tier,)
    assert [a.kind for a in decision.audits] == [AuditKind.SKIPPED, AuditKind.ESCALATED]


# --- withdrawing ------------------------------------------------------------------------------------------------


def test_the_asker_may_withdraw(protocol, directory):
    state = ask(directory, protocol, MO).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.WITHDRAWN, FAY)
    assert caught.value.code == "not_asker"
    decision = act(state, directory, protocol, EventKind.WITHDRAWN, MO, reason="solved it myself")
    assert decision.state.status is Status.WITHDRAWN and decision.state.deadline_at is None
    assert decision.notices_for(FAY) == (Notice.ITEM_WITHDRAWN,)
    assert "solved it myself" in decision.audits[0].reason


def test_topics_are_canonical_and_unknown_topics_refused(protocol, directory):
    state = ask(directory, protocol, MO, topics=("data", "Leadership", "DATA")).state
    assert state.topics == ("Data", "Leadership")
    with pytest.raises(Refused) as caught:
        ask(directory, protocol, MO, topics=("Leadershp",))
    assert caught.value.code == "unknown_topic" and "did you mean 'Leadership'" in caught.value.message


def test_declining_or_offering_is_for_training_requests_only(protocol, directory):
    state = ask(directory, protocol, MO).state
    for kind in (EventKind.DECLINED, EventKind.OFFERED, EventKind.MATCHED):
        with pytest.raises(Refused) as caught:
            act(state, directory, protocol, kind, FAY, candidate_id=MO)
        assert caught.value.code == "not_applicable"


def test_creating_events_need_no_state_and_others_need_one(protocol, directory):
    state = ask(directory, protocol, MO).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.ASKED, MO, item_kind=ItemKind.QUESTION)
    assert caught.value.code == "exists"
    with pytest.raises(Refused) as caught:
        act(None, directory, protocol, EventKind.ANSWERED, FAY)
    assert caught.value.code == "no_item"
    with pytest.raises(Refused) as caught:
        ask(directory, protocol, 999)
    assert caught.value.code == "unknown_person"
