"""Monthly reminders: the coaching log before it is due and once when it is late, and the leads' update.

Run by the scheduler every hour; each reminder is a scheduled delivery keyed (kind, month, recipient), so it
goes out once however often the job runs or however many workers run it. Messages go through the outbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.deps import Deps
from bot.ids import Action
from bot.slack.format import addressed_to, mention, slack_date
from routing.coaching_log import month_label, month_of
from routing.directory import Directory, Person, Role
from store import coaching_log as log_repo
from store import deliveries, outbox
from templates import render_json, render_text

log = logging.getLogger(__name__)

LOG_REMINDER, LOG_LATE, LEAD_UPDATE = "log_reminder", "log_late", "lead_update_reminder"


@dataclass
class ReminderStats:
    sent: int = 0
    already: int = 0


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
                        "button": {"action_id": (Action.LOG_REVIEW if role == "facilitator" else Action.HOME_LOG).value,
                                   "value": f"{team.id}:{month}",
                                   "text": "Review & submit" if role == "facilitator" else "Log an interaction"},
                    }
                    _deliver(deps, session, directory, kind, month, person, "log_reminder", context, now, stats,
                             scope=f"team:{team.id}", role=Role(role))
        lead_due = protocol.lead_update_due_at(month)
        if lead_due - timedelta(days=3) <= now < lead_due:
            for lead in directory.holders(Role.LEAD):
                context = {"month": month_label(month), "due": slack_date(lead_due, deps.settings.timezone),
                           "management": [mention(directory, p.id) for p in directory.holders(Role.MANAGEMENT)]}
                _deliver(deps, session, directory, LEAD_UPDATE, month, lead, "lead_update_reminder", context, now,
                         stats, role=Role.LEAD)
    return stats


def _deliver(deps: Deps, session, directory: Directory, kind: str, month: str, person: Person, template: str,
             context: dict, now: datetime, stats: ReminderStats, scope: str = "", role: Role | None = None) -> None:
    if not person.slack_id:
        log.warning("%s for %s: %s has no Slack account in the roster", kind, month, person.label)
        return
    recipient = f"person:{person.id}" + (f":{scope}" if scope else "")  # one per team for a two-team facilitator
    claimed = deliveries.claim(session=session, kind=kind, period=month, recipient=recipient, now=now)
    if claimed is None:
        stats.already += 1
        return
    text = render_text(f"messages/{template}.md.j2", **context).strip()
    blocks = render_json("cards/reminder.json.j2", text=text, button=context.get("button"),
                         addressed_to=addressed_to(directory, deps.protocols.current, person.id, role))
    row = outbox.enqueue(session=session, method="chat.postMessage", now=now,
                         payload={"channel": person.slack_id, "text": text.split("\n", 1)[0][:300], "blocks": blocks})
    claimed.outbox_id = row.id
    session.add(claimed)
    stats.sent += 1
