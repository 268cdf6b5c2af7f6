"""Slack housekeeping: forget Events API event ids once Slack can no longer retry them."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.deps import Deps
from store import events

KEEP_EVENT_IDS = timedelta(days=2)  # Slack retries an event within minutes, never days later


def forget_event_ids(deps: Deps, now: datetime) -> int:
    with deps.session(write=True) as session:
        return events.forget_before(session=session, before=now - KEEP_EVENT_IDS)
