"""Training requests: rank inside the team, then ask the other facilitators at once, then the state contacts."""

from __future__ import annotations

from datetime import date

import pytest

from routing.errors import Refused
from routing.matching import Profile, rank_candidates
from routing.model import AuditKind, EventKind, ItemKind, Notice, Status
from routing.protocol import StageMode
from tests.routing.helpers import (
    ADA,
    BEA,
    CAL,
    DAN,
    DEE,
    FAY,
    LEE,
    MIA,
    MO,
    NIA,
    NOBODY,
    OTTO,
    SAM,
    SIKESTON,
    SUE,
    TEAM_A,
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
    assert [(c.rank, c.person_id, c.score) for c in state.candidates] == [
        (1, MO, 0.756),
        (2, FAY, 0.622),
        (3, NIA, 0.267),
    ]
    assert state.candidates[0].reason == (
        "expertise: Data, Leadership (2 of 2); 0.5 FTE free; "
        "different center (Central RPDC; district: Southeast RPDC); supervisor fit 0.9"
    )
    assert state.candidates[2].reason == (
        "expertise: none (0 of 2); 0.2 FTE free; same center as district (Southeast RPDC); supervisor fit not reported"
    )


def test_the_weights_are_data(directory):
    # linked-teams weighs location and FTE more than expertise: the facilitator at the district's center wins.
    state = request(directory, protocol_named("linked-teams")).state
    assert [c.person_id for c in state.candidates] == [FAY, MO, NIA]


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
    assert {c.person_id for c in state.candidates} == {FAY, MO, NIA}
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
    first = act(state, directory, protocol, EventKind.OFFERED, SAM)
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


def test_a_state_contact_offers_themself_only(protocol, directory):
    state = to_stage(directory, protocol, request(directory, protocol).state, protocol.training.stages[2].name)
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.OFFERED, SAM, candidate_id=MO)
    assert caught.value.code == "not_offerable"
    assert act(state, directory, protocol, EventKind.OFFERED, SAM).state.trainer_id == SAM


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
            assert status.context["note"] == protocol.training.stage(decision.state.tier).label
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


# --- vacancies and routing ----------------------------------------------------------------------------------------


def test_a_vacant_facilitator_hands_the_match_to_the_lead(protocol, directory):
    decision = request(directory, protocol, asker=DAN, topics=("Data",))  # Cadre 3: no facilitator
    state = decision.state
    assert state.owner_id == LEE
    assert "Cadre 3" in decision.audits[1].reason and "has no active facilitator" in decision.audits[1].reason
    assert [c.person_id for c in state.candidates] == [CAL]


def test_a_stage_with_nobody_available_is_passed_over_with_the_reason(protocol):
    directory = org(away={FAY: date(2024, 5, 1), MO: date(2024, 5, 1), NIA: date(2024, 5, 1)})
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
