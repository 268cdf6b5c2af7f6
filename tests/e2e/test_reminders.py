"""Monthly reminders go out once per person and month, however often the job runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time

from bot.coaching_log.scheduled import run_reminders
from bot.delivery.scheduler import JOBS, build_scheduler, next_runs
from store import coaching_log as log_repo
from tests.e2e.flows import all_text, until_the_morning


def test_log_reminders_before_the_due_date_then_one_late_nudge(app_env):
    env = app_env
    protocol = env.deps.protocols.current
    remind_at, due_at = protocol.log_reminder_at("2026-11"), protocol.log_due_at("2026-11")
    assert remind_at < due_at
    with freeze_time(remind_at) as clock:
        stats = run_reminders(env.deps, env.deps.now())
        # Facilitators of both teams and the three members.
        assert (stats.sent, stats.already) == (5, 0)
        assert run_reminders(env.deps, env.deps.now()).sent == 0
        env.deliver()
        assert not env.dms("UFACA0001")  # written at 17:00: they wait for everyone's next working morning
        until_the_morning(env, clock)
        env.deliver()
        fac = all_text(env.dms("UFACA0001")[-1].args)
        assert "coaching log for November 2026 is due" in fac and "Review & submit" in fac
        assert "Any coaching interactions from November 2026" in all_text(env.dms("UMEMA0001")[-1].args)

        # Team A submits; after the due date only team B's facilitator is nudged, once.
        with env.deps.session(write=True) as s:
            log_repo.submit(
                session=s, team_id=1, month="2026-11", person_id=env.person_id("UFACA0001"), now=env.deps.now()
            )
        clock.move_to(due_at)
        env.slack.clear()
        assert run_reminders(env.deps, env.deps.now()).sent == 1
        assert run_reminders(env.deps, env.deps.now()).sent == 0
        until_the_morning(env, clock)
        env.deliver()
        assert [c.args["channel"] for c in env.slack.calls_to("chat.postMessage")] == ["UFACB0001"]
        assert "is late" in all_text(env.slack.last("chat.postMessage").args)


def test_the_scheduler_lists_its_jobs_without_running_them(app_env):
    scheduler = build_scheduler(app_env.deps)
    assert {job.id for job in scheduler.get_jobs()} == set(JOBS)
    runs = {name: when for name, _, when in next_runs(app_env.deps.settings, datetime(2026, 11, 21, 12, tzinfo=UTC))}
    # Saturday noon: the sweep runs within the minute; reminders wait for Monday 07:05 Chicago time.
    assert runs["monthly-reminders"].isoformat() == "2026-11-23T07:05:00-06:00"


def test_housekeeping_forgets_old_event_ids_only(app_env):
    from sqlmodel import select

    from store.models import SlackEventSeen

    env = app_env
    event = {"type": "app_home_opened", "user": "UFACA0001", "tab": "home"}
    with freeze_time("2026-11-16T16:00:00Z") as clock:
        env.client.event(event, event_id="EvOld")
        clock.move_to("2026-11-19T16:00:00Z")
        env.client.event(event, event_id="EvNew")
        JOBS["housekeeping"].run(env.deps, env.deps.now())
    with env.deps.session() as s:
        assert [r.event_id for r in s.exec(select(SlackEventSeen))] == ["EvNew"]


def test_a_facilitator_of_two_teams_is_reminded_for_each(app_env):
    from store.models import TeamMembership

    env = app_env
    fay = env.person_id("UFACA0001")
    with env.deps.session(write=True) as s:  # Fay also facilitates Team B (the roster allows it)
        s.add(TeamMembership(team_id=2, person_id=fay, role="facilitator"))
    env.deps.directories.forget()
    with freeze_time(env.deps.protocols.current.log_reminder_at("2026-11")) as clock:
        run_reminders(env.deps, env.deps.now())
        until_the_morning(env, clock)
        env.deliver()
        texts = [all_text(c.args) for c in env.dms("UFACA0001")]
        assert len(texts) == 2 and any("Team A" in t for t in texts) and any("Team B" in t for t in texts)


def test_the_monthly_summary_is_shared_once_after_the_logs_are_due(app_env):
    env = app_env
    due = env.deps.protocols.current.log_due_at("2026-11")
    with freeze_time(due - timedelta(hours=1)):
        assert JOBS["monthly-summary"].run(env.deps, env.deps.now()) == []  # not due yet: nothing queued
    with freeze_time(due + timedelta(hours=16)):
        (edition,) = JOBS["monthly-summary"].run(env.deps, env.deps.now())
        assert {o.status for o in edition.outcomes} == {"queued"}
        env.deliver()
        posted = [c.args["channel"] for c in env.slack.calls_to("chat.postMessage")]
        assert "C0SUMMARY1" in posted and "UFACA0001" in posted and "UFACB0001" in posted
        assert "UMEMA0001" in posted and "UMEMB0001" in posted  # every CST member (share_with: teams)
        assert "UDIRR0001" in posted  # the RPDC director of North Center
        assert "USUPP0001" in posted  # the support team gets the summary like the teams
        assert env.slack.calls_to("files.completeUploadExternal")
        env.slack.clear()
        assert JOBS["monthly-summary"].run(env.deps, env.deps.now()) == []  # each reader once
        env.deliver()
        assert not env.slack.calls_to("chat.postMessage")