"""Coaching interaction logs over signed HTTP: add, validate, review, edit, remove, submit, reopen."""

from __future__ import annotations

from freezegun import freeze_time
from sqlmodel import Session, select

from bot.ids import Action, Callback
from store.models import Interaction, LogMonth
from tests.e2e.conftest import MONDAY_10AM

PLANNING = "planning"


def values(
    district="1",
    day="2026-11-13",
    minutes="60",
    kind=PLANNING,
    participants="Principal, 3rd-grade team",
    members=("2",),
    topics=("Data",),
    resources="Data wall template",
    comments="Next: walkthrough",
    description="",
    no_student_data=False,
):
    v = {
        "district": {"district": {"type": "static_select", "selected_option": {"value": district}}},
        "date": {"date": {"type": "datepicker", "selected_date": day}},
        "duration": {"duration": {"type": "number_input", "value": minutes}},
        "type": {"type": {"type": "radio_buttons", "selected_option": {"value": kind} if kind else None}},
        "description": {"description": {"type": "plain_text_input", "value": description or None}},
        "participants": {"participants": {"type": "plain_text_input", "value": participants}},
        "members": {"members": {"type": "multi_static_select", "selected_options": [{"value": m} for m in members]}},
        "topics": {"topics": {"type": "multi_static_select", "selected_options": [{"value": t} for t in topics]}},
        "resources": {"resources": {"type": "plain_text_input", "value": resources}},
        "comments": {"comments": {"type": "plain_text_input", "value": comments}},
        "privacy": {
            "privacy": {"type": "checkboxes", "selected_options": [{"value": "none"}] if no_student_data else []}
        },
    }
    return v


def open_log(env, user):
    r = env.client.slash_command("/cst", "log", user_id=user)
    assert r.status == 200
    view = env.slack.last("views.open").args["view"]
    assert view["callback_id"] == Callback.LOG
    return view


def submit_log(env, user, view, **kw):
    payload = env.client.view_submission(
        user, Callback.LOG.value, values(**kw), private_metadata=view["private_metadata"], view=view
    )
    return env.client.interactivity(payload)


def rows(env):
    with Session(env.engine) as s:
        return list(s.exec(select(Interaction).where(Interaction.deleted_at.is_(None)).order_by(Interaction.id)))


