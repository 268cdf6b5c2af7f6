"""Monthly reminders: the coaching log before it is due and once when it is late. (The leads' CST update has its
own, in `bot.updates.scheduled`.)

Run by the scheduler every hour; each reminder is a scheduled delivery keyed (kind, month, recipient), so it
goes out once however often the job runs or however many workers run it. Messages go through the outbox.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot.delivery import checks
from bot.delivery.reminders import ReminderStats, remind_once
from bot.deps import Deps
from bot.ids import Action
from bot.slack.format import addressed_to, slack_date
from routing.coaching_log import month_label, month_of
from routing.directory import Directory, Person, Role
from store import coaching_log as log_repo

log = logging.getLogger(__name__)

LOG_REMINDER, LOG_LATE = "log_reminder", "log_late"


def _previous_month(today: date) -> str:
    return month_of(today.replace(day=1) - timedelta(days=1))


def run_reminders(deps: Deps, now: datetime) -> ReminderStats:
    protocol = deps.protocols.current
    today = now.astimezone(protocol.timezone).date()
    month = _previous_month(today)  # a month's log is due some business days after it ends
    remind_at, due_at = protocol.log_reminder_at(month), protocol.log_due_at(month)
    stats = ReminderStats()
    with deps.session(write=True) as session:
        directory = deps.directories.get(session=session)
        if now >= remind_at:
            for team in directory.active_teams():
                if log_repo.is_locked(session=session, team_id=team.id, month=month):
                    continue
                late = now >= due_at
                facilitators = directory.facilitators_of(team.id)
                recipients: list[tuple[Person, str]] = [(p, "facilitator") for p in facilitators]
                if not late:  # before the due date the members are asked to add theirs too
                    recipients += [
                        (directory.people[m.person_id], "member")
                        for m in directory.team_memberships(team.id, role=Role.MEMBER)
                        if directory.people[m.person_id].active
                    ]
                for person, role in recipients:
                    kind = LOG_LATE if late else LOG_REMINDER
                    context = {
                        "late": late, "role": role, "team": team.name, "month": month_label(month),
                        "due": slack_date(due_at, deps.settings.timezone),
                        "count": log_repo.count_entries(session=session, team_id=team.id, month=month),
                        "words": protocol.words(),
                        "button": {"action_id": (Action.LOG_REVIEW if role == "facilitator" else Action.HOME_LOG).value,
                                   "value": f"{team.id}:{month}",
                                   "text": "Review & submit" if role == "facilitator" else "Log an interaction"},
                    }
                    _deliver(deps, session, directory, kind, month, person, "log_reminder", context, now, stats,
                             scope=f"team:{team.id}", role=Role(role), check_key=checks.log_key(team.id, month))
    return stats


def _deliver(deps: Deps, session, directory: Directory, kind: str, month: str, person: Person, template: str,
             context: dict, now: datetime, stats: ReminderStats, scope: str = "", role: Role | None = None,
             check_key: str | None = None) -> None:
    remind_once(session, kind=kind, period=month, person=person, template=template, context=context, now=now,
                stats=stats, scope=scope,
                addressed_to=addressed_to(directory, deps.protocols.current, person.id, role),
                protocol=deps.protocols.current, check_key=check_key)
