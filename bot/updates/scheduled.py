"""The leads' CST update: a reminder in the three days before it is due (`reporting.lead_update` in the protocol
file), and one late nudge after, to each lead whose update is not in (their own, or one another lead sent for
all). Each DM's button opens the form in one click. Safe to run any number of times: every reminder is a
scheduled delivery keyed (kind, month, lead).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.delivery import checks
from bot.delivery.reminders import ReminderStats, remind_once
from bot.deps import Deps
from bot.ids import Action
from bot.slack.format import addressed_to, mention, slack_date
from bot.updates.service import month_due
from routing import monthly_loop as rules
from routing.coaching_log import month_label
from routing.directory import Role
from store import updates as repo

# Kept from when the reminder lived with the coaching log: a lead reminded before the move is not reminded again.
LEAD_UPDATE, LEAD_UPDATE_LATE = "lead_update_reminder", "lead_update_late"
REMIND_BEFORE = timedelta(days=3)


def run_lead_updates(deps: Deps, now: datetime) -> ReminderStats:
    protocol = deps.protocols.current
    month = month_due(deps, now)
    due = protocol.lead_update_due_at(month)
    stats = ReminderStats()
    if now < due - REMIND_BEFORE:
        return stats
    late = now >= due
    with deps.session(write=True) as session:
        directory = deps.directories.get(session=session)
        sent = [rules.SentUpdate(u.lead_id, u.for_all) for u in repo.of_month(session=session, month=month)]
        management = [mention(directory, p.id) for p in rules.update_readers(directory)]
        for lead in rules.leads(directory):
            if rules.update_covers(sent, lead.id):
                continue
            context = {
                "late": late, "month": month_label(month), "due": slack_date(due, deps.settings.timezone),
                "management": management, "words": protocol.words(),
                "button": {"action_id": Action.UPDATE_OPEN.value, "value": month, "text": "Write the update"},
            }
            remind_once(session, kind=LEAD_UPDATE_LATE if late else LEAD_UPDATE, period=month, person=lead,
                        template="update_reminder", context=context, now=now, stats=stats,
                        addressed_to=addressed_to(directory, protocol, lead.id, Role.LEAD),
                        protocol=protocol, check_key=checks.update_key(month, lead.id))
    return stats
