"""Working hours per recipient, *Remind me tomorrow*, reminders dropped at dispatch, "quiet until" and what
`cstbot schedule` says about waiting messages: the real app and dispatcher against the Slack stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time
from sqlmodel import select

from bot.coaching_log.scheduled import run_reminders
from bot.delivery.reminders import SNOOZE_BLOCK
from bot.ids import Action, Block
from routing import hours
from store import coaching_log as log_repo
from store import people
from store.directory import bump_directory_version
from store.models import Outbox
from tests.e2e.flows import all_text, buttons, click, submit_ask, submit_modal

CT, ET = ZoneInfo("America/Chicago"), ZoneInfo("America/New_York")
# Monday 2026-11-16 16:30 in Chicago: inside Chicago's hours, 17:30 in New York (outside).
MONDAY_1630_CT = datetime(2026, 11, 16, 22, 30, tzinfo=UTC)


def set_tz(env, slack_id: str, tz: str) -> None:
    with env.deps.session(write=True) as s:
        people.set_tz(session=s, person_id=env.person_id(slack_id), tz=tz, now=env.deps.now())
        bump_directory_version(session=s)
    env.deps.directories.forget()


def waiting_rows(env, channel: str) -> list[Outbox]:
    with env.deps.session() as s:
        rows = s.exec(select(Outbox).where(Outbox.status == "pending", Outbox.method == "chat.postMessage")).all()
        return [r for r in rows if r.payload.get("channel") == channel]


def test_a_request_after_the_owners_hours_waits_for_their_morning_and_counts_from_it(app_env):
    env = app_env
    set_tz(env, "UFACA0001", "America/New_York")  # Fay, Team A's facilitator, works in New York
    with freeze_time(MONDAY_1630_CT) as clock:
        assert submit_ask(env, "UMEMA0001", "Where is the new rubric?").status == 200
        env.deliver()
        assert env.dms("UMEMA0001")  # the asker, who just acted, gets their status card now
        assert not env.dms("UFACA0001")  # Fay's card waits for her working morning
        [row] = waiting_rows(env, "UFACA0001")
        morning = row.next_attempt_at.astimezone(ET)
        assert (morning.date().isoformat(), morning.hour) == ("2026-11-17", 8) and morning.minute < 20
        assert row.held_until == row.next_attempt_at
        with env.deps.session() as s:
            state = env.service().item(s, row.item_id)[1]
        # Her two business days count from Tuesday morning (08:00 Chicago, the protocol's business day), not
        # from Monday 16:30: Thursday 08:00 Chicago.
        assert state.deadline_at == datetime(2026, 11, 19, 14, 0, tzinfo=UTC)

        clock.move_to(row.next_attempt_at - timedelta(seconds=1))
        env.deliver()
        assert not env.dms("UFACA0001")
        clock.move_to(row.next_attempt_at)
        env.deliver()
        assert len(env.dms("UFACA0001")) == 1
        assert hours.is_working(env.deps.now(), ET, env.deps.protocols.current.calendar)
        assert "Where is the new rubric?" in all_text(env.dms("UFACA0001")[0].args)


def test_a_time_sensitive_request_goes_at_once_whatever_the_hour(app_env):
    env = app_env
    set_tz(env, "UFACA0001", "America/New_York")
    with freeze_time(MONDAY_1630_CT):
        assert submit_ask(env, "UMEMA0001", "The board meets tonight", urgency="urgent").status == 200
        env.deliver()
        assert len(env.dms("UFACA0001")) == 1
        assert not waiting_rows(env, "UFACA0001")
        with env.deps.session() as s:
            item_id = max(s.exec(select(Outbox.item_id).where(Outbox.item_id.is_not(None))))
            state = env.service().item(s, item_id)[1]
        assert state.deadline_at == datetime(2026, 11, 18, 22, 30, tzinfo=UTC)  # Wednesday 16:30: from now


def _log_reminder_morning(env, clock):
    """Write November's log reminders when they are due (17:00 Chicago: after hours), then go to the next morning
    when they have all gone."""
    protocol = env.deps.protocols.current
    clock.move_to(protocol.log_reminder_at("2026-11"))
    assert run_reminders(env.deps, env.deps.now()).sent == 5
    env.deliver()
    assert not env.slack.calls_to("chat.postMessage")  # everyone has left for the day
    with env.deps.session() as s:
        last = max(r.next_attempt_at for r in s.exec(select(Outbox).where(Outbox.status == "pending")))
    assert last.astimezone(CT).hour == 8
    clock.move_to(last)


def test_remind_me_tomorrow_twice_then_no_more(app_env):
    env = app_env
    with freeze_time(MONDAY_1630_CT) as clock:
        _log_reminder_morning(env, clock)
        env.deliver()
        [first] = env.dms("UFACA0001")
        text = all_text(first.args)
        assert "is due" in text and "Remind me tomorrow" in text
        row_id = buttons(first.args)[Action.SNOOZE.value]

        for _ in (1, 2):
            env.slack.clear()
            assert click(env, "UFACA0001", Action.SNOOZE.value, row_id).status == 200
            env.deliver()  # the clicked message now says it is snoozed; nothing new is posted today
            assert not env.slack.calls_to("chat.postMessage")
            [edited] = env.slack.calls_to("chat.update")
            assert "Snoozed: I will remind you again" in all_text(edited.args)
            assert Action.SNOOZE.value not in buttons(edited.args)
            # A second click on the same message snoozes once.
            assert click(env, "UFACA0001", Action.SNOOZE.value, row_id).status == 200
            with env.deps.session() as s:
                again = s.exec(select(Outbox).where(Outbox.dedupe_key == f"snooze:{row_id}")).one()
            assert again.held_until > env.deps.now()
            tomorrow = again.next_attempt_at.astimezone(CT)
            assert tomorrow.date() > env.deps.now().astimezone(CT).date() and tomorrow.hour == 8
            clock.move_to(again.next_attempt_at)
            env.deliver()
            [back] = env.dms("UFACA0001")
            assert "is due" in all_text(back.args)
            row_id = buttons(back.args).get(Action.SNOOZE.value)
        # After the second snooze the reminder has no button and says so.
        assert row_id is None
        assert "cannot be snoozed again" in all_text(back.args)
        assert not [b for b in back.args["blocks"] if b.get("block_id") == SNOOZE_BLOCK and b["type"] == "actions"]
        with env.deps.session() as s:
            last = [r for r in s.exec(select(Outbox).where(Outbox.method == "chat.postMessage"))
                    if (r.payload.get("_snooze") or {}).get("n") == 2]
        assert len(last) == 1
        env.slack.clear()
        assert click(env, "UFACA0001", Action.SNOOZE.value, str(last[0].id)).status == 200  # a forged third click
        env.deliver()
        assert not env.slack.calls_to("chat.postMessage") and not env.slack.calls_to("chat.update")


def test_a_reminder_for_a_log_submitted_before_it_went_out_is_not_sent(app_env):
    env = app_env
    with freeze_time(MONDAY_1630_CT) as clock:
        _log_reminder_morning(env, clock)
        morning = env.deps.now()
        clock.move_to(morning.astimezone(CT).replace(hour=7, minute=55))  # Fay submits Team A's log at 07:55
        with env.deps.session(write=True) as s:
            log_repo.submit(session=s, team_id=1, month="2026-11", person_id=env.person_id("UFACA0001"),
                            now=env.deps.now())
        clock.move_to(morning)
        stats = env.deliver()
        assert not env.dms("UFACA0001") and not env.dms("UMEMA0001") and not env.dms("UMEMA0002")
        assert env.dms("UFACB0001") and env.dms("UMEMB0001")  # Team B's log is still due
        assert stats.dropped == 3
        with env.deps.session() as s:
            dropped = [r for r in s.exec(select(Outbox)) if (r.result or {}).get("skipped", "").startswith("no longer")]
        assert {r.payload["channel"] for r in dropped} == {"UFACA0001", "UMEMA0001", "UMEMA0002"}


def test_quiet_until_from_the_home_tab_routes_around_the_person(app_env):
    env = app_env
    with freeze_time(datetime(2026, 11, 16, 16, 0, tzinfo=UTC)):
        assert click(env, "UFACA0001", Action.HOME_QUIET.value, "", view={"type": "home", "id": "VHOME"}).status == 200
        opened = env.slack.last("views.open").args["view"]
        assert opened["callback_id"] == "cst_quiet"
        too_early = {Block.QUIET_UNTIL: {Block.QUIET_UNTIL: {"type": "datepicker", "selected_date": "2026-11-01"}}}
        response = submit_modal(env, "UFACA0001", too_early)
        assert response.json()["response_action"] == "errors"
        until = {Block.QUIET_UNTIL: {Block.QUIET_UNTIL: {"type": "datepicker", "selected_date": "2026-11-27"}}}
        assert submit_modal(env, "UFACA0001", until).status == 200
        home = env.slack.last("views.publish").args["view"]
        assert "You are quiet until Friday November 27" in str(home)
        env.deps.directories.forget()

        assert submit_ask(env, "UMEMA0001", "Who covers for Fay?").status == 200
        with env.deps.session() as s:
            item_id = max(r.item_id for r in s.exec(select(Outbox)) if r.item_id is not None)
            state = env.service().item(s, item_id)[1]
        assert state.owner_id != env.person_id("UFACA0001")
        assert set(state.holders) == {env.person_id("ULEAD0001"), env.person_id("ULEAD0002")}
        env.deliver()
        assert not env.dms("UFACA0001")


def test_schedule_shows_the_messages_waiting_for_working_hours(app_env, db_url, monkeypatch, capsys):
    from bot.cli import main

    env = app_env
    monkeypatch.setenv("DATABASE_URL", db_url)
    due = env.deps.protocols.current.log_reminder_at("2026-11")  # 17:00 Chicago
    with freeze_time(due + timedelta(hours=1)):
        assert main(["schedule"]) == 0
        assert "Messages waiting for working hours: none." in capsys.readouterr().out
        assert run_reminders(env.deps, env.deps.now()).sent == 5
        env.deliver()
        assert main(["schedule"]) == 0
    out = capsys.readouterr().out
    assert "deadline-sweep" in out and "timezones" in out
    assert "Messages waiting for working hours: 5 " in out
    next_lines = [line for line in out.splitlines() if " 08:" in line and "message" in line]
    assert next_lines and sum(int(line.split()[-2]) for line in next_lines) == 5


def test_the_monthly_summary_reaches_each_facilitator_in_their_working_hours(app_env):
    """The edition is queued once for everyone; a person's message and files wait in the outbox for their working
    morning, channels go at once."""
    from bot.delivery.scheduler import JOBS

    env = app_env
    set_tz(env, "UFACA0001", "America/New_York")
    due = env.deps.protocols.current.log_due_at("2026-11")  # 17:00 Chicago
    with freeze_time(due + timedelta(hours=14, minutes=15)):  # 07:15 Chicago, 08:15 New York
        JOBS["monthly-summary"].run(env.deps, env.deps.now())
        env.deliver()
        posted = {c.args["channel"] for c in env.slack.calls_to("chat.postMessage")}
        assert {"C0SUMMARY1", "UFACA0001"} <= posted and "UFACB0001" not in posted  # Bo is not at work yet
        with env.deps.session() as s:
            bo = s.exec(select(Outbox).where(Outbox.dedupe_key.like("summary:2026-11:r0:UFACB0001%"))).all()
        assert sorted(r.method for r in bo) == ["chat.postMessage", "files.upload"]
        assert all(r.status == "pending" and r.held_until is not None for r in bo)
        assert len({r.held_until for r in bo}) == 1  # the message and its files wait together
        morning = bo[0].held_until.replace(tzinfo=UTC).astimezone(CT)
        assert (morning.hour, morning.date()) == (8, (due + timedelta(hours=14, minutes=15)).astimezone(CT).date())
    env.slack.clear()
    with freeze_time(due + timedelta(hours=15, minutes=30)):  # 08:30 Chicago, past the morning's spread
        JOBS["monthly-summary"].run(env.deps, env.deps.now())  # queues nothing new
        env.deliver()
        posted = [c.args["channel"] for c in env.slack.calls_to("chat.postMessage")]
        assert posted.count("UFACB0001") == 1 and "UFACA0001" not in posted and "C0SUMMARY1" not in posted


def test_each_persons_time_zone_is_asked_once_then_refreshed_at_night(app_env):
    from bot.delivery.scheduler import JOBS

    env = app_env
    with env.deps.session() as s:
        on_slack = [p.slack_id for p in env.service().directory(s).people.values() if p.slack_id]
    env.slack.user_profiles.update({slack_id: {"tz": "America/Chicago"} for slack_id in on_slack})
    env.slack.user_profiles["UFACA0001"] = {"tz": "America/New_York"}
    with freeze_time(MONDAY_1630_CT) as clock:
        stats = JOBS["timezones"].run(env.deps, env.deps.now())
        assert stats.asked == len(on_slack) == 16 and stats.changed == 16  # everyone on Slack, once
        assert len(env.slack.calls_to("users.info")) == 16
        env.deps.directories.forget()  # (a process sees the new roster version within seconds)
        with env.deps.session() as s:
            assert env.service().directory(s).by_slack_id("UFACA0001").tz == "America/New_York"
        env.slack.clear()
        assert JOBS["timezones"].run(env.deps, env.deps.now()).asked == 0  # asked already, not at night
        env.slack.user_profiles["UFACA0001"] = {"tz": "America/Denver"}  # Fay moved
        clock.move_to(datetime(2026, 11, 17, 22, 0, tzinfo=UTC))  # the next afternoon: not asked again
        assert JOBS["timezones"].run(env.deps, env.deps.now()).asked == 0
        clock.move_to(datetime(2026, 11, 18, 8, 0, tzinfo=UTC))  # 02:00 Chicago, more than 20 hours on
        stats = JOBS["timezones"].run(env.deps, env.deps.now())
        assert stats.asked == 16 and stats.changed == 1
        env.deps.directories.forget()
        with env.deps.session() as s:
            assert env.service().directory(s).by_slack_id("UFACA0001").tz == "America/Denver"
        env.slack.fail_next("users.info", status=429, retry_after=30)
        clock.move_to(datetime(2026, 11, 19, 8, 0, tzinfo=UTC))
        assert JOBS["timezones"].run(env.deps, env.deps.now()).stopped == "rate limited"
