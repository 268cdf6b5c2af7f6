"""Issue 9, point 7: a person's text is cleaned of NUL and other control characters at the edge (PostgreSQL
refuses NUL: it was a "try again" that could never succeed), and a log entry's date falls within the protocol's
school years. On SQLite and PostgreSQL."""

from __future__ import annotations

from freezegun import freeze_time
from sqlmodel import Session, select

from bot.ids import Block, Callback
from bot.slack.edge import clean_text
from store.models import Interaction, Item
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.test_logs_flow import open_log, submit_log

DIRTY = "Line one\x00\nTab\there\x07 \x1b[31mred\x1b[0m\r\n end\u2028\x7f\x85."
CLEAN = "Line one\nTab\there [31mred[0m\n end."


def test_clean_text_keeps_newlines_and_tabs_and_drops_the_rest():
    assert clean_text(DIRTY) == CLEAN
    assert clean_text("plain ünïcødé ✓ text") == "plain ünïcødé ✓ text"
    assert clean_text("".join(map(chr, range(32)))) == "\t\n"


def test_an_ask_with_control_characters_is_saved_clean(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        assert env.client.slash_command("/cst", "ask", user_id="USTAFF001").status == 200
        opened = env.slack.last("views.open").args["view"]
        values = {Block.TEXT: {"text": {"type": "plain_text_input", "value": DIRTY}},
                  Block.DISTRICT: {"district": {"type": "static_select", "selected_option": {"value": "1"}}}}
        payload = env.client.view_submission("USTAFF001", Callback.ASK.value, values,
                                             private_metadata=opened["private_metadata"], view=opened)
        r = env.client.interactivity(payload)
        assert r.status == 200 and "hit a problem" not in r.text
        env.deliver()
    with Session(env.engine) as s:
        assert s.exec(select(Item.text)).one() == CLEAN.strip()
    assert all("\x00" not in str(c.args) for c in env.slack.calls)


def test_a_slash_command_with_nul_opens_the_form_with_clean_text(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        r = env.client.slash_command("/cst", "ask what\x00 is\x1b this?", user_id="UMEMA0001")
        assert r.status == 200
        view = env.slack.last("views.open").args["view"]
        text_block = next(b for b in view["blocks"] if b.get("block_id") == "text")
        assert text_block["element"]["initial_value"] == "what is this?"


def test_a_log_entry_with_control_characters_is_saved_clean(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        view = open_log(env, "UMEMA0001")
        r = submit_log(env, "UMEMA0001", view, participants="Principal\x00, team\x0b", comments=DIRTY)
        assert "Logged" in r.text, r.text
    with Session(env.engine) as s:
        row = s.exec(select(Interaction)).one()
    assert row.participants == "Principal, team" and row.comments == CLEAN.strip()


def test_a_log_date_outside_the_school_years_is_a_field_error_naming_the_range(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):  # Monday 16 November 2026: school year 2026-27, the one before began 2025-07-01
        view = open_log(env, "UMEMA0001")
        for day in ("0001-01-01", "1999-12-31", "2025-06-30"):
            r = submit_log(env, "UMEMA0001", view, day=day)
            assert r.status == 200
            error = r.json()["errors"]["date"]
            assert "from July 1, 2025 to today" in error and "2026-27" in error, (day, error)
        assert submit_log(env, "UMEMA0001", view, day="2025-07-01").json()["view"]["title"]["text"] == "Logged"
    with Session(env.engine) as s:
        assert [str(d) for d in s.exec(select(Interaction.occurred_on))] == ["2025-07-01"]
