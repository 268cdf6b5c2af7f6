"""Property-based tests: random organisations and random event sequences, on both protocol files.

Whatever happens, an item never has two owners: an open item has one owner, or (a tier held by several people,
nobody has taken it yet) none and the holders it is offered to; a take gives it to exactly the one who took it.
It never skips a tier, never goes back to one, every state change leaves an audit entry, the deadline effects
match the state, and the state survives JSON. Trainer candidates always list the expertise asked, and across
the other teams the facilitators whose teams list it are asked before the rest.
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
    Status,
)
from routing.network import teams_listing
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
    for role, most in ((Role.LEAD, 2), (Role.MANAGEMENT, 2), (Role.STATE_CONTACT, 2), (Role.ADMIN, 1),
                       (Role.SUPPORT, 1)):
        for _ in range(min(most, draw(HOW_MANY))):
            expert = role in (Role.STATE_CONTACT, Role.SUPPORT)
            trainers = (new_person(),) if role is Role.STATE_CONTACT and draw(st.booleans()) else ()
            roles.append(NetworkRole(new_person(), role, skills() if expert else frozenset(), 0.5,
                                     fte_available=draw(st.sampled_from([None, 0.2])), trainers=trainers))
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
        + [EventKind.TAKEN] * 4 + [EventKind.CONVERTED] * 2
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
    if kind is EventKind.TAKEN and state.holders:
        return state.holders[pick % len(state.holders)]
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
        topics=("Data",) if kind is EventKind.CONVERTED else (),
        days=float(1 + pick % 3) if kind is EventKind.OFFERED else None,
    )


def _order(protocol: Protocol, state: ItemState) -> list[str]:
    if state.kind is ItemKind.TRAINING:
        return [s.name for s in protocol.training.sequence]
    return [t.name for t in protocol.chains[state.kind].tiers]


def check(protocol: Protocol, directory: Directory, before: ItemState | None, event: Event, decision: Decision) -> None:
    state = decision.state
    # JSON-safe, and back again unchanged.
    assert ItemState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    # Never two owners. Until closed: one owner, the last of `owners`; or, at a tier held by several people that
    # nobody has taken yet, no owner and the holders it is offered to. An open item always has a deadline.
    if state.is_open:
        assert state.deadline_at is not None
        if state.owner_id is None:
            assert state.holders and set(state.holders) <= set(directory.people)
            assert state.kind is not ItemKind.TRAINING and state.asker_id not in state.holders
        else:
            assert state.owner_id in directory.people and state.owners[-1] == state.owner_id
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
    if before is not None and before.tier is not None and state.tier is not None and before.kind is state.kind:
        assert order.index(state.tier) >= order.index(before.tier)
    if before is not None and before.kind is not state.kind:  # a conversion: a training request, from its start
        assert event.kind is EventKind.CONVERTED and state.kind is ItemKind.TRAINING
        assert state.converted_from == before.kind.value and state.asker_id == before.asker_id
    # The owner changes only by escalation, a passed deadline, a reassignment, a take or a conversion (training:
    # reassignment only). A take gives an item nobody owned to exactly the holder who took it.
    if before is not None and state.owner_id != before.owner_id:
        allowed = {EventKind.REASSIGNED, EventKind.CONVERTED}
        if before.kind is not ItemKind.TRAINING:
            allowed |= {EventKind.ESCALATED, EventKind.DEADLINE_PASSED, EventKind.TAKEN}
        assert event.kind in allowed
    if event.kind is EventKind.TAKEN and before is not None:
        assert before.owner_id is None and event.actor_id in before.holders and state.owner_id == event.actor_id
    # A winning state contact's offer commits exactly its days, once; nothing else commits anything.
    commits = decision.commitments
    assert len(commits) <= 1
    if commits:
        assert event.kind is EventKind.OFFERED and state.status is Status.MATCHED and before and before.is_open
        assert commits[0].trainer_id == state.trainer_id and commits[0].days == event.days
    # Trainer candidates list one of the topics asked.
    if state.kind is ItemKind.TRAINING and state.topics:
        assert all(c.expertise_matched for c in state.candidates)
    # Across the other teams, those whose teams list the expertise are asked first; the rest only after.
    if state.next_asked and (before is None or before.next_asked != state.next_asked):
        on = protocol.calendar.local_date(event.at)
        listing = set(teams_listing(directory, state.topics, on, exclude_team=state.team_id))
        first = [a.person_id for a in state.asked if a.stage == state.tier]
        assert first and all(_facilitates(directory, p) & listing for p in first)
        assert not any(_facilitates(directory, p) & listing for p in state.next_asked)
        assert not set(first) & set(state.next_asked)
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


def _facilitates(directory: Directory, person_id: int) -> set[int]:
    return {m.team_id for m in directory.memberships_of(person_id) if m.role is Role.FACILITATOR}


SEEN: dict[str, int] = {}  # what the runs exercised, for the check on the test itself


def _seen(what: str) -> None:
    SEEN[what] = SEEN.get(what, 0) + 1


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
        _seen(event.kind.value)
        if decision.state.holders and decision.state.owner_id is None:
            _seen("shared")
        if decision.state.next_asked:
            _seen("two waves")
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


def _scripted(protocol: Protocol, directory: Directory, first: Event, then: list[tuple[EventKind, int | None, dict]]):
    """Run `check` over a fixed sequence (refusals included, as in the random runs)."""
    decision = decide(None, first, directory, protocol)
    check(protocol, directory, None, first, decision)
    state = decision.state
    for kind, actor, kw in then:
        at = kw.pop("at", None) or (state.deadline_at if kind is EventKind.DEADLINE_PASSED else None)
        at = at or (state.remind_at if kind is EventKind.REMINDER_DUE else None) or MONDAY
        event = Event(kind, actor, at, **kw)
        try:
            decision = decide(state, event, directory, protocol)
        except Refused:
            _seen(f"refused {kind.value}")
            continue
        check(protocol, directory, state, event, decision)
        _seen(kind.value)
        if decision.state.holders and decision.state.owner_id is None:
            _seen("shared")
        if decision.state.next_asked:
            _seen("two waves")
        state = decision.state


@pytest.mark.parametrize("name", ["missouri", "linked-teams"])
def test_the_invariants_hold_on_every_new_move(name):
    """The random runs reach a shared tier, a take, a conversion and two waves of offers only now and then: these
    fixed runs make sure the invariants are checked on each of them, every time."""
    from tests.routing.helpers import DEE, FAY, LEE, LOU, MO, org

    protocol = protocol_named(name)
    d = org()
    SEEN.clear()
    _scripted(protocol, d, Event(EventKind.ASKED, FAY, MONDAY, item_kind=ItemKind.QUESTION), [
        (EventKind.REMINDER_DUE, None, {}),
        (EventKind.ANSWERED, LEE, {"text": "x"}),  # refused: take it first
        (EventKind.TAKEN, LOU, {}),
        (EventKind.TAKEN, LEE, {}),  # refused: Lou took it first
        (EventKind.REASSIGNED, LOU, {"target_id": LEE}),
        (EventKind.ANSWERED, LEE, {"text": "done"}),
    ])
    _scripted(protocol, d, Event(EventKind.ASKED, MO, MONDAY, item_kind=ItemKind.QUESTION), [
        (EventKind.DEADLINE_PASSED, None, {}),  # up to the two leads, nobody takes it
        (EventKind.DEADLINE_PASSED, None, {}),  # up to the management team
    ])
    _scripted(protocol, d, Event(EventKind.ASKED, DEE, MONDAY, item_kind=ItemKind.DISTRICT), [
        (EventKind.CONVERTED, FAY, {"topics": ("Data",)}),
        (EventKind.ESCALATED, FAY, {}),
    ])
    # Two other teams: one lists Leadership (asked first), one does not (asked after).
    team_d = Directory.build(
        people=[*d.people.values(), Person(40, "Dora"), Person(41, "Dev")],
        teams=[*d.teams.values(), Team(103, "Cadre 4")],
        districts=d.districts.values(),
        memberships=[*d.memberships, Membership(40, 103, Role.FACILITATOR, frozenset({"Technology"}))],
        network_roles=d.network_roles,
    )
    _scripted(protocol, team_d, Event(EventKind.ASKED, DEE, MONDAY, item_kind=ItemKind.TRAINING,
                                      topics=("Leadership",)), [
        (EventKind.ESCALATED, FAY, {}),
        (EventKind.DECLINED, 4, {}),  # Otto, whose team lists Leadership, declines: Dora is asked
        (EventKind.DEADLINE_PASSED, None, {}),
    ])
    for what in ("taken", "refused taken", "converted", "shared", "two waves", "reassigned", "declined"):
        assert SEEN.get(what, 0) >= 1, (what, SEEN)
