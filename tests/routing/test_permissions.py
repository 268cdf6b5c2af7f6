"""Who may act on an item, and what a refused person is told about it (routing.actions), table-driven."""

from __future__ import annotations

import pytest

from routing.actions import (
    CLOSED,
    NOT_ASKED,
    NOT_ASKER,
    NOT_INVOLVED,
    NOT_NOW,
    NOT_OWNER,
    available_actions,
    involved,
    why_not,
)
from routing.model import EventKind, ItemKind
from tests.routing.helpers import ADA, BEA, CAL, DEE, FAY, LEE, MIA, MO, OTTO, SAM, act, ask

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
