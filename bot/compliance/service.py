"""Compliance rolls up the chain: missing monthly reports become routed items, and close when the report comes in.

The rules (who owes what, when, where it goes) are `routing.compliance`; the items are ordinary routed items
(`bot.items.service.Service`: cards, buttons, deadline sweep, audit trail). This module finds what is missing,
opens each item once, and closes it when its report comes in: right after the log is submitted or the update
sent (`report_in`, called by those features once their own transaction has committed), and, should that call
have failed, at the next scheduled run (`reconcile`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.items.service import Service
from routing import compliance as rules
from routing.coaching_log import month_of
from routing.errors import Refused
from routing.model import ItemState
from routing.monthly_loop import SentUpdate, update_covers
from store import coaching_log as log_repo
from store import items as items_repo
from store import updates as updates_repo

log = logging.getLogger(__name__)


@dataclass
class ComplianceStats:
    opened: int = 0
    already: int = 0  # opened by an earlier run
    closed: int = 0  # open items whose report had come in meanwhile
    failed: int = 0  # nowhere to send it (logged; tried again next run)


def month_checked(deps: Deps, now: datetime) -> str:
    """The month whose reports are checked now: the month just ended (the protocol's time zone). The protocol file
    keeps every report's escalation moment inside the month after (routing.protocol_file)."""
    today = now.astimezone(deps.protocols.current.timezone).date()
    return month_of(today.replace(day=1) - timedelta(days=1))


def open_missing(deps: Deps, now: datetime) -> ComplianceStats:
    """Open a compliance item for every report of last month still missing past its escalation moment."""
    protocol = deps.protocols.current
    month = month_checked(deps, now)
    stats = ComplianceStats(closed=reconcile(deps, now))
    wanted: list[tuple[str, int, int | None]] = []  # (report, owed by, team)
    with deps.session() as session:
        directory = deps.directories.get(session=session)
        if now >= rules.escalate_at(protocol, rules.COACHING_LOG, month):
            submitted = log_repo.submitted_teams(session=session, month=month)
            wanted += [(rules.COACHING_LOG, owed_by, team_id)
                       for team_id, owed_by in rules.missing_logs(directory, submitted)]
        if now >= rules.escalate_at(protocol, rules.LEAD_UPDATE, month):
            sent = [SentUpdate(u.lead_id, u.for_all) for u in updates_repo.of_month(session=session, month=month)]
            wanted += [(rules.LEAD_UPDATE, lead_id, None) for lead_id in rules.missing_updates(directory, sent)]
    service = Service(deps)
    for report, owed_by, team_id in wanted:
        try:
            state = service.open_missing_report(report=report, month=month, owed_by=owed_by, team_id=team_id,
                                                due_at=rules.due_at(protocol, report, month), now=now)
        except Refused as exc:
            stats.failed += 1
            log.warning("compliance: %s %s (team %s, person %s) not opened: %s", report, month, team_id, owed_by,
                        exc.message)
            continue
        if state is None:
            stats.already += 1
        else:
            stats.opened += 1
    return stats


def _report_is_in(session, state: ItemState) -> tuple[bool, int | None]:
    """Whether the report a compliance item is about came in, and who made it come in."""
    assert state.month is not None
    if state.report == rules.COACHING_LOG:
        submitted = log_repo.submitted_teams(session=session, month=state.month)
        return state.team_id in submitted, submitted.get(state.team_id or 0)
    sent = updates_repo.of_month(session=session, month=state.month)
    by = next((u.lead_id for u in sent if u.lead_id == state.asker_id), None) or next(
        (u.lead_id for u in sent if u.for_all), None)
    return update_covers([SentUpdate(u.lead_id, u.for_all) for u in sent], state.asker_id), by


def report_in(deps: Deps, *, report: str, month: str, actor_id: int, team_id: int | None = None) -> int:
    """A report came in (a log submitted, an update sent): close the compliance items it settles, and edit their
    cards. Called after the report's own transaction committed; a failure here is logged, never shown to the
    person who submitted (the next scheduled run closes the item). Returns how many closed."""
    try:
        with deps.session() as session:
            found = [ItemState.from_dict(row.state) for row in items_repo.open_compliance(session=session)]
            found = [s for s in found if s.report == report and s.month == month and (
                s.team_id == team_id if report == rules.COACHING_LOG else _report_is_in(session, s)[0])]
        service = Service(deps)
        return sum(1 for s in found if service.report_in(s.id, actor_id=actor_id, now=deps.now()) is not None)
    except Exception:
        log.exception("compliance: could not close the items %s %s settles; the next run will", report, month)
        return 0


def reconcile(deps: Deps, now: datetime) -> int:
    """Close every open compliance item whose report came in (a `report_in` call that failed, a log submitted
    from the CLI, an update another lead sent for all). Returns how many closed."""
    with deps.session() as session:
        settled = []
        for row in items_repo.open_compliance(session=session):
            state = ItemState.from_dict(row.state)
            came_in, by = _report_is_in(session, state)
            if came_in:
                settled.append((state.id, by))
    service = Service(deps)
    return sum(1 for item_id, by in settled if service.report_in(item_id, actor_id=by, now=now) is not None)
