"""Training requests: rank inside the team, then ask the other facilitators at once, then the state contacts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from routing.actions import involved
from routing.directory import Directory, Membership, Person, Role, Team
from routing.errors import Refused
from routing.matching import Profile, rank_candidates
from routing.model import AuditKind, Commit, EventKind, ItemKind, Notice, Status
from routing.protocol import StageMode
from routing.training import offerable
from tests.routing.helpers import (
    ADA,
    BEA,
    CAL,
    DAN,
    DEE,
    DOT,
    FAY,
    LEE,
    MIA,
    MO,
    MONDAY,
    NIA,
    NOBODY,
    OTTO,
    SAM,
    SIKESTON,
    SUE,
    SUP,
    TEAM_A,
    TIM,
    act,
    ask,
    org,
    protocol_named,
)

TOPICS = ("Data", "Leadership")


def request(directory, protocol, asker=DEE, topics=TOPICS, **kw):
    return ask(directory, protocol, asker, ItemKind.TRAINING, topics=topics, **kw)


def stage_names(protocol):
    return [s.name for s in protocol.training.sequence]


def to_stage(directory, protocol, state, name):
    """Let deadlines pass until the request reaches stage `name`."""
    while state.tier != name:
        state = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at).state
        assert state.is_open
    return state


# --- ranking --------------------------------------------------------------------------------------------------


def test_missouri_ranking_and_reasons(directory):
    protocol = protocol_named("missouri")
    state = request(directory, protocol).state
    # Nia lists neither Data nor Leadership: not a candidate. Fay states no available FTE: after Mo, who does.
    assert [(c.rank, c.person_id, c.score) for c in state.candidates] == [(1, MO, 0.756), (2, FAY, 0.511)]
    assert state.candidates[0].reason == (
        "expertise: Data, Leadership (2 of 2); 0.5 FTE free; "
        "different center (Central RPDC; district: Southeast RPDC); supervisor fit 0.9"
    )
    assert state.candidates[1].reason == (
        "expertise: Data (1 of 2); FTE not stated; same center as district (Southeast RPDC); supervisor fit 0.8"
    )


def test_the_weights_are_data(directory):
    # linked-teams weighs location and FTE more than expertise: the half-match at the district's center wins there.
    district = directory.districts[SIKESTON]
    people = [
        Profile(MO, frozenset({"Data", "Leadership"}), 0.1, "Central RPDC"),
        Profile(NIA, frozenset({"Data"}), 0.5, "Southeast RPDC"),
    ]

    def order(name):
        weights = protocol_named(name).matching_weights
        return [c.person_id for c in rank_candidates(directory, people, topics=TOPICS, district=district,
                                                     weights=weights)]

    assert order("missouri") == [MO, NIA]
    assert order("linked-teams") == [NIA, MO]


def test_stated_fte_ranks_before_fte_not_stated_whatever_the_score(directory):
    people = [Profile(MO, frozenset(TOPICS), None, fit=1.0), Profile(NIA, frozenset({"Data"}), 0.05, fit=0.0)]
    ranked = rank_candidates(directory, people, topics=TOPICS)
    assert [c.person_id for c in ranked] == [NIA, MO] and ranked[1].score > ranked[0].score
    assert "FTE not stated" in ranked[1].reason and "0.05 FTE free" in ranked[0].reason


def test_candidates_list_the_expertise_asked(directory):
    people = [Profile(MO, frozenset({"Leadership"})), Profile(NIA, frozenset({"Assessment"})), Profile(BEA)]
    assert [c.person_id for c in rank_candidates(directory, people, topics=TOPICS, listing_only=True)] == [MO]
    # With no topic given there is nothing to filter on: everyone stays.
    assert len(rank_candidates(directory, people, topics=(), listing_only=True)) == 3


def support_topic(protocol) -> str:
    """The support team member's expertise that the protocol's vocabulary knows."""
    return next(t for t in ("Special Education", "Observation rubric") if protocol.canonical_topic(t))


def test_the_support_team_is_a_candidate_for_every_team_with_its_own_reason(protocol, directory):
    topic = support_topic(protocol)
    state = request(directory, protocol, topics=(topic,)).state
    (support,) = state.candidates
    assert support.person_id == SUP
    assert support.reason.startswith(f"{protocol.label(Role.SUPPORT)}; expertise: {topic} (1 of 1); 0.2 FTE free")
    other_team = request(directory, protocol, asker=DAN, topics=(topic,)).state  # Bismarck: Cadre 3
    assert other_team.team_id != state.team_id and [c.person_id for c in other_team.candidates] == [SUP]


def test_nobody_on_the_team_lists_it_the_card_shows_who_in_the_network_does(protocol, directory):
    decision = request(directory, protocol, topics=("Technology",))
    state = decision.state
    assert state.tier == protocol.training.stages[0].name and state.candidates == ()
    # Team B's facilitator lists Technology, and so does a state contact: by team, then the state.
    assert [(e.person_id, e.where) for e in state.elsewhere] == [
        (OTTO, "Cadre 2"), (SUE, protocol.label(Role.STATE_CONTACT))]
    (listing,) = [n for n in decision.notices if n.template is Notice.TRAINING_CANDIDATES]
    assert listing.context["team_name"] == "Cadre 1" and listing.context["candidates"] == []
    assert [e["name"] for e in listing.context["elsewhere"]] == ["Otto Facilitator", "Sue State"]
    stage = [a for a in decision.audits if a.kind is AuditKind.STAGE][0]
    assert "nobody in Cadre 1 lists Technology; 2 in the network do" in stage.reason


def test_rank_candidates_keeps_roster_order_on_ties_and_best_profile_per_person(directory):
    profiles = [Profile(BEA, frozenset({"Data"})), Profile(NIA, frozenset({"Data"})), Profile(BEA, frozenset())]
    ranked = rank_candidates(directory, profiles, topics=("data",))
    assert [(c.person_id, c.rank) for c in ranked] == [(BEA, 1), (NIA, 2)]
    assert ranked[0].expertise_matched == ("data",)
    assert rank_candidates(directory, [Profile(MO)], topics=())[0].reason.startswith("expertise: no topics given")


# --- the pick stage ---------------------------------------------------------------------------------------------


def test_a_district_training_request_goes_to_the_facilitator_with_ranked_candidates(protocol, directory):
    decision = request(directory, protocol)
    state = decision.state
    first = protocol.training.stages[0]
    assert first.mode is StageMode.PICK
    assert (state.owner_id, state.tier, state.district_id, state.team_id) == (FAY, first.name, SIKESTON, TEAM_A)
    assert {c.person_id for c in state.candidates} == {FAY, MO}  # Nia lists neither topic
    assert decision.notices_for(FAY) == (Notice.ITEM_ASSIGNED, Notice.TRAINING_CANDIDATES)
    assert decision.notices_for(DEE) == (Notice.ASKER_STATUS,)
    assert state.deadline_at == protocol.calendar.deadline(state.opened_at, first.deadline_days)
    (listing,) = [n for n in decision.notices if n.template is Notice.TRAINING_CANDIDATES]
    assert listing.context["candidates"][0]["reason"].startswith("expertise:")


def test_the_facilitator_picks_a_candidate(protocol, directory):
    state = request(directory, protocol).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.MATCHED, FAY, candidate_id=OTTO)
    assert caught.value.code == "unknown_candidate"
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.MATCHED, MO, candidate_id=MO)
    assert caught.value.code == "not_owner"
    decision = act(state, directory, protocol, EventKind.MATCHED, FAY, candidate_id=MO)
    assert (decision.state.status, decision.state.trainer_id) == (Status.MATCHED, MO)
    assert decision.notices_for(DEE) == (Notice.MATCH_TO_REQUESTER,)
    assert decision.notices_for(MO) == (Notice.MATCH_TO_TRAINER,)
    assert decision.notices_for(FAY) == ()  # they did it themselves


@pytest.mark.parametrize("how", [EventKind.ESCALATED, EventKind.DECLINED])
def test_passing_asks_the_other_facilitators_at_once(protocol, directory, how):
    state = request(directory, protocol).state
    decision = act(state, directory, protocol, how, FAY, reason="nobody free this month")
    moved = decision.state
    second = protocol.training.stages[1]
    assert (moved.tier, moved.owner_id, moved.candidates) == (second.name, FAY, ())
    assert [(a.person_id, a.stage) for a in moved.asked] == [(OTTO, second.name)]  # team C has no facilitator
    assert decision.notices_for(OTTO) == (Notice.OFFER_REQUEST,)
    assert decision.notices_for(FAY) == (Notice.TRAINING_STAGE,)
    assert decision.notices_for(DEE) == (Notice.ASKER_STATUS,)
    assert [a.kind for a in decision.audits] == [AuditKind.ESCALATED, AuditKind.STAGE]
    assert "nobody free this month" in decision.audits[0].reason


def test_the_first_offer_wins(protocol, directory):
    state = act(request(directory, protocol).state, directory, protocol, EventKind.ESCALATED, FAY).state
    decision = act(state, directory, protocol, EventKind.OFFERED, OTTO, candidate_id=BEA)
    matched = decision.state
    assert (matched.status, matched.trainer_id, matched.owner_id) == (Status.MATCHED, BEA, FAY)
    assert decision.notices_for(OTTO) == (Notice.OFFER_WON,)
    assert decision.notices_for(BEA) == (Notice.MATCH_TO_TRAINER,)
    assert decision.notices_for(FAY) == (Notice.MATCH_TO_OWNER,)
    assert decision.notices_for(DEE) == (Notice.MATCH_TO_REQUESTER,)
    assert [a.kind for a in decision.audits] == [AuditKind.OFFERED, AuditKind.MATCHED]


def test_later_offers_are_thanked_and_released(protocol, directory):
    state = request(directory, protocol, topics=("Data", "Technology")).state
    state = to_stage(directory, protocol, state, protocol.training.stages[2].name)
    assert [a.person_id for a in state.asked if a.stage == state.tier] == [SAM, SUE]
    first = act(state, directory, protocol, EventKind.OFFERED, SAM, days=2)
    assert (first.state.status, first.state.trainer_id) == (Status.MATCHED, SAM)
    assert first.notices_for(SUE) == (Notice.OFFER_RELEASED,)
    (released,) = [n for n in first.notices if n.recipient_id == SUE]
    assert released.context["why"] == "matched" and released.context["trainer_name"] == "Sam State"
    late = act(first.state, directory, protocol, EventKind.OFFERED, SUE)
    assert (late.state.status, late.state.trainer_id) == (Status.MATCHED, SAM)
    assert [o.person_id for o in late.state.offers] == [SAM, SUE]
    assert late.notices_for(SUE) == (Notice.OFFER_RELEASED,)
    assert late.notices[0].context["why"] == "late"
    assert [a.kind for a in late.audits] == [AuditKind.LATE_OFFER]


def test_offers_only_from_people_asked(protocol, directory):
    state = act(request(directory, protocol).state, directory, protocol, EventKind.ESCALATED, FAY).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.OFFERED, BEA)
    assert caught.value.code == "not_asked"
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.OFFERED, OTTO, candidate_id=4242)
    assert caught.value.code == "unknown_candidate"


@pytest.mark.parametrize(
    ("offerer", "candidate", "outcome"),
    [
        (OTTO, None, OTTO),  # themselves
        (OTTO, BEA, BEA),  # a member of the team they facilitate
        (OTTO, MIA, "not_offerable"),  # a management team member: the crafted-submission hole
        (OTTO, MO, "not_offerable"),  # a member of another team (the requester's own)
        (OTTO, LEE, "not_offerable"),  # a lead
        (ADA, BEA, BEA),  # an admin, on behalf of the facilitator asked
        (ADA, MIA, "not_offerable"),  # an admin still cannot name someone nobody asked could offer
        (OTTO, 4242, "unknown_candidate"),  # not in the roster at all
    ],
)
def test_an_offer_names_only_someone_the_offerer_can_commit(protocol, directory, offerer, candidate, outcome):
    state = act(request(directory, protocol).state, directory, protocol, EventKind.ESCALATED, FAY).state
    assert [a.person_id for a in state.asked if a.stage == state.tier] == [OTTO]
    kw = {} if candidate is None else {"candidate_id": candidate}
    if isinstance(outcome, str):
        with pytest.raises(Refused) as caught:
            act(state, directory, protocol, EventKind.OFFERED, offerer, **kw)
        assert caught.value.code == outcome
    else:
        decision = act(state, directory, protocol, EventKind.OFFERED, offerer, **kw)
        assert (decision.state.status, decision.state.trainer_id) == (Status.MATCHED, outcome)


def test_a_state_contact_offers_themself_or_one_of_their_trainers(protocol, directory):
    state = to_stage(directory, protocol, request(directory, protocol).state, protocol.training.stages[2].name)
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.OFFERED, SAM, candidate_id=MO, days=1)
    assert caught.value.code == "not_offerable"
    assert offerable(directory, state, SAM) == (SAM, TIM)
    assert act(state, directory, protocol, EventKind.OFFERED, SAM, days=1).state.trainer_id == SAM
    decision = act(state, directory, protocol, EventKind.OFFERED, SAM, candidate_id=TIM, days=3)
    assert (decision.state.trainer_id, decision.state.offers[-1].days) == (TIM, 3)
    assert decision.commitments == (Commit(SAM, TIM, 3, False),)
    assert decision.notices_for(TIM) == (Notice.MATCH_TO_TRAINER,)
    offer = [a for a in decision.audits if a.kind is AuditKind.OFFERED][0]
    assert f"committing 3 day(s) of Sam State's {protocol.training.allocation.label}" in offer.reason


def test_a_state_contacts_offer_commits_days_and_past_the_allocation_needs_confirming(protocol, directory):
    state = to_stage(directory, protocol, request(directory, protocol).state, protocol.training.stages[2].name)
    allocated = 0.4 * protocol.training.allocation.days_per_fte  # Sam State: 0.4 FTE
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.OFFERED, SAM)
    assert caught.value.code == "days_needed"
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.OFFERED, SAM, days=5, allocation_left=4)
    assert caught.value.code == "over_allocation"
    assert f"has 4 of {allocated:g} day(s)" in caught.value.message
    with pytest.raises(Refused) as caught:  # nothing committed yet: the whole allocation is left
        act(state, directory, protocol, EventKind.OFFERED, SAM, days=allocated + 1)
    assert caught.value.code == "over_allocation"
    assert act(state, directory, protocol, EventKind.OFFERED, SAM, days=4, allocation_left=4).commitments == (
        Commit(SAM, SAM, 4, False),)
    over = act(state, directory, protocol, EventKind.OFFERED, SAM, days=5, allocation_left=4, confirm_over=True)
    assert over.commitments == (Commit(SAM, SAM, 5, True),) and over.state.offers[-1].over_allocation
    assert "confirmed over allocation" in [a for a in over.audits if a.kind is AuditKind.OFFERED][0].reason


def test_a_facilitators_offer_commits_no_allocation_and_may_name_the_support_team(protocol, directory):
    state = act(request(directory, protocol).state, directory, protocol, EventKind.ESCALATED, FAY).state
    assert offerable(directory, state, OTTO) == (OTTO, BEA, SUP)
    decision = act(state, directory, protocol, EventKind.OFFERED, OTTO, candidate_id=SUP)
    assert decision.state.trainer_id == SUP and decision.commitments == ()


def test_an_admin_offering_for_a_state_contact_commits_that_contacts_allocation(protocol, directory):
    state = to_stage(directory, protocol, request(directory, protocol).state, protocol.training.stages[2].name)
    decision = act(state, directory, protocol, EventKind.OFFERED, ADA, candidate_id=TIM, days=2)
    assert decision.commitments == (Commit(SAM, TIM, 2, False),)


def test_a_pick_is_only_from_the_ranked_list_of_a_pick_stage(protocol, directory):
    state = act(request(directory, protocol).state, directory, protocol, EventKind.ESCALATED, FAY).state
    assert protocol.training.stage(state.tier).mode is StageMode.OFFERS
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.MATCHED, FAY, candidate_id=MO)
    assert caught.value.code == "not_pick_stage"


def test_everyone_declining_moves_on_at_once(protocol, directory):
    state = act(request(directory, protocol).state, directory, protocol, EventKind.ESCALATED, FAY).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.DECLINED, BEA)
    assert caught.value.code == "not_asked"
    decision = act(state, directory, protocol, EventKind.DECLINED, OTTO)
    moved = decision.state
    assert moved.tier == protocol.training.stages[2].name and moved.declined == (OTTO,)
    assert [a.kind for a in decision.audits] == [AuditKind.DECLINED, AuditKind.ESCALATED, AuditKind.STAGE]
    assert [a.person_id for a in moved.asked if a.stage == moved.tier] == [SAM]  # the state contact with Data
    with pytest.raises(Refused) as caught:
        act(moved, directory, protocol, EventKind.DECLINED, OTTO)
    assert caught.value.code == "already_declined"


def test_each_stage_moves_on_by_itself_and_the_requester_always_knows(protocol, directory):
    state = request(directory, protocol).state
    statuses = [state.tier]
    while state.is_open:
        assert state.owner_id == FAY  # the owner stays the facilitator throughout
        decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
        if decision.state.tier != state.tier and decision.state.is_open:
            (status,) = [n for n in decision.notices if n.recipient_id == DEE]
            assert status.template is Notice.ASKER_STATUS
            assert (status.context["step"], status.context["note"]) == ("stage", "")
            assert status.context["tier_label"] == protocol.training.stage(decision.state.tier).label
            statuses.append(decision.state.tier)
        if any(a.kind is AuditKind.OVERDUE for a in decision.audits):
            break
        state = decision.state
    assert statuses == stage_names(protocol)
    if protocol.training.last_resort is not None:
        assert decision.state.is_open and decision.notices_for(ADA) == (Notice.ADMIN_ALERT,)
    else:
        assert decision.state.status is Status.UNMATCHED
        assert decision.notices_for(DEE) == (Notice.NO_MATCH,)
        assert decision.notices_for(FAY) == (Notice.NO_MATCH,)
        assert decision.notices_for(SAM) == (Notice.OFFER_RELEASED,)


def test_the_last_resort_asks_the_owner_to_bring_in_the_rpdc():
    protocol, directory = protocol_named("missouri"), org()
    state = request(directory, protocol).state
    decision = None
    while state.tier != "rpdc":
        decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
        state = decision.state
    assert decision.notices_for(FAY) == (Notice.RPDC_REFERRAL,)
    (referral,) = decision.notices_for(FAY) and [n for n in decision.notices if n.recipient_id == FAY]
    assert referral.context["center"] == "Southeast RPDC"
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.ESCALATED, FAY)
    assert caught.value.code == "last_tier"
    done = act(state, directory, protocol, EventKind.ANSWERED, FAY, text="Southeast RPDC will run it in June")
    assert done.state.status is Status.ANSWERED and done.notices_for(DEE) == (Notice.ANSWER_TO_ASKER,)


def test_the_last_resort_tells_the_director_of_the_districts_center_with_the_history():
    protocol, directory = protocol_named("missouri"), org()
    state = request(directory, protocol).state
    state = act(state, directory, protocol, EventKind.ESCALATED, FAY, reason="nobody free").state
    state = act(state, directory, protocol, EventKind.DECLINED, OTTO).state  # the state contacts are asked next
    while state.tier != "rpdc":
        decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
        state = decision.state
    assert state.referred_to == (DOT,) and decision.notices_for(DOT) == (Notice.REFERRAL_TOLD,)
    (told,) = [n for n in decision.notices if n.recipient_id == DOT]
    assert told.context["center"] == "Southeast RPDC" and told.context["text"] == "Please help"
    assert told.context["history"] == [
        "Trainer inside the CST: Fay Facilitator found no trainer in Cadre 1",
        "Other CST facilitators: asked Otto Facilitator (declined); no offer",
        "DESE (Collaborative Work FTE): asked Sam State; no offer",
    ]
    stage = [a for a in decision.audits if a.kind is AuditKind.STAGE][0]
    assert "told Dot Director (RPDC director, Southeast RPDC)" in stage.reason
    assert involved(state, DOT, directory)  # may be told what happens next; nobody else outside the item


def test_a_center_without_a_director_is_said_in_the_audit():
    protocol = protocol_named("missouri")
    directory = org(drop=(DOT,))
    state = request(directory, protocol).state
    while state.tier != "rpdc":
        decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
        state = decision.state
    assert state.referred_to == ()
    (stage,) = [a for a in decision.audits if a.kind is AuditKind.STAGE]
    assert "no RPDC director is listed for Southeast RPDC" in stage.reason


# --- vacancies and routing ----------------------------------------------------------------------------------------


def test_a_vacant_facilitator_hands_the_match_to_the_lead(protocol, directory):
    decision = request(directory, protocol, asker=DAN, topics=("Data",))  # Cadre 3: no facilitator
    state = decision.state
    assert state.owner_id == LEE
    assert "Cadre 3" in decision.audits[1].reason and "has no active facilitator" in decision.audits[1].reason
    assert [c.person_id for c in state.candidates] == [CAL]


def test_a_stage_with_nobody_available_is_passed_over_with_the_reason(protocol):
    directory = org(away={FAY: date(2024, 5, 1), MO: date(2024, 5, 1), NIA: date(2024, 5, 1), SUP: date(2024, 5, 1)})
    decision = request(directory, protocol)
    state = decision.state
    assert state.owner_id == LEE
    assert state.skipped == (protocol.training.stages[0].name,)
    assert state.tier == protocol.training.stages[1].name and [a.person_id for a in state.asked] == [OTTO]
    (skip,) = [a for a in decision.audits if a.kind is AuditKind.SKIPPED]
    assert "Mo Member is away until 2024-05-01" in skip.reason


def test_training_can_be_handed_to_another_possible_owner(protocol, directory):
    state = request(directory, protocol).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.REASSIGNED, FAY, target_id=MO)
    assert caught.value.code == "not_in_tier"
    moved = act(state, directory, protocol, EventKind.REASSIGNED, FAY, target_id=LEE).state
    assert (moved.owner_id, moved.tier, moved.deadline_at) == (LEE, state.tier, state.deadline_at)


def test_a_member_redirects_a_training_request(protocol, directory):
    decision = act(None, directory, protocol, EventKind.REDIRECTED, MO, requester_id=DEE, item_kind=ItemKind.TRAINING)
    assert decision.state.owner_id == FAY and decision.state.asker_id == DEE
    assert Notice.REDIRECT_TO_DISTRICT_PERSON in decision.notices_for(DEE)
    assert decision.notices_for(MO) == (Notice.REDIRECT_TO_MEMBER,)


def test_a_requester_with_no_team_or_district_is_told_whom_to_contact(protocol, directory):
    decision = request(directory, protocol, asker=NOBODY)
    assert decision.state.status is Status.UNROUTABLE
    assert decision.notices_for(NOBODY) == (Notice.NO_ROUTE,)


def test_reminders_at_an_offer_stage_go_to_the_people_asked(protocol, directory):
    state = act(request(directory, protocol).state, directory, protocol, EventKind.ESCALATED, FAY).state
    decision = act(state, directory, protocol, EventKind.REMINDER_DUE, None, at=state.remind_at)
    assert decision.notices_for(OTTO) == (Notice.REMINDER,)
    assert decision.notices[0].context["role"] == "asked"
    assert decision.notices_for(FAY) == ()


def test_withdrawing_releases_the_people_asked(protocol, directory):
    state = act(request(directory, protocol).state, directory, protocol, EventKind.ESCALATED, FAY).state
    decision = act(state, directory, protocol, EventKind.WITHDRAWN, DEE)
    assert decision.state.status is Status.WITHDRAWN
    assert decision.notices_for(OTTO) == (Notice.OFFER_RELEASED,)
    assert decision.notices_for(FAY) == (Notice.ITEM_WITHDRAWN,)


# --- the other facilitators: those whose teams list the expertise first -------------------------------------

DORA, DEV, TEAM_D = 40, 41, 103


def with_team_d():
    """The test organisation plus Cadre 4 (Dora facilitates, Dev is a member); nobody there lists Leadership."""
    base = org()
    return Directory.build(
        people=[*base.people.values(), Person(DORA, "Dora Facilitator", slack_id="U040"),
                Person(DEV, "Dev Member", slack_id="U041")],
        teams=[*base.teams.values(), Team(TEAM_D, "Cadre 4")],
        districts=base.districts.values(),
        memberships=[*base.memberships, Membership(DORA, TEAM_D, Role.FACILITATOR, frozenset({"Technology"})),
                     Membership(DEV, TEAM_D, Role.MEMBER, frozenset({"Assessment"}), 0.5, 0.5)],
        network_roles=base.network_roles,
        organization=base.organization,
    )


def at_other_teams(directory, protocol, topics=("Leadership",)):
    state = request(directory, protocol, topics=topics).state
    return act(state, directory, protocol, EventKind.ESCALATED, FAY)


def test_the_facilitators_whose_teams_list_it_are_asked_first_with_their_own_people(protocol):
    directory = with_team_d()
    decision = at_other_teams(directory, protocol)
    state = decision.state
    assert [a.person_id for a in state.asked] == [OTTO] and state.next_asked == (DORA,)
    assert decision.notices_for(OTTO) == (Notice.OFFER_REQUEST,) and decision.notices_for(DORA) == ()
    (mine,) = state.suggestions
    assert mine.person_id == OTTO and [c.person_id for c in mine.candidates] == [BEA]
    assert mine.candidates[0].reason.startswith("expertise: Leadership (1 of 1)")
    stage = [a for a in decision.audits if a.kind is AuditKind.STAGE][0]
    assert "asked Otto Facilitator first (their teams list Leadership)" in stage.reason
    assert "Dora Facilitator will be asked" in stage.reason


@pytest.mark.parametrize("how", ["declined", "deadline"])
def test_the_others_are_asked_when_the_first_decline_or_time_runs_out(protocol, how):
    directory = with_team_d()
    state = at_other_teams(directory, protocol).state
    if how == "declined":
        decision = act(state, directory, protocol, EventKind.DECLINED, OTTO, at=MONDAY + timedelta(days=1))
    else:
        decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
    widened = decision.state
    assert widened.tier == state.tier and widened.step == "widened"  # one more step, the same stage
    assert [a.person_id for a in widened.asked] == [OTTO, DORA] and widened.next_asked == ()
    assert decision.notices_for(DORA) == (Notice.OFFER_REQUEST,)
    assert widened.deadline_at > state.deadline_at  # the stage's clock starts again for them
    # A late offer from the first wave still wins, and everyone asked is told.
    if how == "deadline":
        won = act(widened, directory, protocol, EventKind.OFFERED, OTTO, candidate_id=BEA)
        assert (won.state.status, won.state.trainer_id) == (Status.MATCHED, BEA)
        assert won.notices_for(DORA) == (Notice.OFFER_RELEASED,)
    # Nobody offers in the second step either: the next stage.
    later = act(widened, directory, protocol, EventKind.DEADLINE_PASSED, None, at=widened.deadline_at).state
    assert later.tier == protocol.training.stages[2].name


def test_when_no_other_team_lists_it_every_facilitator_is_asked_at_once(protocol):
    directory = with_team_d()
    state = at_other_teams(directory, protocol, topics=("Data",)).state  # only Team A and Cadre 3 (no facilitator)
    assert {a.person_id for a in state.asked} == {OTTO, DORA} and state.next_asked == ()


# --- a question or district request that is really a training request -------------------------------------


def test_the_owner_makes_a_district_request_a_training_request_at_the_first_stage(protocol, directory):
    district = ask(directory, protocol, DEE, ItemKind.DISTRICT).state
    with pytest.raises(Refused) as caught:
        act(district, directory, protocol, EventKind.CONVERTED, FAY)
    assert caught.value.code == "no_topics"
    with pytest.raises(Refused) as caught:
        act(district, directory, protocol, EventKind.CONVERTED, DEE, topics=("Data",))
    assert caught.value.code == "not_owner"
    decision = act(district, directory, protocol, EventKind.CONVERTED, FAY, topics=("data",))
    state = decision.state
    first = protocol.training.stages[0]
    assert (state.kind, state.tier, state.topics, state.step, state.converted_from) == (
        ItemKind.TRAINING, first.name, ("Data",), "converted", "district")
    assert (state.asker_id, state.owner_id, state.district_id, state.text) == (DEE, FAY, SIKESTON, district.text)
    assert state.opened_at == district.opened_at and state.owners == (FAY,)
    assert [c.person_id for c in state.candidates] == [MO, FAY]
    assert decision.notices_for(FAY) == (Notice.TRAINING_CANDIDATES,)  # no "assigned": it was already theirs
    assert decision.notices_for(DEE) == (Notice.ASKER_STATUS,)
    (converted,) = [a for a in decision.audits if a.kind is AuditKind.CONVERTED]
    assert "made this district request a" in converted.reason and "(Data)" in converted.reason
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.CONVERTED, FAY, topics=("Data",))
    assert caught.value.code == "not_convertible"


def test_a_question_at_the_lead_tier_converted_goes_back_to_the_teams_facilitator(protocol, directory):
    question = ask(directory, protocol, MO).state
    question = act(question, directory, protocol, EventKind.ESCALATED, FAY).state
    question = act(question, directory, protocol, EventKind.TAKEN, LEE).state
    decision = act(question, directory, protocol, EventKind.CONVERTED, LEE, topics=("Leadership",))
    state = decision.state
    assert (state.kind, state.owner_id, state.team_id, state.holders) == (ItemKind.TRAINING, FAY, TEAM_A, ())
    assert decision.notices_for(FAY)[0] is Notice.ITEM_ASSIGNED  # the facilitator runs the trainer match
