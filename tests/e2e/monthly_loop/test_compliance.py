"""Compliance rolls up the chain (issue 13), end to end over signed HTTP on SQLite and PostgreSQL: a team's
coaching log still missing three business days after it was due becomes the lead facilitator's item on the right
business morning (not before, not twice), and closes by itself when the facilitator submits the log; a lead's
missing CST update goes to the management team (*Take it*) and closes when the update is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.compliance.scheduled import run_compliance
from bot.delivery.scheduler import JOBS
from bot.ids import Action, Callback
from routing.model import ItemKind, ItemState, Status
from store.models import Item, ItemEvent
from tests.e2e.conftest import ROSTER, AppEnv, running_app
from tests.e2e.flows import all_text, buttons, click
from tests.e2e.monthly_loop.conftest import LEAD, LEAD2, LOOP_ROSTER, MGMT, MGMT2, chicago, updates_of
from tests.e2e.monthly_loop.test_lead_update import _submit_update

FAC_A, FAC_B = "UFACA0001", "UFACB0001"
ONE_LEAD = ROSTER.replace("leads: [lead1@s.example, lead2@s.example]", "leads: [lead1@s.example]")


@pytest.fixture
def one_lead_env(engine, slack) -> Iterator[AppEnv]:
    """The e2e network with one lead facilitator, so a missing log is owned by them outright."""
    assert ONE_LEAD != ROSTER
    with running_app(engine, slack, ONE_LEAD) as env:
        yield env


def _items(env) -> list[ItemState]:
    with env.deps.session() as s:
        rows = s.exec(select(Item).where(Item.kind == ItemKind.COMPLIANCE.value).order_by(Item.id))
        return [ItemState.from_dict(r.state) for r in rows]


def _audit(env, item_id: int) -> list[ItemEvent]:
    with env.deps.session() as s:
        return list(s.exec(select(ItemEvent).where(ItemEvent.item_id == item_id).order_by(ItemEvent.id)))


def _submit_log(env, user: str, team_month: str):
    click(env, user, Action.LOG_REVIEW, team_month)
    review = env.slack.last("views.open").args["view"]
    assert review["callback_id"] == Callback.LOG_SUBMIT
    payload = env.client.view_submission(user, Callback.LOG_SUBMIT.value, {},
                                         private_metadata=review["private_metadata"], view=review)
    return env.client.interactivity(payload)


def test_a_missing_log_becomes_the_leads_item_on_the_right_morning_and_closes_when_submitted(one_lead_env):
    env = one_lead_env
    assert "compliance" in JOBS and JOBS["compliance"].run is run_compliance
    # November 2026 ends on a Monday: the log is due at the end of the 5th business day (Mon Dec 7); three
    # business days later is Thu Dec 10, so the item opens on Friday Dec 11 at 08:00.
    with freeze_time(chicago(12, 9, 10)):
        assert _submit_log(env, FAC_B, "2:2026-11").status == 200  # Team B: late, but in before the escalation
    for moment in (chicago(12, 10, 16, 59), chicago(12, 11, 7, 59)):
        with freeze_time(moment):
            stats = run_compliance(env.deps, env.deps.now())
            assert (stats.opened, stats.already) == (0, 0)
    assert _items(env) == []

    with freeze_time(chicago(12, 11, 8, 25)):
        stats = run_compliance(env.deps, env.deps.now())
        assert (stats.opened, stats.already, stats.failed) == (1, 0, 0)
        again = run_compliance(env.deps, env.deps.now())  # the next hour's run, or a second worker
        assert (again.opened, again.already) == (0, 1)
        env.deliver()
    (item,) = _items(env)
    lee, fay = env.person_id(LEAD), env.person_id(FAC_A)
    assert (item.owner_id, item.asker_id, item.team_id, item.report, item.month) == (
        lee, fay, 1, "coaching_log", "2026-11")
    assert item.text == "Team A's November 2026 coaching log is missing"

    # The lead's card: what is missing, who owes it, when it was due, how it closes, the usual buttons.
    (card,) = env.dms(LEAD)
    text = all_text(card.args)
    assert card.args["text"] == "Team A's November 2026 coaching log is missing"
    assert "You own it as Lead facilitator" in text
    assert "has not submitted it yet" in text and "<@UFACA0001>" in text
    assert "this closes by itself when the coaching log is submitted" in text
    assert set(buttons(card.args)) == {Action.ANSWER, Action.ESCALATE, Action.REASSIGN}
    assert env.dms(FAC_A) == []  # who owes it hears nothing from the item (the reminders are theirs)
    assert [e.kind for e in _audit(env, item.id)] == ["created", "assigned"]
    created = _audit(env, item.id)[0]
    assert created.detail["item_kind"] == "compliance" and created.detail["report"] == "coaching_log"
    assert created.actor_id is None

    # The lead's Home tab lists it with its buttons.
    with freeze_time(chicago(12, 11, 9)):
        env.client.event({"type": "app_home_opened", "user": LEAD, "tab": "home"})
        home = env.slack.last("views.publish").args["view"]
        assert "Team A's November 2026 coaching log is missing" in str(home)

    # Fay submits the log: the item closes by itself and the lead's card is edited in place to say so.
    with freeze_time(chicago(12, 11, 14)):
        response = _submit_log(env, FAC_A, "1:2026-11")
        assert "Submitted Team A's log for November 2026" in str(response.json()["view"])
        env.deliver()
    (closed,) = _items(env)
    assert (closed.status, closed.resolved_by, closed.deadline_at) == (Status.RESOLVED, fay, None)
    (edit,) = updates_of(env, LEAD)
    edited = all_text(edit.args)
    assert "Team A's November 2026 coaching log came in: nothing more to do here" in edited
    assert "<@UFACA0001> submitted it, so missing report #" in edited and "closed by itself" in edited
    assert buttons(edit.args) == {}
    resolved = _audit(env, item.id)[-1]
    assert (resolved.kind, resolved.actor_id) == ("resolved", fay)
    assert resolved.reason == "The coaching log came in (submitted by Fay Facilitator): closed by itself."
    assert resolved.detail["item_kind"] == "compliance"
    assert env.dms(FAC_A) == []

    # Later runs neither reopen it nor open another for Team A or B.
    with freeze_time(chicago(12, 14, 9, 25)):
        stats = run_compliance(env.deps, env.deps.now())
        assert (stats.opened, stats.closed) == (0, 0)
    assert len(_items(env)) == 1


@pytest.fixture
def loop_env(engine, slack) -> Iterator[AppEnv]:
    with running_app(engine, slack, LOOP_ROSTER) as env:
        yield env


def test_a_missing_update_goes_to_the_management_team_and_closes_when_sent(loop_env):
    env = loop_env
    # The November 2026 update is due at the end of the 10th business day (Mon Dec 14): three business days
    # later is Thu Dec 17, so it opens on Friday Dec 18 at 08:00. Lee sends late but in time; Lou does not.
    with freeze_time(chicago(12, 16, 10)):
        env.client.slash_command("/cst", "update", user_id=LEAD)
        _submit_update(env, LEAD, highlights="Late but here.")
        env.deliver()
        env.slack.clear()
    with freeze_time(chicago(12, 18, 7, 59)):
        stats = run_compliance(env.deps, env.deps.now())
        assert stats.opened == 3  # the logs of Teams A, B and C (none submitted, overdue since Dec 11); no update
        assert {i.report for i in _items(env)} == {"coaching_log"}
    with freeze_time(chicago(12, 18, 8, 25)):
        stats = run_compliance(env.deps, env.deps.now())
        assert (stats.opened, stats.already) == (1, 3)  # Lou's update; not Lee's, nor the logs again
        assert run_compliance(env.deps, env.deps.now()).opened == 0
        env.deliver()
    lou = env.person_id(LEAD2)
    (update,) = [i for i in _items(env) if i.report == "lead_update"]
    assert (update.asker_id, update.owner_id, update.month) == (lou, None, "2026-11")
    assert update.text == "Lou Lead's November 2026 CST update is missing"
    meg, moe = env.person_id(MGMT), env.person_id(MGMT2)
    assert set(update.holders) >= {meg, moe}

    # Every management team member is offered it with *Take it*; Lou hears nothing from the item.
    for reader in (MGMT, MGMT2):
        (card,) = [c for c in env.dms(reader) if "CST update is missing" in c.args["text"]]
        assert buttons(card.args) == {Action.TAKE: str(update.id)}
        assert "whoever takes it first owns it" in all_text(card.args)
        assert "this closes by itself when the CST update is sent" in all_text(card.args)
    assert not [c for c in env.dms(LEAD2) if "CST update is missing" in c.args["text"]]  # (the logs: yes)

    # Meg takes it: her card gets the owner's buttons, Moe's says she did.
    with freeze_time(chicago(12, 18, 9)):
        assert click(env, MGMT, Action.TAKE, str(update.id)).status == 200
        env.deliver()
    assert env.service().read(update.id).owner_id == meg
    moe_card = updates_of(env, MGMT2)[-1]
    assert "Taken by <@UMGMT0001>" in all_text(moe_card.args)
    env.slack.clear()

    # Lou sends the update: the item closes by itself, and Meg's and Moe's cards say so.
    with freeze_time(chicago(12, 18, 11)):
        env.client.slash_command("/cst", "update", user_id=LEAD2)
        _submit_update(env, LEAD2, highlights="Sorry, late.")
        env.deliver()
    closed = env.service().read(update.id)
    assert (closed.status, closed.resolved_by) == (Status.RESOLVED, lou)
    for reader in (MGMT, MGMT2):
        edited = all_text(updates_of(env, reader)[-1].args)
        assert "Lou Lead's November 2026 CST update came in: nothing more to do here" in edited
    resolved = _audit(env, update.id)[-1]
    assert resolved.reason == "The CST update came in (sent by Lou Lead): closed by itself."
    # The logs' items are untouched by an update.
    assert {i.status for i in _items(env) if i.report == "coaching_log"} == {Status.OPEN}
