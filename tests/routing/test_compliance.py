"""Compliance rolls up the chain (issue 13): when a missing report becomes an item, whose it is, what the person
who owes the report hears (nothing), and how it closes when the report comes in."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from routing import compliance
from routing.actions import available_actions
from routing.directory import Directory, NetworkRole, Role
from routing.engine import decide
from routing.errors import ProtocolError, Refused
from routing.model import AuditKind, Event, EventKind, ItemKind, ItemState, Notice, Status
from routing.monthly_loop import SentUpdate
from routing.protocol_file import load_protocol, parse_protocol
from tests.routing.helpers import (
    ADA,
    CAL,
    CT,
    FAY,
    LEE,
    LOU,
    MIA,
    MO,
    OTTO,
    PROTOCOL_FILES,
    TEAM_A,
    TEAM_B,
    TEAM_C,
    act,
    ask,
    org,
    protocol_named,
)

LOG, UPDATE = compliance.COACHING_LOG, compliance.LEAD_UPDATE
AT = datetime(2025, 12, 11, 8, 5, tzinfo=CT)  # the Missouri November log's escalation morning


# --- when ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "report", "month", "due", "opens"), [
    # November 2025 ends on a Sunday: the log is due on the 5th business day (Fri Dec 5), 3 business days later
    # is Wed Dec 10, so the item opens the next business morning.
    ("missouri", LOG, "2025-11", datetime(2025, 12, 5, 17, tzinfo=CT), datetime(2025, 12, 11, 8, tzinfo=CT)),
    ("missouri", UPDATE, "2025-11", datetime(2025, 12, 12, 17, tzinfo=CT), datetime(2025, 12, 18, 8, tzinfo=CT)),
    # New Year's Day is skipped before the due day, Martin Luther King Day after it.
    ("missouri", LOG, "2025-12", datetime(2026, 1, 8, 17, tzinfo=CT), datetime(2026, 1, 14, 8, tzinfo=CT)),
    ("missouri", UPDATE, "2025-12", datetime(2026, 1, 15, 17, tzinfo=CT), datetime(2026, 1, 22, 8, tzinfo=CT)),
    # Presidents' Day (Mon Feb 16) falls inside the three days.
    ("missouri", UPDATE, "2026-01", datetime(2026, 2, 13, 17, tzinfo=CT), datetime(2026, 2, 20, 8, tzinfo=CT)),
    # Another file's due days and business hours (07:30-16:30).
    ("linked-teams", LOG, "2025-11", datetime(2025, 12, 3, 16, 30, tzinfo=CT),
     datetime(2025, 12, 9, 7, 30, tzinfo=CT)),
    ("linked-teams", UPDATE, "2025-12", datetime(2026, 1, 12, 16, 30, tzinfo=CT),
     datetime(2026, 1, 16, 7, 30, tzinfo=CT)),
])
def test_when_a_missing_report_becomes_an_item(name, report, month, due, opens):
    protocol = protocol_named(name)
    assert compliance.due_at(protocol, report, month) == due
    assert compliance.escalate_at(protocol, report, month) == opens


def _with_reporting(log: str, update: str) -> str:
    text = PROTOCOL_FILES["linked-teams"].read_text(encoding="utf-8")
    text = text.replace("    remind_business_days_before: 1\n", f"    remind_business_days_before: 1\n{log}")
    return text.replace("    label: implementation update\n", f"    label: implementation update\n{update}")


@pytest.mark.parametrize(("log", "update", "expected"), [
    ("", "", (3, 3)),  # the default
    ("    escalate_after_days: 0\n", "    escalate_after_days: 5\n", (0, 5)),
    ("    escalate_after_days: -1\n", "", "reporting.log.escalate_after_days: must be a whole number >= 0"),
    ("", "    escalate_after_days: 8\n",
     "reporting.lead_update.escalate_after_days: the due day (7) plus 8 is too late"),
    ("    escalate_after_days: two\n", "", "reporting.log.escalate_after_days: must be a whole number"),
])
def test_escalate_after_days_in_the_protocol_file(log, update, expected):
    text = _with_reporting(log, update)
    if isinstance(expected, str):
        with pytest.raises(ProtocolError) as raised:
            parse_protocol(text, "test.yaml")
        assert expected in str(raised.value)
        return
    reporting = parse_protocol(text, "test.yaml").reporting
    assert (reporting.log_escalate_after_days, reporting.lead_update_escalate_after_days) == expected


def test_the_shipped_file_uses_the_question_chain_for_missing_reports():
    protocol = load_protocol()
    chain = protocol.chains[ItemKind.COMPLIANCE]
    assert chain.label == "Missing report"
    assert chain.tiers == protocol.chains[ItemKind.QUESTION].tiers
    assert (chain.entry[Role.FACILITATOR], chain.entry[Role.LEAD]) == ("lead", "management")


def test_a_compliance_chain_in_the_file_must_say_where_each_report_goes():
    text = PROTOCOL_FILES["linked-teams"].read_text(encoding="utf-8").replace("chains:\n", (
        "chains:\n  compliance:\n    label: Late report\n    entry: {facilitator: sit}\n"
        "    tiers: [{name: sit, role: lead, deadline_days: 1}, {name: slt, role: management, deadline_days: 2}]\n"), 1)
    with pytest.raises(ProtocolError) as raised:
        parse_protocol(text, "test.yaml")
    assert "chains.compliance.entry: must say where a missing report owed by a lead goes" in str(raised.value)
    good = parse_protocol(text.replace("entry: {facilitator: sit}", "entry: {facilitator: sit, lead: slt}"), "t")
    assert good.chains[ItemKind.COMPLIANCE].label == "Late report"
    assert [t.deadline_days for t in good.chains[ItemKind.COMPLIANCE].tiers] == [1, 2]


# --- who owes what ---------------------------------------------------------------------------------------------

def test_who_owes_each_team_log_and_which_are_missing(directory):
    assert compliance.log_owed_by(directory, TEAM_A) == FAY
    assert compliance.log_owed_by(directory, TEAM_C) == CAL  # no facilitator: its first member
    assert compliance.missing_logs(directory, submitted=[TEAM_B]) == [(TEAM_A, FAY), (TEAM_C, CAL)]
    assert compliance.missing_logs(org(drop=(CAL,)), submitted=[]) == [(TEAM_A, FAY), (TEAM_B, OTTO)]


@pytest.mark.parametrize(("sent", "missing"), [
    ([], [LEE, LOU]),
    ([SentUpdate(LEE, for_all=False)], [LOU]),
    ([SentUpdate(LOU, for_all=True)], []),  # one lead wrote for every lead
])
def test_which_leads_updates_are_missing(directory, sent, missing):
    assert compliance.missing_updates(directory, sent) == missing


# --- opening ---------------------------------------------------------------------------------------------------

def missing(directory: Directory, protocol, report: str, owed_by: int, *, team_id: int | None = None,
            month: str = "2025-11", at: datetime = AT):
    event = Event(EventKind.REPORT_MISSING, None, at, report=report, month=month, requester_id=owed_by,
                  team_id=team_id, due_at=compliance.due_at(protocol, report, month))
    return decide(None, event, directory, protocol)


def _two_managers() -> Directory:
    base = org()
    return Directory.build(
        people=base.people.values(), teams=base.teams.values(), districts=base.districts.values(),
        memberships=base.memberships, network_roles=(*base.network_roles, NetworkRole(ADA, Role.MANAGEMENT)))


@pytest.mark.parametrize(("case", "directory", "report", "owed_by", "team", "owner", "holders", "tier_role",
                          "skipped"), [
    ("log: both leads are offered it", org(), LOG, FAY, TEAM_A, None, (LEE, LOU), Role.LEAD, 0),
    ("log: one lead away owns it", org(away={LOU: datetime(2026, 1, 5).date()}), LOG, FAY, TEAM_A, LEE, (),
     Role.LEAD, 0),
    ("log: no lead, the management team", org(drop=(LEE, LOU)), LOG, OTTO, TEAM_B, MIA, (), Role.MANAGEMENT, 1),
    ("log of a team without facilitator", org(), LOG, CAL, TEAM_C, None, (LEE, LOU), Role.LEAD, 0),
    ("update: the management team", org(), UPDATE, LEE, None, MIA, (), Role.MANAGEMENT, 0),
    ("update: a management team of two", _two_managers(), UPDATE, LOU, None, None, (MIA, ADA), Role.MANAGEMENT, 0),
])
def test_a_missing_report_goes_one_tier_up_the_chain(protocol, case, directory, report, owed_by, team, owner,
                                                      holders, tier_role, skipped):
    decision = missing(directory, protocol, report, owed_by, team_id=team)
    state = decision.state
    assert (state.kind, state.status, state.report, state.month) == (ItemKind.COMPLIANCE, Status.OPEN, report,
                                                                      "2025-11")
    assert (state.asker_id, state.owner_id, state.holders) == (owed_by, owner, holders)
    chain = protocol.chains[ItemKind.COMPLIANCE]
    assert chain.tier(state.tier).resolver.role is tier_role
    assert state.deadline_at == protocol.calendar.deadline(AT, chain.tier(state.tier).deadline_days)
    assert len(state.skipped) == skipped
    # The owner (or every holder) gets a card; who owes the report hears nothing from the item.
    told = {n.recipient_id: n.template for n in decision.notices}
    expected = Notice.ITEM_SHARED if holders else Notice.ITEM_ASSIGNED
    assert told == {p: expected for p in (holders or (owner,))}
    created = decision.audits[0]
    assert created.kind is AuditKind.CREATED
    assert created.detail["item_kind"] == "compliance"
    assert (created.detail["report"], created.detail["month"], created.detail["owed_by"]) == (report, "2025-11",
                                                                                             owed_by)


@pytest.mark.parametrize(("report", "owed_by", "team", "text"), [
    (LOG, FAY, TEAM_A, "Cadre 1's November 2025 coaching log is missing"),
    (UPDATE, LEE, None, "Lee Lead's November 2025 {label} is missing"),
])
def test_the_item_says_what_is_missing(protocol, report, owed_by, team, text):
    state = missing(org(), protocol, report, owed_by, team_id=team).state
    assert state.text == text.format(label=protocol.reporting.lead_update_label)


def test_nobody_to_send_it_to_closes_it_unroutable_and_alerts_the_admins(protocol):
    decision = missing(org(drop=(LEE, LOU, MIA)), protocol, LOG, FAY, team_id=TEAM_A)
    assert decision.state.status is Status.UNROUTABLE
    assert {n.recipient_id for n in decision.notices} == {ADA}  # not the facilitator (no "no route" notice)


# --- its life: nobody tells the person who owes it, nobody but an admin withdraws it ---------------------------

def _owned_by_lee(protocol) -> ItemState:
    directory = org()
    state = replace(missing(directory, protocol, LOG, FAY, team_id=TEAM_A).state, id=7)
    return act(state, directory, protocol, EventKind.TAKEN, LEE, at=AT).state


def test_taking_answering_and_escalating_never_tell_who_owes_it(protocol):
    directory = org()
    state = _owned_by_lee(protocol)
    assert state.owner_id == LEE
    later = state.deadline_at
    moved = act(state, directory, protocol, EventKind.DEADLINE_PASSED, None, at=later)
    assert moved.state.tier == protocol.chains[ItemKind.COMPLIANCE].entry[Role.LEAD]  # rolled up to management
    assert moved.state.owner_id == MIA
    assert FAY not in {n.recipient_id for n in moved.notices}
    answered = act(moved.state, directory, protocol, EventKind.ANSWERED, MIA, at=later, text="Spoke with Fay.")
    assert answered.state.status is Status.ANSWERED
    assert FAY not in {n.recipient_id for n in answered.notices}
    assert Notice.ANSWER_TO_CHAIN in answered.notices_for(LEE)


def test_only_an_admin_withdraws_a_missing_report(protocol):
    directory = org()
    state = _owned_by_lee(protocol)
    assert EventKind.WITHDRAWN not in available_actions(state, FAY, directory, protocol)
    assert EventKind.WITHDRAWN in available_actions(state, ADA, directory, protocol)
    with pytest.raises(Refused) as refused:
        act(state, directory, protocol, EventKind.WITHDRAWN, FAY, at=AT)
    assert "closes by itself when the report comes in" in refused.value.message
    assert act(state, directory, protocol, EventKind.WITHDRAWN, ADA, at=AT).state.status is Status.WITHDRAWN


# --- closing ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("actor", "says"), [
    (FAY, "The coaching log came in (submitted by Fay Facilitator): closed by itself."),
    (None, "The coaching log came in (submitted): closed by itself."),
])
def test_the_report_coming_in_closes_it_by_itself(protocol, actor, says):
    directory = org()
    state = _owned_by_lee(protocol)
    decision = act(state, directory, protocol, EventKind.REPORT_IN, actor, at=AT)
    assert decision.state.status is Status.RESOLVED
    assert (decision.state.resolved_by, decision.state.deadline_at, decision.state.remind_at) == (actor, None, None)
    assert decision.notices == ()  # the owner's card is edited in place by the shell
    (audit,) = decision.audits
    assert (audit.kind, audit.reason, audit.actor_id) == (AuditKind.RESOLVED, says, actor)
    assert audit.detail["item_kind"] == "compliance" and audit.detail["month"] == "2025-11"
    with pytest.raises(Refused):  # twice: it is closed
        act(decision.state, directory, protocol, EventKind.REPORT_IN, actor, at=AT)


def test_an_update_coming_in_says_sent(protocol):
    state = replace(missing(org(), protocol, UPDATE, LEE).state, id=8)
    (audit,) = act(state, org(), protocol, EventKind.REPORT_IN, LOU, at=AT).audits
    assert audit.reason == f"The {protocol.reporting.lead_update_label} came in (sent by Lou Lead): closed by itself."


def test_only_a_missing_report_closes_when_a_report_comes_in(protocol):
    question = replace(ask(org(), protocol, MO).state, id=9)
    with pytest.raises(Refused) as refused:
        act(question, org(), protocol, EventKind.REPORT_IN, FAY, at=AT)
    assert refused.value.code == "not_applicable"


def test_the_state_survives_storage(protocol):
    state = _owned_by_lee(protocol)
    assert ItemState.from_dict(state.to_dict()) == state
    assert ItemState.from_dict(state.to_dict()).report_due_at == compliance.due_at(protocol, LOG, "2025-11")
