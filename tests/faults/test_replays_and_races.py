"""Issue 9, points 4 and 5: one modal submitted twice (a replay, a double click) is answered once and writes
once; two people submitting one month at once are both told what is true; a month that is not a month is
refused before anything is written; an event that names no user, or whose listener failed, is not marked seen.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from freezegun import freeze_time
from sqlalchemy import text
from sqlmodel import Session, func, select

from bot.ids import Action, Block, Callback
from store import coaching_log as log_repo
from store.db import session_scope
from store.models import Interaction, Item, LogMonth, Outbox, SlackEventSeen
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.test_logs_flow import open_log, values
from tests.faults.tables import dump


def count(env, model) -> int:
    with Session(env.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def no_traceback(caplog) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]


def ask_payload(env, user, text, district=1):
    assert env.client.slash_command("/cst", "ask", user_id=user).status == 200
    opened = env.slack.last("views.open").args["view"]
    values = {Block.TEXT: {"text": {"type": "plain_text_input", "value": text}},
              Block.DISTRICT: {"district": {"type": "static_select", "selected_option": {"value": str(district)}}}}
    return env.client.view_submission(user, Callback.ASK.value, values, private_metadata=opened["private_metadata"],
                                      view=opened)


# --- one view, submitted twice -----------------------------------------------------------------------------


def test_a_replayed_ask_gets_the_first_answer_and_writes_nothing_new(app_env, caplog):
    env = app_env
    caplog.set_level(logging.INFO)
    with freeze_time(MONDAY_10AM):
        payload = ask_payload(env, "USTAFF001", "How do we read the new benchmark data?")
        first = env.client.interactivity(payload)
        assert first.status == 200 and count(env, Item) == 1
        after_first = dump(env.engine)
        for _ in range(3):  # a replay within the signature window, a double click, another
            again = env.client.interactivity(payload)
            assert again.status == 200
            assert again.json() == first.json()
        assert dump(env.engine) == after_first  # no second item, event, card or notification
        env.deliver()
    assert count(env, Item) == 1
    assert len([c for c in env.dms("UFACA0001")]) == 1
    assert "submitted again: answered as the first time" in caplog.text
    no_traceback(caplog)


def test_a_replayed_log_entry_is_logged_once(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        view = open_log(env, "UMEMA0001")
        payload = env.client.view_submission("UMEMA0001", Callback.LOG.value, values(),
                                             private_metadata=view["private_metadata"], view=view)
        first = env.client.interactivity(payload)
        assert "Logged" in first.text
        assert env.client.interactivity(payload).json() == first.json()
    assert count(env, Interaction) == 1


def test_a_view_answered_with_field_errors_can_be_corrected_and_sent(app_env):
    """Field errors leave the same view open (same view id): its corrected submission is not a replay."""
    env = app_env
    with freeze_time(MONDAY_10AM):
        payload = ask_payload(env, "USTAFF001", "   ")
        assert env.client.interactivity(payload).json()["response_action"] == "errors"
        assert count(env, Item) == 0
        payload["view"]["state"]["values"][Block.TEXT]["text"]["value"] = "Now with a question"
        r = env.client.interactivity(payload)
        assert r.status == 200 and '"response_action": "errors"' not in r.text, r.text
        assert count(env, Item) == 1


def test_a_double_click_at_the_same_moment_makes_one_item(app_env, caplog):
    env = app_env
    with freeze_time(MONDAY_10AM):
        payload = ask_payload(env, "USTAFF001", "Double-clicked question")
        start = threading.Barrier(4)

        def send(_):
            start.wait()
            return env.client.interactivity(payload)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(send, range(4)))
    assert [a.status for a in answers] == [200] * 4
    assert count(env, Item) == 1
    for a in answers:  # the first one's answer, or (still being saved) that it is being saved
        assert a.text == answers[0].text or "already has this form" in a.text
    no_traceback(caplog)


# --- one month, submitted by two at once --------------------------------------------------------------------


def review_payload(env, user="UFACA0001", month="2026-11"):
    env.client.interactivity(env.client.block_action(user, Action.LOG_REVIEW, f"1:{month}"))
    review = env.slack.last("views.open").args["view"]
    return env.client.view_submission(user, Callback.LOG_SUBMIT.value, {},
                                      private_metadata=review["private_metadata"], view=review)


def test_two_month_submissions_at_once_are_both_told_what_is_true(app_env, caplog):
    env = app_env
    with freeze_time(MONDAY_10AM):
        view = open_log(env, "UMEMA0001")
        env.client.interactivity(env.client.view_submission(
            "UMEMA0001", Callback.LOG.value, values(), private_metadata=view["private_metadata"], view=view))
        payloads = [review_payload(env), review_payload(env)]  # two open reviews (two tabs, two devices)
        start = threading.Barrier(2)

        def send(payload):
            start.wait()
            return env.client.interactivity(payload)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, payloads))
    titles = sorted(a.json()["view"]["title"]["text"] for a in answers)
    assert titles == ["Already submitted", "Submitted"], [a.text for a in answers]
    assert count(env, LogMonth) == 1
    no_traceback(caplog)


def test_the_store_decides_two_submitters_one_after_the_other(engine):
    """The race itself, interleaved by hand: the second submitter's transaction runs while the first holds the
    month uncommitted; it waits, then is told the month is submitted (on PostgreSQL this was a unique violation
    that reached the person as "did not save that"). On SQLite the write lock queues the second before it reads."""
    from store.models import Person, Team

    with session_scope(engine, write=True) as s:
        s.add(Team(id=1, name="Team A", zone="Developing", region="East"))
        s.add_all([Person(id=1, name="Fay"), Person(id=2, name="Lee")])
    postgres = engine.dialect.name == "postgresql"
    pids: list[int] = []
    outcome: list[str] = []

    def second() -> None:
        try:
            with session_scope(engine, write=True) as s:
                if postgres:
                    pids.append(s.exec(text("select pg_backend_pid()")).one()[0])
                log_repo.submit(session=s, team_id=1, month="2026-11", person_id=2, now=MONDAY_10AM)
            outcome.append("submitted")
        except log_repo.MonthLocked:
            outcome.append("already submitted")
        except Exception as exc:  # noqa: BLE001 - what the person would have been told instead
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=second)
    with session_scope(engine, write=True) as s:
        log_repo.submit(session=s, team_id=1, month="2026-11", person_id=1, now=MONDAY_10AM)
        thread.start()
        if postgres:  # hold the commit until the second is waiting on this transaction's row
            with engine.connect() as conn:
                while not (pids and conn.execute(text(
                        "select count(*) from pg_stat_activity where pid = :pid and wait_event_type = 'Lock'"),
                        {"pid": pids[0]}).scalar()):
                    conn.rollback()  # a fresh snapshot of pg_stat_activity each round
    thread.join()
    assert outcome == ["already submitted"]


def test_a_month_that_is_not_a_month_is_refused_before_anything_is_written(app_env, caplog):
    env = app_env
    with freeze_time(MONDAY_10AM):
        before = dump(env.engine)
        for month in ("zzz", "2026-13", "2026-1", "２０２６-11", "", None, 202611):
            payload = review_payload(env)
            payload["view"]["private_metadata"] = json.dumps({"team_id": 1, "month": month})
            r = env.client.interactivity(payload)
            assert r.status == 400, (month, r.status, r.text)
        payload = review_payload(env)
        payload["view"]["private_metadata"] = json.dumps({"team_id": 1, "month": "2027-03"})
        r = env.client.interactivity(payload)
        assert r.json()["view"]["title"]["text"] == "Not submitted" and "has not begun" in r.text
        assert dump(env.engine) == before
    assert count(env, LogMonth) == 0
    no_traceback(caplog)


# --- events ------------------------------------------------------------------------------------------------


def seen(env, event_id) -> bool:
    with Session(env.engine) as s:
        return s.get(SlackEventSeen, event_id) is not None


def test_an_event_without_a_user_is_not_marked_seen(app_env, caplog):
    env = app_env
    with freeze_time(MONDAY_10AM):
        r = env.client.event({"type": "app_home_opened", "tab": "home", "channel": "D1"}, event_id="EvNoUser1")
        assert r.status == 200
    assert not seen(env, "EvNoUser1")
    no_traceback(caplog)


def test_an_event_whose_listener_failed_is_handled_on_slacks_retry(app_env, monkeypatch, caplog):
    from bot.home import service as home

    env = app_env
    event = {"type": "app_home_opened", "user": "UFACA0001", "channel": "DUFACA0001", "tab": "home"}
    real = home.home_view
    with freeze_time(MONDAY_10AM):
        monkeypatch.setattr(home, "home_view", lambda *a, **k: 1 / 0)
        assert env.client.event(event, event_id="EvFails01").status == 200
        assert not seen(env, "EvFails01")
        assert not env.slack.calls_to("views.publish")
        monkeypatch.setattr(home, "home_view", real)
        assert env.client.event(event, event_id="EvFails01", retry_num=1).status == 200
        assert seen(env, "EvFails01")
        assert len(env.slack.calls_to("views.publish")) == 1


def test_outbox_is_untouched_by_a_replay(app_env):
    """The notification of a replayed submission is queued once (the outbox is where it would double)."""
    env = app_env
    with freeze_time(MONDAY_10AM):
        payload = ask_payload(env, "USTAFF001", "Outbox once")
        env.client.interactivity(payload)
        queued = count(env, Outbox)
        env.client.interactivity(payload)
        assert count(env, Outbox) == queued > 0
