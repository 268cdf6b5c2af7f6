"""Who may act on an item, and what a refused person is told about it (routing.actions), table-driven."""

from __future__ import annotations

import pytest

from routing.actions import (
    CLOSED,
    NOT_ASKED,
    NOT_ASKER,
    NOT_HOLDER,
    NOT_INVOLVED,
    NOT_NOW,
    NOT_OWNER,
    NOT_TAKEN,
    TAKEN_BY_OTHER,
    available_actions,
    involved,
    why_not,
)
from routing.model import EventKind, ItemKind
from tests.routing.helpers import ADA, BEA, CAL, DEE, FAY, LEE, LOU, MIA, MO, OTTO, SAM, act, ask

A, E, R, W, OF, D, M = (EventKind.ANSWERED, EventKind.ESCALATED, EventKind.REASSIGNED, EventKind.WITHDRAWN,
                       EventKind.OFFERED, EventKind.DECLINED, EventKind.MATCHED)


def question(directory, protocol):
    return ask(directory, protocol, DEE, ItemKind.DISTRICT).state  # owned by FAY


def training_at_offers(directory, protocol):
    state = ask(directory, protocol, DEE, ItemKind.TRAINING, topics=("Data",)).state
    return act(state, directory, protocol, EventKind.ESCALATED, FAY).state  # OTTO asked


@pytest.mark.parametrize(
    ("person", "event", "expected"),
    [
        (FAY, A, None), (FAY, R, None), (FAY, W, NOT_ASKER),  # the owner
        (DEE, A, NOT_OWNER), (DEE, W, None),  # the asker
        (ADA, A, None), (ADA, W, None),  # an admin may do both (the engine allows it)
        (MO, A, NOT_INVOLVED), (OTTO, E, NOT_INVOLVED), (LEE, A, NOT_INVOLVED), (MIA, W, NOT_INVOLVED),
        (SAM, R, NOT_INVOLVED), (CAL, A, NOT_INVOLVED),
    ],
)
def test_who_may_act_on_a_question(protocol, directory, person, event, expected):
    assert why_not(question(directory, protocol), person, event, directory, protocol) == expected


@pytest.mark.parametrize(
    ("person", "event", "expected"),
    [
        (OTTO, OF, None), (OTTO, D, None), (OTTO, A, NOT_OWNER),  # asked: may offer or decline, not answer
        (FAY, OF, NOT_ASKED), (FAY, M, NOT_NOW), (FAY, E, None),  # the owner: no list to pick from here
        (BEA, OF, NOT_INVOLVED), (MO, OF, NOT_INVOLVED), (SAM, OF, NOT_INVOLVED),  # not asked (yet)
        (DEE, W, None), (DEE, OF, NOT_ASKED),
    ],
)
def test_who_may_act_on_a_training_request(protocol, directory, person, event, expected):
    assert why_not(training_at_offers(directory, protocol), person, event, directory, protocol) == expected


def test_a_closed_item_says_so_only_to_those_on_it(protocol, directory):
    state = act(question(directory, protocol), directory, protocol, A, FAY, text="Done").state
    assert why_not(state, FAY, A, directory, protocol) == CLOSED
    assert why_not(state, DEE, W, directory, protocol) == CLOSED
    assert why_not(state, MO, A, directory, protocol) == NOT_INVOLVED


def test_everyone_the_item_touched_is_involved(protocol, directory):
    state = training_at_offers(directory, protocol)
    on_it = [p for p in (FAY, MO, OTTO, BEA, LEE, MIA, SAM, ADA, DEE, CAL) if involved(state, p, directory)]
    assert on_it == [FAY, OTTO, ADA, DEE]
    won = act(state, directory, protocol, OF, OTTO, candidate_id=BEA).state
    assert involved(won, BEA, directory)  # the trainer


def test_the_admin_sees_a_withdraw_button(protocol, directory):
    state = question(directory, protocol)
    assert W in available_actions(state, ADA, directory, protocol)
    assert W not in available_actions(state, FAY, directory, protocol)


T, C = EventKind.TAKEN, EventKind.CONVERTED


def shared(directory, protocol):
    return ask(directory, protocol, FAY, ItemKind.QUESTION).state  # the lead tier: offered to Lee and Lou


@pytest.mark.parametrize(
    ("person", "event", "expected"),
    [
        (LEE, T, None), (LOU, T, None),  # every holder may take it
        (LEE, A, NOT_TAKEN), (LOU, R, NOT_TAKEN),  # ... and must, before answering
        (ADA, A, None), (ADA, T, NOT_HOLDER),  # an admin may act for it, not take it
        (FAY, T, NOT_HOLDER), (FAY, W, None),  # the asker
        (MIA, T, NOT_INVOLVED), (OTTO, T, NOT_INVOLVED),
    ],
)
def test_who_may_take_a_shared_item(protocol, directory, person, event, expected):
    assert why_not(shared(directory, protocol), person, event, directory, protocol) == expected


def test_after_a_take_the_others_are_told_who_took_it(protocol, directory):
    taken = act(shared(directory, protocol), directory, protocol, T, LOU).state
    assert available_actions(taken, LOU, directory, protocol)[:3] == (A, E, R)
    assert available_actions(taken, LEE, directory, protocol) == ()
    assert why_not(taken, LEE, T, directory, protocol) == TAKEN_BY_OTHER
    assert why_not(taken, LEE, A, directory, protocol) == TAKEN_BY_OTHER


def test_the_owner_of_a_district_request_or_question_may_make_it_a_training_request(protocol, directory):
    assert C in available_actions(question(directory, protocol), FAY, directory, protocol)
    assert why_not(question(directory, protocol), DEE, C, directory, protocol) == NOT_OWNER
    training = training_at_offers(directory, protocol)
    assert C not in available_actions(training, FAY, directory, protocol)
