"""The reports' scheduled job: share last month's summary once its coaching logs are due."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.delivery import hours
from bot.deps import Deps
from bot.reports.summary import Outcome, Recipient, share_summary
from routing.coaching_log import month_of
from store.directory import ChannelPurpose, load_channels
from store.summary import compile_summary

log = logging.getLogger(__name__)


def monthly_summary(deps: Deps, now: datetime) -> list[Outcome] | None:
    """Once last month's logs are due, share the summary (each recipient once; later runs find it posted). A person
    outside their working hours is left for a later run (the job runs every working hour)."""
    protocol = deps.protocols.current
    today = now.astimezone(protocol.timezone).date()
    month = month_of(today.replace(day=1) - timedelta(days=1))
    if now < protocol.log_due_at(month):
        return None
    with deps.session() as session:
        directory = deps.directories.get(session=session)
        summary = compile_summary(session=session, month=month, protocol=protocol, directory=directory)
        channels = [c.channel_id for c in load_channels(session=session)
                    if c.purpose == ChannelPurpose.SUMMARIES.value]
    def now_for(recipient: Recipient) -> bool:  # a facilitator's DM waits for their working hours
        person = directory.by_slack_id(recipient.channel) if recipient.channel else None
        return person is None or hours.hold(protocol, person, now) is None

    outcomes = share_summary(engine=deps.engine, client=deps.client, summary=summary, directory=directory,
                             channels=channels, now_for=now_for)
    for outcome in outcomes:
        if outcome.failed:
            log.error("monthly summary %s not posted to %s: %s", month, outcome.recipient.label, outcome.detail)
    return outcomes
