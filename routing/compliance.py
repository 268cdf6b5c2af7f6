"""Compliance rolls up the chain: a monthly report still missing some business days after it was due becomes an
item one tier above the person who owes it, and closes by itself when the report comes in. Pure: no clock, no I/O.

Two reports (CST Implementation Guide: "CST Coaching Interaction Log", and "Lead facilitator(s) will provide
monthly CST updates to the management team"):

- `coaching_log`: a team's monthly coaching interaction log, owed by the team's facilitator (a team without one:
  its first member, and the vacant facilitator tier is skipped with an audit entry). It goes where a facilitator's
  question goes: the lead facilitator.
- `lead_update`: a lead facilitator's monthly update, owed by the lead (one item per lead and month; an update
  another lead sent for all leads covers them). It goes where a lead's question goes: the management team, a tier
  held by several people, so every member gets *Take it*.

It travels the protocol's `compliance` chain (by default the question chain, labelled "Missing report"): the
usual deadline per tier, reminder, escalation at the deadline, *Answer* (close it with a note), *Reassign*. The
item's `asker_id` is the person who owes the report; they are never told about the item (they had the
reminders), and cannot withdraw it (an admin can).

Opened by the scheduler with EventKind.REPORT_MISSING at `escalate_at` (the morning after the
`escalate_after_days`-th business day past the due day); closed with EventKind.REPORT_IN (status `resolved`).
Every audit row of a compliance item's opening and closing carries `item_kind: "compliance"`, `report` and
`month` in its detail, for the communication report (docs/monthly-loop.md, "Compliance items").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from routing.chains import chain_for, enter, record_skips, walk
from routing.change import Change, Context, unroutable
from routing.coaching_log import month_label
from routing.directory import Directory, Role
from routing.errors import Refused
from routing.model import AuditKind, ItemKind, ItemState, Status
from routing.monthly_loop import SentUpdate, leads, update_covers
from routing.protocol import Protocol

COACHING_LOG, LEAD_UPDATE = "coaching_log", "lead_update"
# The role that owes each report: the compliance chain's entry for it says which tier the item starts at.
REPORTS = {COACHING_LOG: Role.FACILITATOR, LEAD_UPDATE: Role.LEAD}


def due_at(protocol: Protocol, report: str, month: str) -> datetime:
    if report == COACHING_LOG:
        return protocol.log_due_at(month)
    return protocol.lead_update_due_at(month)


def escalate_at(protocol: Protocol, report: str, month: str) -> datetime:
    """The moment a report of `month` still missing becomes a compliance item (UTC)."""
    if report == COACHING_LOG:
        return protocol.log_escalate_at(month)
    return protocol.lead_update_escalate_at(month)


def escalate_after_days(protocol: Protocol, report: str) -> int:
    r = protocol.reporting
    return r.log_escalate_after_days if report == COACHING_LOG else r.lead_update_escalate_after_days


def log_owed_by(directory: Directory, team_id: int) -> int | None:
    """Who owes a team's log: its first active facilitator, else its first active member, else nobody."""
    facilitators = [p for p in directory.facilitators_of(team_id) if p.active]
    if facilitators:
        return facilitators[0].id
    for membership in directory.team_memberships(team_id):
        person = directory.person(membership.person_id)
        if person is not None and person.active:
            return person.id
    return None


def missing_logs(directory: Directory, submitted: Iterable[int]) -> list[tuple[int, int]]:
    """(team id, who owes its log) for every active team whose log is not submitted; a team with nobody on it
    owes nothing."""
    done = set(submitted)
    found = []
    for team in directory.active_teams():
        if team.id in done:
            continue
        owed_by = log_owed_by(directory, team.id)
        if owed_by is not None:
            found.append((team.id, owed_by))
    return found


def missing_updates(directory: Directory, sent: Iterable[SentUpdate]) -> list[int]:
    """The active leads whose month's update is not in (their own, or one another lead sent for all)."""
    sent = list(sent)
    return [lead.id for lead in leads(directory) if not update_covers(sent, lead.id)]


