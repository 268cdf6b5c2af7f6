"""Scheduled jobs (APScheduler 3, job store in the bot's own database).

Jobs are listed in JOBS by name; the job store keeps only the name, so a restart finds its schedule (and
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

from bot.deps import Deps
from bot.settings import Settings

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class Job:
    name: str
    describe: str
    trigger: Callable[[Settings], BaseTrigger]
    run: Callable[[Deps, datetime], object]


def _sweep(deps: Deps, now: datetime) -> object:
    from bot.items.service import Service

    return Service(deps).sweep(now=now)


def _housekeeping(deps: Deps, now: datetime) -> object:
    """Forget Slack event ids after two days: Slack retries an event within minutes, never days later."""
    from datetime import timedelta

    from sqlmodel import delete

    from store.models import SlackEventSeen

    with deps.session(write=True) as session:
        return session.exec(delete(SlackEventSeen).where(SlackEventSeen.received_at < now - timedelta(days=2)))


def _reminders(deps: Deps, now: datetime) -> object:
    from bot.coaching_log.scheduled import run_reminders

    return run_reminders(deps, now)


def _monthly_summary(deps: Deps, now: datetime) -> object:
    """Once last month's logs are due, share the summary (each recipient once; later runs find it posted)."""
    from datetime import timedelta

    from bot.reports.summary import share_summary
    from routing.logs import month_of
    from store.directory import ChannelPurpose, load_channels
    from store.summary import compile_summary

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
    outcomes = share_summary(engine=deps.engine, client=deps.client, summary=summary, directory=directory,
                             channels=channels)
    for outcome in outcomes:
        if outcome.failed:
            log.error("monthly summary %s not posted to %s: %s", month, outcome.recipient.label, outcome.detail)
    return outcomes


JOBS: dict[str, Job] = {
    "deadline-sweep": Job(
        name="deadline-sweep",
        describe="remind owners before deadlines; escalate or move training requests on when they pass",
        trigger=lambda settings: IntervalTrigger(minutes=1, timezone=settings.timezone),
        run=_sweep,
    ),
    "housekeeping": Job(
        name="housekeeping",
        describe="forget Slack event ids older than two days (they only guard against Slack's retries)",
        trigger=lambda settings: CronTrigger(minute=30, hour=3, timezone=settings.timezone),
        run=_housekeeping,
    ),
    "monthly-summary": Job(
        name="monthly-summary",
        describe="after last month's coaching logs are due, share the summary with the summary channels and CSTs",
        trigger=lambda settings: CronTrigger(minute=15, hour=9, day_of_week="mon-fri", timezone=settings.timezone),
        run=_monthly_summary,
    ),
    "monthly-reminders": Job(
        name="monthly-reminders",
        describe="coaching log due and late reminders; the lead facilitators' monthly update",
        trigger=lambda settings: CronTrigger(minute=5, hour="7-17", day_of_week="mon-fri", timezone=settings.timezone),
        run=_reminders,
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


def start_scheduler(deps: Deps) -> BackgroundScheduler:
    global _current
    _current = deps
    scheduler = build_scheduler(deps)
    scheduler.start()
    return scheduler


def next_runs(settings: Settings, now: datetime) -> list[tuple[str, str, datetime | None]]:
    """(name, description, next fire time) for every job, computed from the triggers without starting."""
    return [(job.name, job.describe, job.trigger(settings).get_next_fire_time(None, now)) for job in JOBS.values()]
