"""Facilitators who have not said *Got it* are reminded once, two business days after the minutes went out
(`routing.monthly_loop.MINUTES_REMINDER_BUSINESS_DAYS`). Safe to run any number of times: each reminder is a
scheduled delivery keyed (kind, minutes, facilitator).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.delivery import checks
from bot.delivery.reminders import ReminderStats, remind_once
from bot.deps import Deps
from bot.ids import Action
from bot.minutes.cards import meeting_label
from bot.minutes.service import subject
from bot.slack.format import addressed_to, mention, slack_date
from routing import monthly_loop as rules
from routing.directory import Role
from store import cards as card_repo
from store import minutes as repo

MINUTES_REMINDER = "minutes_reminder"
LOOK_BACK = timedelta(days=30)  # minutes older than this are not chased any more


def run_minutes_reminders(deps: Deps, now: datetime) -> ReminderStats:
    protocol = deps.protocols.current
    stats = ReminderStats()
    with deps.session(write=True) as session:
        due = [m for m in repo.sent_since(session=session, since=now - LOOK_BACK)
               if rules.minutes_reminder_at(protocol, m.sent_at) <= now]
        if not due:
            return stats
        directory = deps.directories.get(session=session)
        by_id = {subject(m.id): m for m in due}
        for card in card_repo.of_subjects(session=session, subjects=by_id):
            person = directory.person(card.recipient_id) if card.recipient_id is not None else None
            if person is None or card.acked_at is not None or not person.active:
                continue
            minutes = by_id[card.subject]
            context = {
                "meeting": meeting_label(minutes), "sender": mention(directory, minutes.sender_id),
                "sent": slack_date(minutes.sent_at, deps.settings.timezone), "link": minutes.link,
                "words": protocol.words(),
                "button": {"action_id": Action.MINUTES_ACK.value, "value": str(minutes.id), "text": "Got it"},
            }
            remind_once(session, kind=MINUTES_REMINDER, period=card.subject, person=person,
                        template="minutes_reminder", context=context, now=now, stats=stats,
                        addressed_to=addressed_to(directory, protocol, person.id, Role.FACILITATOR),
                        protocol=protocol, check_key=checks.card_key(card.id))
    return stats