def report_name(directory: Directory, protocol: Protocol, report: str, month: str, *, team_id: int | None,
                owed_by: int) -> str:
    """"Team North's November 2025 coaching log" / "Pat Lee's November 2025 CST update"."""
    if report == COACHING_LOG:
        team = directory.teams.get(team_id) if team_id is not None else None
        whose = team.name if team is not None else f"team {team_id}"
        return f"{whose}'s {month_label(month)} coaching log"
    person = directory.person(owed_by)
    whose = person.label if person is not None else f"person {owed_by}"
    return f"{whose}'s {month_label(month)} {protocol.reporting.lead_update_label}"


def title(directory: Directory, protocol: Protocol, report: str, month: str, *, team_id: int | None,
          owed_by: int) -> str:
    """What a compliance item says: "Team North's November 2025 coaching log is missing"."""
    return f"{report_name(directory, protocol, report, month, team_id=team_id, owed_by=owed_by)} is missing"


def verb(report: str) -> str:
    """What bringing the report in is called."""
    return "submitted" if report == COACHING_LOG else "sent"


def what(report: str, protocol: Protocol) -> str:
    return "coaching log" if report == COACHING_LOG else protocol.reporting.lead_update_label


# --- the engine's handlers -------------------------------------------------------------------------------------


def missing(ctx: Context) -> Change:
    """REPORT_MISSING: open the compliance item at the tier the chain's entry names for the role owing it."""
    event, directory, protocol = ctx.event, ctx.directory, ctx.protocol
    report, month, owed_by = event.report, event.month, event.requester_id
    if report not in REPORTS or month is None or owed_by is None or event.due_at is None:
        raise ValueError("REPORT_MISSING needs report (coaching_log | lead_update), month, due_at and requester_id")
    if report == COACHING_LOG and event.team_id is None:
        raise ValueError("REPORT_MISSING for a coaching log needs team_id")
    if directory.person(owed_by) is None:
        raise Refused("unknown_person", "Sorry, that person is not in the roster; an admin can add them.")
    chain = chain_for(ctx, ItemKind.COMPLIANCE)
    text = title(directory, protocol, report, month, team_id=event.team_id, owed_by=owed_by)
    state = ItemState(
        kind=ItemKind.COMPLIANCE, status=Status.OPEN, protocol_version=protocol.version, asker_id=owed_by,
        team_id=event.team_id, text=text, opened_at=ctx.at, report=report, month=month, report_due_at=event.due_at,
    )
    change = Change(ctx, None, state)
    days = escalate_after_days(protocol, report)
    change.audit(
        AuditKind.CREATED,
        f"{text}: it was due {ctx.protocol.calendar.local_date(event.due_at).isoformat()} and is still missing "
        f"{days} business day(s) later.",
        item_kind=ItemKind.COMPLIANCE.value, report=report, month=month, team_id=event.team_id, owed_by=owed_by,
    )
    tier_name = chain.entry.get(REPORTS[report])
    if tier_name is None:
        unroutable(change, f"the {chain.label} chain names no tier for a report owed by a {REPORTS[report].value}")
        return change
    route = walk(ctx, chain, chain.index(tier_name), change.scope())
    if route.reached is None:
        record_skips(change, route)
        change.set(skipped=tuple(h.tier.name for h in route.skipped))
        unroutable(change, f"nobody on the {chain.label} chain is available ({route.why_nobody()})")
        return change
    enter(change, route, kind=AuditKind.ASSIGNED, why=f"Sent to {route.reached.tier.label}.", reason="created")
    return change


def report_in(ctx: Context, state: ItemState) -> Change:
    """REPORT_IN: the report came in (the log submitted, the update sent): the item closes by itself."""
    if state.kind is not ItemKind.COMPLIANCE:
        raise Refused("not_applicable", "Only a missing-report item closes when a report comes in.")
    actor = ctx.event.actor_id
    change = Change(ctx, state, state)
    change.close(Status.RESOLVED, resolved_by=actor)
    by = f" by {ctx.name(actor)}" if actor is not None else ""
    change.audit(
        AuditKind.RESOLVED,
        f"The {what(state.report or '', ctx.protocol)} came in ({verb(state.report or '')}{by}): closed by itself.",
        item_kind=ItemKind.COMPLIANCE.value, report=state.report, month=state.month, team_id=state.team_id,
        owed_by=state.asker_id,
    )
    return change
