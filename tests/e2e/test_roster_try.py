"""One evaluator, one Slack account, every role (`cstbot roster try`), over signed HTTP on SQLite and PostgreSQL.

The evaluator asks as district staff, receives and escalates as the facilitator, answers as the lead, asks as a
member through the Home tab's *Viewing as*, answers as management, offers a trainer as the state contact, logs an
interaction and submits the month: all as themself, every message saying in which role it reaches them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from bot.app import build_app
from bot.delivery.dispatcher import Dispatcher
from bot.ids import Action, Block, Callback
from bot.items.cards import Renderer
from bot.slack.forms import metadata
from bot.slack.web import WebApp
from routing.directory import Role
from store.models import Interaction, Item, ItemEvent, LogMonth, Person
from store.roster import read_roster
from store.roster.trial import parse_roles, start_trial
from tests.blockkit import check_call
from tests.e2e.conftest import MONDAY_10AM, SECRET, AppEnv, make_deps
from tests.e2e.flows import all_text, buttons, click, submit_modal, text_value
from tests.e2e.test_logs_flow import values
from tests.standin import SignedSlackClient, serve_wsgi
from tests.store.roster_helpers import EXAMPLES

ME = "U07EVAL123"
ROLE_LINES = {
    Role.DISTRICT_STAFF: "For you as *District staff, Alder Creek R-2* (Opal Hensley)",
    Role.MEMBER: "For you as *CST member, Early East* (Gwen Abernathy)",
    Role.FACILITATOR: "For you as *CST facilitator, Early East* (Avery Lindqvist)",
    Role.LEAD: "For you as *Lead facilitator* (Uma Whitcombe)",
    Role.MANAGEMENT: "For you as *MMD management team* (Victor Ashdown)",
    Role.STATE_CONTACT: "For you as *DESE trainer-match contact* (Zora Kimathi)",
}


@pytest.fixture
def trial(engine, slack) -> Iterator[AppEnv]:
    start_trial(read_roster(EXAMPLES / "roster.yaml"), engine=engine, slack_id=ME, roles=parse_roles(None),
                today=date(2026, 11, 16))
    deps = make_deps(engine, slack)
    web = WebApp(build_app(deps), engine, SECRET)
    with serve_wsgi(web) as url:
        client = SignedSlackClient(url, SECRET, response_url_base=slack.hooks_url)
        dispatcher = Dispatcher(engine=engine, client=deps.client, clock=deps.clock, worker="test",
                                render=Renderer(deps))
        yield AppEnv(deps=deps, slack=slack, client=client, dispatcher=dispatcher, engine=engine)
    for call in slack.calls:
        check_call(call.method, call.args)


def mine(env) -> list[dict]:
    return [c.args for c in env.dms(ME)]


def addressed(message: dict) -> str:
    first = message["blocks"][0]
    return first["elements"][0]["text"] if first["type"] == "context" else ""


def card_for(env, role: Role, text: str) -> dict:
    """The latest DM to the evaluator for `role` about `text`."""
    found = [m for m in mine(env) if addressed(m) == ROLE_LINES[role] and text in all_text(m)]
    assert found, f"no message for {role} about {text!r}: {[addressed(m) for m in mine(env)]}"
    return found[-1]


def person_id(env, name: str) -> int:
    with Session(env.engine) as s:
        return s.exec(select(Person.id).where(Person.name == name)).one()


def ask(env, text: str, *, sub: str = "ask", topics=(), opened: dict | None = None):
    if opened is None:
        env.client.slash_command("/cst", sub, user_id=ME)
        opened = env.slack.last("views.open").args["view"]
    values = {Block.TEXT: {"text": {"type": "plain_text_input", "value": text}}}
    if topics:
        values[Block.TOPICS] = {"topics": {"type": "multi_static_select",
                                           "selected_options": [{"value": t} for t in topics]}}
    payload = env.client.view_submission(ME, opened["callback_id"], values, view=opened)
    return opened, env.client.interactivity(payload).json()


def act(env, action: Action, item_id: str, values: dict) -> dict:
    click(env, ME, action, item_id)
    return submit_modal(env, ME, values).json()


def test_one_person_asks_receives_escalates_and_answers_in_each_role(trial):
    env = trial
    with freeze_time(MONDAY_10AM):
        # /cst ask: as district staff, and the form says so.
        opened, reply = ask(env, "How do we start data teams?")
        assert "Asking as *District staff, Alder Creek R-2* (Opal Hensley)" in all_text(opened)
        assert metadata(opened)["as"] == person_id(env, "Opal Hensley")
        assert reply["response_action"] == "update" and "Avery Lindqvist" in all_text(reply["view"])
        env.deliver()
        status = card_for(env, Role.DISTRICT_STAFF, "How do we start data teams?")
        card = card_for(env, Role.FACILITATOR, "How do we start data teams?")
        item_id = buttons(card)[Action.ANSWER]
        assert "<@" not in all_text(card)  # names, not one evaluator's mention for everyone
        assert status is not card

        # Escalate as the facilitator (the card's owner), answer as the lead.
        escalated = act(env, Action.ESCALATE, item_id, text_value(Block.NOTE, "Needs the lead"))
        assert escalated["response_action"] == "clear"
        env.deliver()
        lead_card = card_for(env, Role.LEAD, "How do we start data teams?")
        click(env, ME, Action.TAKE, buttons(lead_card)[Action.TAKE])  # offered to both leads: the lead takes it
        env.deliver()
        assert act(env, Action.ANSWER, item_id,
                   text_value(Block.ANSWER, "Start with one grade's common assessment."))["response_action"] == "clear"
        env.deliver()
        answers = [m for m in mine(env) if "common assessment" in all_text(m)]
        assert {addressed(m) for m in answers} >= {ROLE_LINES[Role.DISTRICT_STAFF], ROLE_LINES[Role.FACILITATOR]}

        with Session(env.engine) as s:
            item = s.get(Item, int(item_id))
            events = s.exec(select(ItemEvent).where(ItemEvent.item_id == item.id)).all()
        actors = {e.kind: e.actor_id for e in events}
        assert item.status == "answered" and item.asker_id == person_id(env, "Opal Hensley")
        assert actors["escalated"] == person_id(env, "Avery Lindqvist")
        assert actors["answered"] == person_id(env, "Uma Whitcombe")


def test_viewing_as_a_member_then_management_answers(trial):
    env = trial
    with freeze_time(MONDAY_10AM):
        # The Home tab opens as the facilitator, with a menu of the seven people this account plays.
        env.client.event({"type": "app_home_opened", "user": ME, "tab": "home"})
        home = env.slack.last("views.publish").args["view"]
        menu = next(b for b in home["blocks"] if b.get("block_id") == "viewing_as")["accessory"]
        assert len(menu["options"]) == 7
        assert menu["initial_option"]["text"]["text"] == "CST facilitator, Early East (Avery Lindqvist)"
        gwen = next(o for o in menu["options"] if "Gwen Abernathy" in o["text"]["text"])

        # Viewing as the member: the Home is theirs, and its Ask button asks as them.
        env.client.interactivity(env.client.block_action(
            ME, Action.HOME_AS.value, None, action_type="static_select", view=home,
            action={"selected_option": gwen}))
        home = env.slack.last("views.publish").args["view"]
        assert "You are: CST member, Early East" in all_text(home)
        env.client.interactivity(env.client.block_action(ME, Action.HOME_ASK.value, None, view=home))
        opened = env.slack.last("views.open").args["view"]
        assert "Asking as *CST member, Early East* (Gwen Abernathy)" in all_text(opened)
        _, reply = ask(env, "Can we share the walkthrough tool?", opened=opened)
        assert reply["response_action"] == "update"
        env.deliver()

        # Facilitator -> lead -> management, each click by the same account, each as the owner.
        card = card_for(env, Role.FACILITATOR, "walkthrough tool")
        act(env, Action.ESCALATE, buttons(card)[Action.ESCALATE], text_value(Block.NOTE, ""))
        env.deliver()
        item_id = buttons(card)[Action.ESCALATE]
        card = card_for(env, Role.LEAD, "walkthrough tool")  # the lead tier and the management team are offered
        click(env, ME, Action.TAKE, buttons(card)[Action.TAKE])  # it; the account takes it as each
        act(env, Action.ESCALATE, item_id, text_value(Block.NOTE, "For the team"))
        env.deliver()
        card = card_for(env, Role.MANAGEMENT, "walkthrough tool")
        click(env, ME, Action.TAKE, buttons(card)[Action.TAKE])
        act(env, Action.ANSWER, item_id, text_value(Block.ANSWER, "Yes, share it."))
        env.deliver()
        assert any("Yes, share it." in all_text(m) for m in mine(env) if addressed(m) == ROLE_LINES[Role.MEMBER])
        with Session(env.engine) as s:
            item = s.exec(select(Item).where(Item.text == "Can we share the walkthrough tool?")).one()
        assert item.asker_id == person_id(env, "Gwen Abernathy") and item.status == "answered"


def test_training_reaches_the_state_contact_and_the_month_is_submitted(trial):
    env = trial
    with freeze_time(MONDAY_10AM) as clock:
        _, reply = ask(env, "IEP goal-writing training for our SPED team", sub="train",
                       topics=["Special Education"])
        assert reply["response_action"] == "update"
        env.deliver()
        # The facilitator passes the team stage and the other facilitators' stage (their ids are invented).
        for note in ("Nobody on our team", "Nobody answered"):
            card = card_for(env, Role.FACILITATOR, "IEP goal-writing")
            act(env, Action.ESCALATE, buttons(card)[Action.ESCALATE], text_value(Block.NOTE, note))
            env.deliver()
        offer = card_for(env, Role.STATE_CONTACT, "IEP goal-writing")
        click(env, ME, Action.OFFER, buttons(offer)[Action.OFFER])
        opened = env.slack.last("views.open").args["view"]
        picker = next(b for b in opened["blocks"] if b.get("block_id") == Block.CANDIDATE)
        zora = picker["element"]["initial_option"]["value"]
        submit_modal(env, ME, {Block.CANDIDATE: {Block.CANDIDATE: {"type": "static_select",
                                                                   "selected_option": {"value": zora}}},
                               Block.DAYS: {Block.DAYS: {"type": "number_input", "value": "2"}}})
        env.deliver()
        assert any("trainer is matched" in all_text(m) for m in mine(env)
                   if addressed(m) == ROLE_LINES[Role.DISTRICT_STAFF])

        # /cst log: as the facilitator. Then the Home tab's Review & submit, and the month is in.
        env.client.slash_command("/cst", "log", user_id=ME)
        log_view = env.slack.last("views.open").args["view"]
        assert metadata(log_view)["as"] == person_id(env, "Avery Lindqvist")
        district = next(b for b in log_view["blocks"] if b.get("block_id") == "district")["element"]["options"][0]
        payload = env.client.view_submission(ME, Callback.LOG.value, values(
            district=district["value"], day="2026-11-13", members=(str(person_id(env, "Avery Lindqvist")),)),
            view=log_view)
        assert env.client.interactivity(payload).json()["response_action"] == "update"
        clock.tick(timedelta(days=20))  # December: November's log is due
        env.client.event({"type": "app_home_opened", "user": ME, "tab": "home"})
        home = env.slack.last("views.publish").args["view"]
        review = next(b["accessory"] for b in home["blocks"]
                      if (b.get("accessory") or {}).get("action_id") == Action.LOG_REVIEW.value)
        env.client.interactivity(env.client.block_action(ME, Action.LOG_REVIEW.value, review["value"], view=home))
        submitted = submit_modal(env, ME, {})
        assert submitted.status == 200
        with Session(env.engine) as s:
            month = s.exec(select(LogMonth)).one()
            entry = s.exec(select(Interaction)).one()
        assert month.status == "submitted" and month.submitted_by == person_id(env, "Avery Lindqvist")
        assert entry.author_id == person_id(env, "Avery Lindqvist")


def test_a_share_is_made_as_management_and_reaches_the_facilitator_it_plays(trial):
    env = trial
    with freeze_time(MONDAY_10AM):
        env.client.slash_command("/cst", "share", user_id=ME)
        form = env.slack.last("views.open").args["view"]
        assert form["callback_id"] == Callback.SHARE
        assert metadata(form)["as"] == person_id(env, "Victor Ashdown")  # the management team member it plays
        values = {Block.SHARE_TITLE: {Block.SHARE_TITLE: {"type": "plain_text_input", "value": "Fall evaluation"}},
                  Block.SHARE_TEXT: {Block.SHARE_TEXT: {"type": "plain_text_input", "value": "Read before March."}},
                  Block.AUDIENCES: {Block.AUDIENCES: {"type": "checkboxes",
                                                      "selected_options": [{"value": "facilitators"}]}}}
        reply = submit_modal(env, ME, values).json()
        assert reply["view"]["title"]["text"] == "Shared", reply
        env.deliver()
        assert "Fall evaluation" in all_text(card_for(env, Role.FACILITATOR, "Read before March."))

