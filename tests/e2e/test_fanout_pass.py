"""Passing a training request on to the other facilitators (issue 16, point 2): one INSERT per table whatever the
number asked, and past the fan-out threshold one "ask these N" row, expanded by the dispatcher, with the same
messages in the end."""

from __future__ import annotations

from freezegun import freeze_time
from sqlmodel import Session, select

from bot.ids import Action, Block, Callback
from store import outbox
from store.models import Outbox
from tests.delivery.test_fanout import inserts
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import buttons, click, submit_ask, submit_modal, text_value


def pass_on(env) -> tuple[int, list[Outbox]]:
    """A training request nobody on Team A can take, passed on by its facilitator: (INSERTs by table, rows the
    pass wrote)."""
    r = submit_ask(env, "USTAFF001", "IEP goal-writing training", callback=Callback.TRAIN, district=1,
                   topics=["Special Education"])
    assert r.status == 200
    env.deliver()
    item_id = buttons(env.dms("UFACA0001")[-1].args)[Action.ESCALATE]
    click(env, "UFACA0001", Action.ESCALATE, item_id)
    with Session(env.engine) as s:
        before = max(s.exec(select(Outbox.id)).all())
    with inserts(env.engine) as counted:
        r = submit_modal(env, "UFACA0001", text_value(Block.NOTE, "No SPED expertise on our team"))
    assert r.json()["response_action"] == "clear"
    with Session(env.engine) as s:
        written = list(s.exec(select(Outbox).where(Outbox.id > before).order_by(Outbox.id)))
    return counted, written


def offer_card(env):
    card = env.dms("UFACB0001")[-1].args
    assert set(buttons(card)) >= {Action.OFFER, Action.DECLINE}
    return card["blocks"][0]["text"]["text"]


def test_passing_on_writes_one_insert_per_table(app_env):
    with freeze_time(MONDAY_10AM):
        counted, written = pass_on(app_env)
        assert len(written) >= 3  # the offer requests, the owner's and the asker's cards edited
        # One statement per table a fan-out grows (the audit entries, two here whatever the number asked, are
        # the ORM's until issue 14's write path).
        assert counted["outbox"] == 1 and counted["item_card"] == 1, counted
        app_env.deliver()
        assert "Ben Member" in offer_card(app_env)


def test_past_the_threshold_one_row_is_written_and_the_dispatcher_sends_the_same(app_env):
    app_env.deps.settings.cstbot_fanout_threshold = 1
    with freeze_time(MONDAY_10AM):
        counted, written = pass_on(app_env)
        assert [r.method for r in written] == [outbox.FANOUT]  # nothing rendered in the request: notices only
        spec = written[0].payload["render"]
        asked = len(spec["notices"]) + len(spec["refresh"])
        assert asked >= 3
        stats = app_env.deliver()
        assert stats.expanded == asked
        assert "Ben Member" in offer_card(app_env)
        with Session(app_env.engine) as s:
            children = list(s.exec(select(Outbox).where(Outbox.id > written[0].id)))
        assert len(children) == asked and {r.status for r in children} == {outbox.SENT}