def test_member_logs_and_the_form_refuses_what_the_protocol_forbids(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        view = open_log(env, "UMEMA0001")
        # Only the team's districts and members are offered.
        district_block = next(b for b in view["blocks"] if b.get("block_id") == "district")
        assert {o["text"]["text"] for o in district_block["element"]["options"]} == {"District One", "District Two"}

        r = submit_log(env, "UMEMA0001", view, kind="training")
        assert r.json()["response_action"] == "errors"
        assert "DESE activity log" in r.json()["errors"]["type"]

        r = submit_log(env, "UMEMA0001", view, kind="unsure")
        assert r.json()["errors"] == {
            "description": "Not sure it was coaching? Describe what happened, so the reviewer can decide."
        }

        r = submit_log(env, "UMEMA0001", view, day="2026-11-20", minutes="0")
        errors = r.json()["errors"]
        assert "future" in errors["date"] and "more than zero" in errors["duration"]
        assert (
            "longer than a working day"
            in submit_log(env, "UMEMA0001", view, minutes="600").json()["errors"]["duration"]
        )
        assert "not one of your team's" in submit_log(env, "UMEMA0001", view, district="3").json()["errors"]["district"]
        r = submit_log(env, "UMEMA0001", view, comments="Talked about student Jamie Fox, DOB 3/4/2015")
        assert "FERPA" in r.json()["errors"]["comments"]
        assert rows(env) == []

        r = submit_log(env, "UMEMA0001", view, kind="unsure", description="Joined their PLC as an observer")
        assert r.json()["response_action"] == "update"
        assert "Logged: 60 min" in str(r.json()["view"])
        # The pattern was wrong here ("Student Fair Night" is an event): the person says so and it is kept.
        r = submit_log(env, "UMEMA0001", view, comments="Planned Student Fair Night", no_student_data=True)
        assert r.json()["response_action"] == "update"
        saved = rows(env)
        assert [(x.interaction_type, x.duration_minutes, x.author_id) for x in saved] == [
            ("unsure", 60, env.person_id("UMEMA0001")),
            (PLANNING, 60, env.person_id("UMEMA0001")),
        ]
        assert saved[1].no_student_data and saved[1].month == "2026-11" and saved[1].topics == ["Data"]


def test_facilitator_reviews_edits_removes_submits_and_reopens(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        submit_log(env, "UMEMA0001", open_log(env, "UMEMA0001"), comments="first")
        submit_log(env, "UMEMA0002", open_log(env, "UMEMA0002"), minutes="30", comments="second", members=())
        submit_log(env, "UFACA0001", open_log(env, "UFACA0001"), minutes="45", kind="feedback", members=())
        first, second, third = rows(env)

        # A member cannot review the month.
        env.client.interactivity(env.client.block_action("UMEMA0001", Action.LOG_REVIEW, "1:2026-11"))
        assert "Only the team's CST facilitator" in str(env.slack.last("views.open").args["view"])

        env.client.interactivity(env.client.block_action("UFACA0001", Action.LOG_REVIEW, "1:2026-11"))
        review = env.slack.last("views.open").args["view"]
        assert review["callback_id"] == Callback.LOG_SUBMIT and review["submit"]["text"] == "Submit 3 entries"
        review = {**review, "id": "VREVIEW1"}

        # Edit the member's entry from the review: the pushed form is prefilled, and saving refreshes the review.
        menu = {
            "type": "overflow",
            "action_id": Action.LOG_ENTRY_MENU,
            "selected_option": {"value": f"edit:{second.id}"},
        }
        env.client.interactivity(
            env.client.block_action("UFACA0001", Action.LOG_ENTRY_MENU, None, action=menu, view=review)
        )
        pushed = env.slack.last("views.push").args["view"]
        duration = next(b for b in pushed["blocks"] if b.get("block_id") == "duration")
        assert duration["element"]["initial_value"] == "30"
        payload = env.client.view_submission(
            "UFACA0001",
            Callback.LOG.value,
            values(minutes="50", comments="second, corrected", members=()),
            private_metadata=pushed["private_metadata"],
            view=pushed,
        )
        assert env.client.interactivity(payload).text in ("", "{}")
        assert env.slack.last("views.update").args["view_id"] == "VREVIEW1"
        assert [r.duration_minutes for r in rows(env)] == [60, 50, 45]

        # Remove the facilitator's own entry.
        menu["selected_option"] = {"value": f"remove:{third.id}"}
        env.client.interactivity(
            env.client.block_action("UFACA0001", Action.LOG_ENTRY_MENU, None, action=menu, view=review)
        )
        assert len(rows(env)) == 2
        refreshed = env.slack.last("views.update").args["view"]
        assert refreshed["submit"]["text"] == "Submit 2 entries"

        # Submit: one click on the review.
        payload = env.client.view_submission(
            "UFACA0001", Callback.LOG_SUBMIT.value, {}, private_metadata=review["private_metadata"], view=review
        )
        r = env.client.interactivity(payload)
        assert "Submitted Team A's log for November 2026: 2 interactions, on time" in str(r.json()["view"])

        # The month is locked: adding to it is refused on the date field.
        r = submit_log(env, "UMEMA0001", open_log(env, "UMEMA0001"), day="2026-11-10")
        assert "November 2026 is already submitted" in r.json()["errors"]["date"]

        # Reopen with a reason, which is kept.
        env.client.interactivity(env.client.block_action("UFACA0001", Action.LOG_REOPEN, "1:2026-11"))
        reopen = env.slack.last("views.open").args["view"]
        payload = env.client.view_submission(
            "UFACA0001",
            Callback.LOG_REOPEN.value,
            {"note": {"note": {"type": "plain_text_input", "value": "Missed a visit"}}},
            private_metadata=reopen["private_metadata"],
            view=reopen,
        )
        assert "open again" in str(env.client.interactivity(payload).json()["view"])
        with Session(env.engine) as s:
            month = s.exec(select(LogMonth)).one()
        assert month.status == "open"
        assert [h["action"] for h in month.history] == ["submitted", "reopened"]
        assert month.history[1]["reason"] == "Missed a visit"
        assert (
            submit_log(env, "UMEMA0001", open_log(env, "UMEMA0001"), day="2026-11-10").json()["response_action"]
            == "update"
        )


def test_home_shows_the_log_to_members_and_facilitators(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        submit_log(env, "UMEMA0001", open_log(env, "UMEMA0001"))
        env.client.event({"type": "app_home_opened", "user": "UFACA0001", "tab": "home"})
        home = str(env.slack.last("views.publish").args["view"])
        assert "Coaching log · Team A" in home and "November 2026*: 1 interaction (0 by you)" in home
        assert "Review & submit" in home
        env.client.event({"type": "app_home_opened", "user": "UMEMA0001", "tab": "home"})
        home = str(env.slack.last("views.publish").args["view"])
        assert "(1 by you)" in home and "Review & submit" not in home and "Log an interaction" in home


def test_what_was_entered_in_slack_is_exported_field_for_field_and_summarised(app_env, tmp_path, monkeypatch, capsys):
    """Entries made through the Slack form come out of `cstbot export logs` unchanged, and the summary of the
    submitted month counts them (a hand-made month: two teams, one submitted on time, one not)."""
    import csv
    import io

    from bot.cli import main
    from store.summary import compile_summary

    env = app_env
    with freeze_time(MONDAY_10AM):
        submit_log(
            env,
            "UMEMA0001",
            open_log(env, "UMEMA0001"),
            day="2026-11-02",
            minutes="60",
            kind="planning",
            participants="Principal; 3rd-grade team",
            members=("2", "3"),
            topics=("Data", "Implementation"),
            resources='=HYPERLINK("x")',
            comments="Agreed on a data wall",
        )
        submit_log(
            env,
            "UMEMA0002",
            open_log(env, "UMEMA0002"),
            district="2",
            day="2026-11-09",
            minutes="30",
            kind="unsure",
            description="Observed a PLC",
            participants="PLC",
            members=(),
            topics=(),
            resources="",
            comments="",
        )
        submit_log(
            env,
            "UMEMB0001",
            open_log(env, "UMEMB0001"),
            district="3",
            day="2026-11-10",
            minutes="90",
            kind="feedback",
            participants="SPED team",
            members=(),
            topics=("Special Education",),
            resources="",
            comments="",
        )
        env.client.interactivity(env.client.block_action("UFACA0001", Action.LOG_REVIEW, "1:2026-11"))
        review = env.slack.last("views.open").args["view"]
        env.client.interactivity(
            env.client.view_submission(
                "UFACA0001", Callback.LOG_SUBMIT.value, {}, private_metadata=review["private_metadata"], view=review
            )
        )

    url = str(env.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["export", "logs", "--month", "2026-11"]) == 0
    exported = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [
        (
            r["Team"],
            r["Entered by"],
            r["District name"],
            r["Date"],
            r["Duration (minutes)"],
            r["Interaction type"],
            r["Participants"],
            r["CST members present"],
            r["Topics covered"],
            r["Resources and tools shared/discussed"],
            r["Comments"],
            r["Description (unsure)"],
        )
        for r in exported
    ] == [
        (
            "Team A",
            "Max Member",
            "District One",
            "2026-11-02",
            "60",
            "Planning",
            "Principal; 3rd-grade team",
            "Max Member; Mia Member",
            "Data; Implementation",
            '\'=HYPERLINK("x")',
            "Agreed on a data wall",
            "",
        ),
        (
            "Team A",
            "Mia Member",
            "District Two",
            "2026-11-09",
            "30",
            "Other (not sure it is coaching): describe the event",
            "PLC",
            "",
            "",
            "",
            "",
            "Observed a PLC",
        ),
        (
            "Team B",
            "Ben Member",
            "District Three",
            "2026-11-10",
            "90",
            "Providing feedback",
            "SPED team",
            "",
            "Special Education",
            "",
            "",
            "",
        ),
    ]

    with env.deps.session() as s:
        summary = compile_summary(
            session=s, month="2026-11", protocol=env.deps.protocols.current, directory=env.service().directory(s)
        )
    # Only Team A's submitted month counts; Team B has not submitted.
    assert summary.totals.total == 2 and summary.totals.total_minutes == 90
    assert summary.totals.count("planning") == 1 and summary.totals.count("unsure") == 1
    assert {s.team: s.status for s in summary.submissions} == {"Team A": "on_time", "Team B": "missing"}
    assert {t.name: t.count for t in summary.standards if t.count} == {"Data": 1, "Implementation": 1}
