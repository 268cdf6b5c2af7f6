"""Scheduled jobs (APScheduler 3, job store in the bot's own database).

Each feature owns its job functions (`bot/<feature>/scheduled.py`); this module only lists them. Jobs are
listed in JOBS by name; the job store keeps only the name, so a restart finds its schedule (and
runs a job it missed, once, within the grace time). Every job is safe to run twice or in two processes at
once: deadline sweeps re-check each item under its revision, and scheduled deliveries carry a unique key.
`cstbot schedule` lists the next runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError

from bot.coaching_log.scheduled import run_reminders
from bot.compliance.scheduled import run_compliance
from bot.delivery.scheduled import refresh_timezones
from bot.deps import Deps
from bot.items.scheduled import sweep
from bot.minutes.scheduled import run_minutes_reminders
from bot.reports.scheduled import monthly_summary
from bot.settings import Settings
from bot.slack.scheduled import forget_event_ids
from bot.updates.scheduled import run_lead_updates

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class Job:
    name: str
    describe: str
    trigger: Callable[[Settings], BaseTrigger]
    run: Callable[[Deps, datetime], object]


JOBS: dict[str, Job] = {
    "deadline-sweep": Job(
        name="deadline-sweep",
        describe="remind owners before deadlines; escalate or move training requests on when they pass",
        trigger=lambda settings: IntervalTrigger(minutes=1, timezone=settings.timezone),
        run=sweep,
    ),
    "housekeeping": Job(
        name="housekeeping",
        describe="forget Slack event ids and modal answers older than two days (guards against retries, replays)",
        trigger=lambda settings: CronTrigger(minute=30, hour=3, timezone=settings.timezone),
        run=forget_event_ids,
    ),
    "monthly-summary": Job(
        name="monthly-summary",
        describe="after last month's coaching logs are due, share the summary with the summary channels and CSTs "
                 "(each facilitator in their working hours)",
        trigger=lambda settings: CronTrigger(minute=15, hour="6-18", day_of_week="mon-fri", timezone=settings.timezone),
        run=monthly_summary,
    ),
    "monthly-reminders": Job(
        name="monthly-reminders",
        describe="coaching log due and late reminders",
        trigger=lambda settings: CronTrigger(minute=5, hour="7-17", day_of_week="mon-fri", timezone=settings.timezone),
        run=run_reminders,
    ),
    "lead-updates": Job(
        name="lead-updates",
        describe="remind lead facilitators of the monthly CST update before it is due, and nudge once when late",
        trigger=lambda settings: CronTrigger(minute=10, hour="7-17", day_of_week="mon-fri", timezone=settings.timezone),
        run=run_lead_updates,
    ),
    "compliance": Job(
        name="compliance",
        describe="a coaching log or lead update still missing days after it was due becomes an item one tier up "
                 "(once per team or lead and month); close those whose report came in",
        trigger=lambda settings: CronTrigger(minute=25, hour="7-17", day_of_week="mon-fri", timezone=settings.timezone),
        run=run_compliance,
    ),
    "timezones": Job(
        name="timezones",
        describe="ask Slack each new person's time zone (working hours), and everyone's again at night",
        trigger=lambda settings: IntervalTrigger(minutes=10, timezone=settings.timezone),
        run=refresh_timezones,
    ),
    "minutes-reminders": Job(
        name="minutes-reminders",
        describe="remind facilitators who have not confirmed management minutes, two business days on (once)",
        trigger=lambda settings: CronTrigger(minute=20, hour="7-17", day_of_week="mon-fri", timezone=settings.timezone),
        run=run_minutes_reminders,
    ),
}

_current: Deps | None = None  # the process's deps, for jobs loaded from the job store by name


def run_job(name: str) -> None:
    """Entry point the job store refers to (by name only, so stored jobs survive code changes)."""
    if _current is None:
        log.error("scheduled job %s fired before the scheduler was set up; skipped", name)
        return
    job = JOBS.get(name)
    if job is None:
        log.warning("scheduled job %s no longer exists; skipped", name)
        return
    try:
        job.run(_current, _current.now())
    except Exception:
        log.exception("scheduled job %s failed", name)


def build_scheduler(deps: Deps) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=deps.engine, tablename=JOBSTORE_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=deps.settings.timezone,
    )
    for job in JOBS.values():
        scheduler.add_job(
            run_job, trigger=job.trigger(deps.settings), args=[job.name], id=job.name, name=job.describe,
            replace_existing=True,
        )
    return scheduler


def start_scheduler(deps: Deps, *, paused: bool = False) -> BackgroundScheduler:
    """Build and start the scheduler (`paused`: its thread runs no job, for tests).

    Two workers starting at the same moment on a new database both create the job store's table; on
    PostgreSQL the slower CREATE TABLE fails (a unique violation in the catalog) although the table is there.
    The loser starts again, once, and finds the table."""
    global _current
    _current = deps
    for attempt in (1, 2):
        scheduler = build_scheduler(deps)
        try:
            scheduler.start(paused=paused)
            return scheduler
        except DBAPIError as exc:
            if attempt == 2:
                raise
            reason = str(exc.orig or exc).strip().splitlines()[0]
            log.info("scheduler: another process created the job store meanwhile (%s); starting again", reason)
    raise AssertionError("unreachable")


def next_runs(settings: Settings, now: datetime) -> list[tuple[str, str, datetime | None]]:
    """(name, description, next fire time) for every job, computed from the triggers without starting."""
    return [(job.name, job.describe, job.trigger(settings).get_next_fire_time(None, now)) for job in JOBS.values()]
