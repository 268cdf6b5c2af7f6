"""Slack housekeeping: forget Events API event ids once Slack can no longer retry them, and modal submissions'
answers once their views are long closed."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.deps import Deps
from store import events, submissions

KEEP_EVENT_IDS = timedelta(days=2)  # Slack retries an event within minutes, never days later
KEEP_SUBMISSIONS = timedelta(days=2)  # a modal lives at most a few hours; its replay is signed within 5 minutes


def forget_event_ids(deps: Deps, now: datetime) -> int:
    with deps.session(write=True) as session:
        forgotten = events.forget_before(session=session, before=now - KEEP_EVENT_IDS)
        return forgotten + submissions.forget_before(session=session, before=now - KEEP_SUBMISSIONS)
