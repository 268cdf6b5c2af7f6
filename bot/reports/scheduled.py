"""The reports' scheduled job, each business morning: share last month's summary once its coaching logs are due,
and a revised summary of any month whose summary went out before a team's log arrived."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.reports.summary import Edition, revise_summaries, share_summary
from routing.coaching_log import month_of

log = logging.getLogger(__name__)
REVISED_MONTHS = 12  # late logs revise the summaries of this many months back


def monthly_summary(deps: Deps, now: datetime) -> list[Edition]:
    """The editions queued this morning (none when nothing is due; a second run finds them sent)."""
    protocol = deps.protocols.current
    today = now.astimezone(protocol.timezone).date()
    if not protocol.calendar.is_business_day(today):
        return []
    month = month_of(today.replace(day=1) - timedelta(days=1))
    with deps.session() as session:
        directory = deps.directories.get(session=session)
    sent = revise_summaries(engine=deps.engine, protocol=protocol, directory=directory, now=now,
                            since=month_of(today.replace(day=1) - timedelta(days=31 * REVISED_MONTHS)))
    if now >= protocol.log_due_at(month):
        edition = share_summary(engine=deps.engine, protocol=protocol, directory=directory, month=month, now=now)
        if any(o.status != "already sent" for o in edition.outcomes):
            sent.append(edition)
    for edition in sent:
        missing = [o.recipient.label for o in edition.outcomes if o.failed]
        if missing:  # a gap in the roster, not a failure of the bot: one line per edition
            log.warning("monthly summary %s (revision %d): %d readers without a Slack user id in the roster: %s",
                        edition.month, edition.revision, len(missing), ", ".join(missing))
    return sent
