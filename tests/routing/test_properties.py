"""Property-based tests: random organisations and random event sequences, on both protocol files.

Whatever happens, an item has exactly one owner until it closes, never skips a tier, never goes back to one,
every state change leaves an audit entry, the deadline effects match the state, and the state survives JSON.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.directory import Directory, District, Membership, NetworkRole, Person, Role, Team
from routing.engine import decide
from routing.errors import Refused
from routing.model import (
    COMMON_CONTEXT,
    NOTICE_CONTEXT,
    Audit,
    ClearDeadline,
    Decision,
    Event,
    EventKind,
    ItemKind,
    ItemState,
    Notify,
    SetDeadline,
)
from routing.protocol import Protocol
from tests.routing.helpers import MONDAY, protocol_named

EXPERTISE = ("Data", "Leadership", "Technology")
# Most people are in; some are away today, some come back in a few days, some for weeks.
AWAY = st.sampled_from([None] * 7 + [date(2024, 4, 8), date(2024, 4, 11), date(2024, 6, 1)])
HOW_MANY = st.sampled_from([0, 1, 1, 1, 2, 2])


@st.composite
def directories(draw) -> Directory:
    people: list[Person] = []
    memberships: list[Membership] = []
    roles: list[NetworkRole] = []
    teams: list[Team] = []
    districts: list[District] = []

    def new_person() -> int:
        pid = len(people) + 1
        people.append(Person(pid, f"Person {pid}", slack_id=f"U{pid}", away_until=draw(AWAY)))
        return pid

    def skills() -> frozenset[str]:
        return frozenset(draw(st.sets(st.sampled_from(EXPERTISE), max_size=2)))

    for t in range(draw(st.integers(1, 3))):
        team_id = 100 + t
        teams.append(Team(team_id, f"Team {t}"))
        if draw(HOW_MANY):  # most teams have a facilitator
            memberships.append(Membership(new_person(), team_id, Role.FACILITATOR, skills(), 0.5))
        for _ in range(draw(HOW_MANY)):
            fit = draw(st.sampled_from([None, 0.3, 0.9]))
            memberships.append(Membership(new_person(), team_id, Role.MEMBER, skills(), 0.4, None, "Center", fit))
        districts.append(District(200 + t, f"District {t}", team_id, center="Center", staff=(new_person(),)))
    if draw(st.booleans()):
        districts.append(District(299, "Teamless", None, staff=(new_person(),)))
    for role, most in ((Role.LEAD, 2), (Role.MANAGEMENT, 2), (Role.STATE_CONTACT, 2), (Role.ADMIN, 1)):
        for _ in range(min(most, draw(HOW_MANY))):
            roles.append(NetworkRole(new_person(), role, skills() if role is Role.STATE_CONTACT else frozenset()))
    new_person()  # somebody on no team and no district
    return Directory.build(
        people=people, teams=teams, districts=districts, memberships=memberships, network_roles=roles
    )


# A step: what happens, whether the right person does it (3 times in 4), a number to pick people with, hours later.
STEP = st.tuples(
    st.sampled_from(
        [EventKind.DEADLINE_PASSED] * 3
        + [EventKind.REMINDER_DUE, EventKind.ESCALATED, EventKind.ESCALATED, EventKind.OFFERED, EventKind.DECLINED]
        + [EventKind.ANSWERED, EventKind.REASSIGNED, EventKind.MATCHED, EventKind.WITHDRAWN]
    ),
    st.sampled_from([True, True, True, False]),
    st.integers(0, 10_000),
    st.integers(0, 72),
)
START = st.tuples(
    st.sampled_from(list(ItemKind)),
    st.integers(0, 10_000),
    st.booleans(),  # redirected by someone
    st.lists(st.sampled_from(("Data", "Leadership")), max_size=2, unique=True),
)


def _right_actor(kind: EventKind, state: ItemState, pick: int) -> int | None:
    """Who would normally do `kind` to this item."""
    if kind in (EventKind.DEADLINE_PASSED, EventKind.REMINDER_DUE):
        return None
    if kind is EventKind.WITHDRAWN:
        return state.asker_id
    if kind in (EventKind.OFFERED, EventKind.DECLINED):
        pending = [a.person_id for a in state.asked if a.stage == state.tier and a.person_id not in state.declined]
        if pending:
            return pending[pick % len(pending)]
    return state.owner_id


def _event(step, state: ItemState, directory: Directory, now) -> Event:
    kind, right, pick, hours = step
    ids = sorted(directory.people)
    at = now + timedelta(hours=hours)
    due = state.deadline_at if kind is EventKind.DEADLINE_PASSED else state.remind_at
    if kind in (EventKind.DEADLINE_PASSED, EventKind.REMINDER_DUE) and due and right:
        at = max(at, due)
    actor = _right_actor(kind, state, pick) if right else ids[pick % len(ids)]
    candidates = [c.person_id for c in state.candidates] or ids
    return Event(
        kind,
        actor,
        at,
        text="answer",
        target_id=ids[(pick // 7) % len(ids)],
        candidate_id=candidates[pick % len(candidates)],
    )


def _order(protocol: Protocol, state: ItemState) -> list[str]:
    if state.kind is ItemKind.TRAINING:
        return [s.name for s in protocol.training.sequence]
    return [t.name for t in protocol.chains[state.kind].tiers]


def check(protocol: Protocol, directory: Directory, before: ItemState | None, event: Event, decision: Decision) -> None:
    state = decision.state
    # JSON-safe, and back again unchanged.
    assert ItemState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    # Exactly one owner until closed; it is the last of `owners`; an open item always has a deadline.
    if state.is_open:
        assert state.owner_id is not None and state.owner_id in directory.people
        assert state.owners[-1] == state.owner_id and state.deadline_at is not None
        if state.kind is not ItemKind.TRAINING:
            assert state.owner_id != state.asker_id
    else:
        assert state.deadline_at is None and state.remind_at is None and state.closed_at is not None
    if before is not None and not before.is_open:
        assert (state.status, state.owner_id, state.tier) == (before.status, before.owner_id, before.tier)
    # Never skips a tier, never cycles: the tiers entered or passed over form one unbroken run, in order.
    order = _order(protocol, state)
    entered = [order.index(t) for t in state.history]
    assert entered == sorted(set(entered))
    touched = sorted(entered + [order.index(t) for t in state.skipped])
    assert touched == list(range(touched[0], touched[0] + len(touched))) if touched else True
    if before is not None and before.tier is not None and state.tier is not None:
        assert order.index(state.tier) >= order.index(before.tier)
    # The owner changes only by escalation, a passed deadline or a reassignment (training: reassignment only).
    if before is not None and state.owner_id != before.owner_id:
        allowed = {EventKind.REASSIGNED}
        if state.kind is not ItemKind.TRAINING:
            allowed |= {EventKind.ESCALATED, EventKind.DEADLINE_PASSED}
        assert event.kind in allowed
    # Every state change leaves an audit entry.
    if before != state:
        assert any(isinstance(e, Audit) for e in decision.effects)
    # Deadline effects mirror the state.
    deadline_effects = [e for e in decision.effects if isinstance(e, SetDeadline | ClearDeadline)]
    old = (before.deadline_at, before.remind_at) if before else (None, None)
    if (state.deadline_at, state.remind_at) == old:
        assert deadline_effects == []
    elif state.deadline_at is None:
        assert deadline_effects == [ClearDeadline()]
    else:
        assert deadline_effects == [SetDeadline(state.deadline_at, state.remind_at)]
    # Notices carry their documented context.
    for n in decision.effects:
        if isinstance(n, Notify):
            assert set(n.context) == set(COMMON_CONTEXT) | set(NOTICE_CONTEXT[n.template])
            assert n.recipient_id in directory.people


def run(protocol: Protocol, directory: Directory, start, steps) -> int:
    kind, pick, redirected, topics = start
    ids = sorted(directory.people)
    placed = [p for p in ids if directory.memberships_of(p) or directory.districts_of_staff(p)]
    pool = placed if placed and pick % 4 else ids  # mostly people the protocol has a place for
    asker = pool[pick % len(pool)]
    if redirected:
        event = Event(
            EventKind.REDIRECTED,
            ids[(pick // 3) % len(ids)],
            MONDAY,
            item_kind=kind,
            requester_id=asker,
            topics=tuple(topics),
        )
    else:
        event = Event(EventKind.ASKED, asker, MONDAY, item_kind=kind, topics=tuple(topics))
    try:
        decision = decide(None, event, directory, protocol)
    except Refused:
        return 0
    check(protocol, directory, None, event, decision)
    state, now, accepted = decision.state, MONDAY, 1
    for step in steps:
        event = _event(step, state, directory, now)
        now = event.at
        try:
            decision = decide(state, event, directory, protocol)
        except Refused:
            continue
        check(protocol, directory, state, event, decision)
        state, accepted = decision.state, accepted + 1
    return accepted


@pytest.mark.parametrize("name", ["missouri", "linked-teams"])
def test_invariants_hold_for_any_organisation_and_any_events(name):
    protocol = protocol_named(name)
    depths: list[int] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(directory=directories(), start=START, steps=st.lists(STEP, min_size=3, max_size=14))
    def prop(directory, start, steps):
        depths.append(run(protocol, directory, start, steps))

    prop()
    # A check on the test itself: runs must get well past creation, or the properties prove little.
    assert sum(d >= 3 for d in depths) >= 10, sorted(depths)
