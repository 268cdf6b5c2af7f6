"""Deadlines and reminders: business days, escalation when a deadline passes, the last tier, protocol versions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from routing.directory import NetworkRole, Role
from routing.errors import Refused
from routing.model import AuditKind, ClearDeadline, EventKind, ItemKind, Notice, SetDeadline, Status
from routing.protocol import ProtocolBook
from routing.protocol_file import load_protocol, parse_protocol
from tests.routing.helpers import ADA, CT, FAY, LEE, LOU, MIA, MO, MONDAY, act, ask, org

MISSOURI = load_protocol()


def test_missouri_dates_over_a_weekend_and_truman_day():
    directory = org()
    friday = datetime(2024, 5, 3, 16, 30, tzinfo=CT)
    decision = ask(directory, MISSOURI, MO, at=friday)
    state = decision.state
    assert state.deadline_at == datetime(2024, 5, 7, 16, 30, tzinfo=CT)  # Monday + Tuesday, same time
    assert state.remind_at == datetime(2024, 5, 7, 12, 30, tzinfo=CT)  # 4 business hours before
    assert decision.effects[-1] == SetDeadline(state.deadline_at, state.remind_at)
    moved = act(state, directory, MISSOURI, EventKind.DEADLINE_PASSED, None, at=state.deadline_at).state
    assert moved.holders == (LEE, LOU)
    assert moved.deadline_at == datetime(2024, 5, 10, 16, 30, tzinfo=CT)  # Wednesday May 8 is Truman Day


def test_an_evening_request_counts_from_the_next_business_morning():
    friday_evening = datetime(2024, 5, 3, 19, 45, tzinfo=CT)
    state = ask(org(), MISSOURI, MO, at=friday_evening).state
    # From Monday 08:00, 2 business days: Tuesday, then Thursday (Wednesday May 8 is Truman Day).
    assert state.deadline_at == datetime(2024, 5, 9, 8, 0, tzinfo=CT)


def test_deadlines_come_from_the_file(protocol, directory):
    state = ask(directory, protocol, MO).state
    tier = protocol.chains[ItemKind.QUESTION].tier(state.tier)
    assert state.deadline_at == protocol.calendar.deadline(MONDAY, tier.deadline_days)
    assert state.deadline_at.tzinfo is UTC
    assert state.remind_at < state.deadline_at


def test_the_owner_is_reminded_before_the_deadline(protocol, directory):
    state = ask(directory, protocol, MO).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.REMINDER_DUE, None, at=state.remind_at - timedelta(minutes=1))
    assert caught.value.code == "not_due"
    decision = act(state, directory, protocol, EventKind.REMINDER_DUE, None, at=state.remind_at)
    reminded = decision.state
    assert decision.notices_for(FAY) == (Notice.REMINDER,)
    assert reminded.remind_at is None and reminded.deadline_at == state.deadline_at and reminded.owner_id == FAY
    assert [a.kind for a in decision.audits] == [AuditKind.REMINDED]
    assert SetDeadline(state.deadline_at, None) in decision.effects
    with pytest.raises(Refused):
        act(reminded, directory, protocol, EventKind.REMINDER_DUE, None, at=state.deadline_at)


def test_a_passed_deadline_escalates_one_tier(protocol, directory):
    state = ask(directory, protocol, MO).state
    with pytest.raises(Refused) as caught:
        act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at - timedelta(seconds=1))
    assert caught.value.code == "not_due"
    decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
    moved = decision.state
    chain = protocol.chains[ItemKind.QUESTION]
    assert moved.holders == (LEE, LOU) and moved.tier == chain.tiers[chain.index(state.tier) + 1].name
    assert decision.notices_for(FAY) == (Notice.ESCALATED_OVERDUE,)
    assert decision.notices_for(LEE) == decision.notices_for(LOU) == (Notice.ITEM_SHARED,)
    assert decision.notices_for(MO) == (Notice.ASKER_STATUS,)
    (audit,) = decision.audits
    assert audit.kind is AuditKind.ESCALATED and audit.actor_id is None
    assert "No answer from Fay Facilitator within" in audit.reason
    assert moved.deadline_at == protocol.calendar.deadline(state.deadline_at, chain.tier(moved.tier).deadline_days)


def test_a_shared_last_tier_never_loses_the_item_and_every_holder_hears(protocol):
    directory = org()
    directory = type(directory).build(
        people=directory.people.values(), teams=directory.teams.values(), districts=directory.districts.values(),
        memberships=directory.memberships,
        network_roles=[*directory.network_roles, NetworkRole(ADA, Role.MANAGEMENT)],  # two on the management team
    )
    state = ask(directory, protocol, LEE).state
    assert state.holders == (MIA, ADA)
    decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
    assert decision.state.holders == (MIA, ADA) and decision.state.owner_id is None
    assert decision.notices_for(MIA) == (Notice.OVERDUE,)
    assert decision.notices_for(ADA) == (Notice.OVERDUE, Notice.ADMIN_ALERT)


def test_the_last_tier_never_loses_the_item(protocol, directory):
    state = ask(directory, protocol, LEE).state  # a lead's question starts at the management team
    assert state.owner_id == MIA
    for _ in range(3):
        decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
        after = decision.state
        assert after.owner_id == MIA and after.status is Status.OPEN and after.tier == state.tier
        assert after.deadline_at > state.deadline_at
        assert decision.notices_for(MIA) == (Notice.OVERDUE,)
        assert decision.notices_for(ADA) == (Notice.ADMIN_ALERT,)
        (audit,) = decision.audits
        assert audit.kind is AuditKind.OVERDUE and "last tier" in audit.reason
        state = after


def test_with_nobody_available_above_the_owner_keeps_it_and_admins_hear(protocol):
    directory = org(away={LEE: date(2024, 6, 1), LOU: date(2024, 6, 1), MIA: date(2024, 6, 1)})
    state = ask(directory, protocol, MO).state
    decision = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at)
    assert decision.state.owner_id == FAY
    assert "nobody above is available" in decision.audits[0].reason
    assert decision.notices_for(ADA) == (Notice.ADMIN_ALERT,)


def test_a_lead_back_from_leave_receives_the_escalation(protocol):
    directory = org(away={LEE: MONDAY.date()})  # away today, back tomorrow
    state = ask(directory, protocol, MO).state
    assert act(state, directory, protocol, EventKind.ESCALATED, FAY).state.owner_id == LOU  # Lou alone today
    later = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=state.deadline_at).state
    assert (later.owner_id, later.holders) == (None, (LEE, LOU))  # both by then: offered to both


def test_closing_clears_the_deadline(protocol, directory):
    state = ask(directory, protocol, MO).state
    decision = act(state, directory, protocol, EventKind.ANSWERED, FAY, text="ok")
    assert ClearDeadline() in decision.effects
    assert decision.state.deadline_at is None and decision.state.remind_at is None


# --- protocol versions ---------------------------------------------------------------------------------------


def _next_version(deadline_days: int):
    data = yaml.safe_load(MISSOURI.text)
    data["version"] = "missouri-cst-2024.1"
    for tier in data["chains"]["question"]["tiers"]:
        tier["deadline_days"] = deadline_days
    return parse_protocol(yaml.safe_dump(data), "routing/protocols/missouri-cst.yaml")


def test_an_item_keeps_the_protocol_version_it_started_under():
    directory = org()
    old_item = ask(directory, MISSOURI, MO).state
    new_protocol = _next_version(deadline_days=7)
    book = ProtocolBook(new_protocol, [MISSOURI])
    protocol = book.get(old_item.protocol_version)
    assert protocol is MISSOURI
    moved = act(old_item, directory, protocol, EventKind.DEADLINE_PASSED, None, at=old_item.deadline_at).state
    assert moved.protocol_version == MISSOURI.version
    assert moved.deadline_at == MISSOURI.calendar.deadline(old_item.deadline_at, 2)  # the old rule, not 7 days
    new_item = ask(directory, book.current, MO).state
    assert new_item.protocol_version == "missouri-cst-2024.1"
    assert new_item.deadline_at == new_protocol.calendar.deadline(MONDAY, 7)


def test_deciding_with_another_version_is_a_programming_error():
    state = ask(org(), MISSOURI, MO).state
    with pytest.raises(ValueError, match="pass ProtocolBook.get"):
        act(state, org(), _next_version(3), EventKind.ANSWERED, FAY)


def test_naive_event_times_are_a_programming_error():
    with pytest.raises(ValueError, match="aware"):
        ask(org(), MISSOURI, MO, at=datetime(2024, 4, 8, 10, 0))
