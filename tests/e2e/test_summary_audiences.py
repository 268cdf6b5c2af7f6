"""The monthly summary reaches every audience the protocol names, the summaries channels and every CST member,
through the outbox; a late log brings a revised summary to the same readers the next business morning, once; a
Slack outage delays the files and neither loses nor doubles them. Over signed HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import openpyxl  # noqa: F401 - imported before any clock is frozen: it keys its date formats by the datetime class
import pytest
from freezegun import freeze_time

from bot.delivery.scheduler import JOBS
from bot.ids import Action, Callback
from tests.e2e.conftest import MONDAY_10AM, ROSTER, running_app
from tests.e2e.test_logs_flow import open_log, submit_log
from tests.store.roster_helpers import edit

AUDIENCE_ROSTER = edit(
    ROSTER,
    ("  - {email: director@north.example, name: Dora Director, slack_id: UDIRR0001}\n",
     "  - {email: director@north.example, name: Dora Director, slack_id: UDIRR0001}\n"
     "  - {email: ls@dese.example, name: Lia Services, slack_id: ULSVC0001}\n"
     "  - {email: east@dese.example, name: Ed East, slack_id: UAREA0001}\n"
     "  - {email: west@dese.example, name: Wes West, slack_id: UAREA0002}\n"),
    ("    - {person: director@north.example, center: North Center}\n",
     "    - {person: director@north.example, center: North Center}\n"
     "  learning_services: [ls@dese.example]\n"
     "  area_supervisors:\n"
     "    - {person: east@dese.example, region: East}\n"
     "    - {person: west@dese.example, districts: [District Three]}\n"
     "    - {person: ls@dese.example, zone: Early}\n"  # in two audiences: one copy, with the zone first
     "  channels:\n"
     "    learning_services: [C0LEARN001]\n"),
)
CHANNELS = ["C0SUMMARY1", "C0LEARN001"]
AUDIENCE_DMS = ["ULSVC0001", "UDIRR0001", "UAREA0001", "UAREA0002"]
CST = ["UFACA0001", "UFACB0001", "UMEMA0001", "UMEMA0002", "UMEMB0001"]  # facilitators, then every member
SUPPORT = ["USUPP0001"]
EVERYONE = CHANNELS + AUDIENCE_DMS + CST + SUPPORT


def morning(day: str) -> datetime:
    """9:15 in Chicago, when the job runs on business days."""
    return datetime.fromisoformat(f"{day}T09:15:00-06:00")


@pytest.fixture
def env(engine, slack):
    with running_app(engine, slack, AUDIENCE_ROSTER) as app:
        yield app


def submit_month(env, facilitator: str, team_id: int, month: str = "2026-11") -> None:
    env.client.interactivity(env.client.block_action(facilitator, Action.LOG_REVIEW, f"{team_id}:{month}"))
    review = env.slack.last("views.open").args["view"]
    payload = env.client.view_submission(facilitator, Callback.LOG_SUBMIT.value, {},
                                         private_metadata=review["private_metadata"], view=review)
    assert "Submitted" in str(env.client.interactivity(payload).json()["view"])


def reopen_month(env, facilitator: str, team_id: int, month: str = "2026-11") -> None:
    env.client.interactivity(env.client.block_action(facilitator, Action.LOG_REOPEN, f"{team_id}:{month}"))
    reopen = env.slack.last("views.open").args["view"]
    payload = env.client.view_submission(
        facilitator, Callback.LOG_REOPEN.value, {"note": {"note": {"type": "plain_text_input", "value": "More"}}},
        private_metadata=reopen["private_metadata"], view=reopen)
    assert "open again" in str(env.client.interactivity(payload).json()["view"])


def november(env) -> None:
    """Team A logs two interactions in its two districts (90 minutes) and submits on time; Team B logs one in
    District Three and has not submitted when the summary goes out."""
    with freeze_time(MONDAY_10AM):
        submit_log(env, "UMEMA0001", open_log(env, "UMEMA0001"), district="1", minutes="60")
        submit_log(env, "UMEMA0002", open_log(env, "UMEMA0002"), district="2", minutes="30", members=())
        submit_log(env, "UMEMB0001", open_log(env, "UMEMB0001"), district="3", minutes="45", members=(),
                   topics=("Special Education",))
        submit_month(env, "UFACA0001", 1)


def summaries(env, who: str) -> list[str]:
    """The summary messages `who` (a user or channel id) received, in order."""
    return [c.args["text"] for c in env.dms(who) if "oaching interaction summary" in c.args.get("text", "")]


def test_every_audience_and_every_cst_member_gets_the_summary_with_their_own_districts_first(env):
    november(env)
    with freeze_time(morning("2026-12-07")):  # the logs are due at 17:00 today: nothing yet
        assert JOBS["monthly-summary"].run(env.deps, env.deps.now()) == []
    with freeze_time(morning("2026-12-08")):
        (edition,) = JOBS["monthly-summary"].run(env.deps, env.deps.now())
        assert JOBS["monthly-summary"].run(env.deps, env.deps.now()) == []  # a second run sends nothing
        assert [o.recipient.key for o in edition.outcomes] == EVERYONE
        assert {o.status for o in edition.outcomes} == {"queued"}
        env.deliver()

    for who in EVERYONE:
        assert len(summaries(env, who)) == 1, who
    shared = Counter(c.args["channel_id"] for c in env.slack.calls_to("files.completeUploadExternal"))
    assert shared == Counter({c if c.startswith("C") else "D" + c: 1 for c in EVERYONE})  # workbook + chart each

    (director,) = summaries(env, "UDIRR0001")
    assert director.startswith(
        "*Coaching interaction summary, November 2026* (Test Network)\n\n"
        "*Your districts: North Center*\n"
        "2 interactions, 1.5 hours, 2 of 2 districts served.\n"
        "Teams' logs: Team A on time\n\n"
        "*Whole state*\n"
        "From the submitted logs: *2* interactions, *1.5* hours, 1 team, 2 districts.\n"
    ), director
    (west,) = summaries(env, "UAREA0002")
    assert west.startswith(
        "*Coaching interaction summary, November 2026* (Test Network)\n\n"
        "*Your districts: District Three*\n"
        "0 interactions, 0.0 hours, 0 of 1 district served.\n"
        "Teams' logs: Team B not submitted\n\n"
        "*Whole state*\n"
    ), west
    (east,) = summaries(env, "UAREA0001")
    assert "*Your districts: the East region*\n2 interactions, 1.5 hours, 2 of 2 districts served." in east
    (services,) = summaries(env, "ULSVC0001")  # learning services, and supervisor of the Early zone
    assert "*Your districts: the Early zone*\n0 interactions, 0.0 hours, 0 of 1 district served." in services
    for who in CHANNELS + CST + SUPPORT:
        assert "*Your districts" not in summaries(env, who)[0]
    assert "_Your team Team B: log not submitted yet" in summaries(env, "UMEMB0001")[0]


def test_a_late_log_brings_one_revised_summary_to_the_same_readers_the_next_business_morning(env):
    november(env)
    with freeze_time(morning("2026-12-08")):
        JOBS["monthly-summary"].run(env.deps, env.deps.now())
        env.deliver()
    with freeze_time("2026-12-09T20:00:00Z"):  # Wednesday afternoon: Team B submits, late
        submit_month(env, "UFACB0001", 2)
    env.slack.clear()
    with freeze_time(morning("2026-12-10")):
        (revised,) = JOBS["monthly-summary"].run(env.deps, env.deps.now())
        assert revised.revision == 1 and revised.changes == ("Team B's log arrived: +1 interaction, +0.8 hours",)
        assert JOBS["monthly-summary"].run(env.deps, env.deps.now()) == []  # once per revision
        env.deliver()
    for who in EVERYONE:
        (text,) = summaries(env, who)
        assert text.startswith("*Revised coaching interaction summary, November 2026* (Test Network)\n\n"
                               "_Late logs have arrived since the last summary:_\n"
                               "• Team B's log arrived: +1 interaction, +0.8 hours\n"), who
    (west,) = summaries(env, "UAREA0002")
    assert "*Your districts: District Three*\n1 interaction, 0.8 hours, 1 of 1 district served.\n" \
           "Teams' logs: Team B late" in west
    with freeze_time(morning("2026-12-11")):
        assert JOBS["monthly-summary"].run(env.deps, env.deps.now()) == []  # nothing new: nothing sent

    # Reopened, one more interaction, submitted again: one more revision, saying so.
    with freeze_time("2026-12-11T20:00:00Z"):
        reopen_month(env, "UFACB0001", 2)
        submit_log(env, "UMEMB0001", open_log(env, "UMEMB0001"), district="3", day="2026-11-20", minutes="15",
                   members=(), topics=("Special Education",))
        submit_month(env, "UFACB0001", 2)
    env.slack.clear()
    with freeze_time(morning("2026-12-14")):  # Friday's resubmission: Monday morning
        (again,) = JOBS["monthly-summary"].run(env.deps, env.deps.now())
        assert (again.revision, again.changes) == (2, ("Team B's log was submitted again: +1 interaction, "
                                                       "+0.2 hours",))
        env.deliver()
    assert all(len(summaries(env, who)) == 1 for who in EVERYONE)


def test_a_slack_outage_delays_the_files_and_neither_loses_nor_doubles_them(env):
    from bot.slack.client import SafeConnectionRetry

    env.deps.client.retry_handlers = [SafeConnectionRetry(max_retry_count=1)]  # as `make_client` builds it
    november(env)
    with freeze_time(morning("2026-12-08")) as clock:
        env.slack.chaos("files.getUploadURLExternal", p_error=1.0)  # Slack's file service is down
        JOBS["monthly-summary"].run(env.deps, env.deps.now())
        env.deliver()
        assert all(len(summaries(env, who)) == 1 for who in EVERYONE)  # the messages went out
        assert not env.slack.calls_to("files.completeUploadExternal")
        for _ in range(3):  # still down: the files wait, nothing is given up
            clock.tick(600)
            env.deliver()
        env.slack.calm()
        # Slack is back; one share's answer is lost after it was done: looked up, not shared twice.
        env.slack.reset_next("files.completeUploadExternal", posted=True)
        clock.tick(900)
        env.deliver()
        clock.tick(60)
        env.deliver()
    for who in EVERYONE:
        shared = [m for m in env.slack.messages(who) if m.get("files")]
        assert len(shared) == 1 and len(shared[0]["files"]) == 2, who
    assert len(summaries(env, "UDIRR0001")) == 1
    assert len(env.slack.calls_to("conversations.history")) == 1  # the one share in doubt was looked up
