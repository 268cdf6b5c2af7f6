"""Who may do what in the monthly loop, role by role, over signed HTTP (SQLite and PostgreSQL).

Table-driven so it folds into the permission matrix (roles x actions): ROLES names one Slack user per role,
ALLOWED the roles each action is for. Every refusal is checked for what it says (why, and what to do) and for
what it must not reveal: the update's or the minutes' content, and who has or has not acknowledged them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from freezegun import freeze_time

from bot.ids import Action, Block, Callback
from tests.e2e.flows import buttons, click
from tests.e2e.monthly_loop.conftest import (
    FAC_A,
    FAC_B,
    LEAD,
    MEM_A,
    MEM_B,
    MGMT,
    chicago,
    posts_to,
)

ROLES = {
    "district staff": "USTAFF001",
    "member": MEM_A,
    "another team's member": MEM_B,
    "facilitator": FAC_A,
    "another team's facilitator": FAC_B,
    "lead": LEAD,
    "management": MGMT,
    "state contact": "USTATE001",
    "admin": "UADMIN001",
    "unknown Slack user": "UNKNOWN99",
}
SECRET_UPDATE = "SECRET-HIGHLIGHT about District One"
SECRET_MINUTES = "SECRET-MINUTES on the budget"
STRANGER = "cstbot does not have you in its roster yet"
WHEN = chicago(12, 9, 10)


@dataclass(frozen=True)
class Case:
    action: str
    allowed: frozenset[str]
    refusal: str  # every refusal (but a stranger's) says this
    attempt: Callable  # (env, slack_id, subject_id) -> the refusal's text, or None when it was allowed


def _reply_since(env, before: int) -> str | None:
    replies = env.slack.calls_to("response_url")[before:]
    return replies[-1].args["text"] if replies else None


def _slash(sub: str, callback: Callback) -> Callable:
    def attempt(env, user, _subject):
        opened = len(env.slack.calls_to("views.open"))
        response = env.client.slash_command("/cst", sub, user_id=user)
        assert response.status == 200
        views = env.slack.calls_to("views.open")[opened:]
        if views:
            assert views[-1].args["view"]["callback_id"] == callback
            return None
        return response.json()["text"] if response.text.startswith("{") else response.text
    return attempt


def _button(action: Action, opens: Callback | None = None) -> Callable:
    def attempt(env, user, subject_id):
        replies, opened = len(env.slack.calls_to("response_url")), len(env.slack.calls_to("views.open"))
        assert click(env, user, action, str(subject_id)).status == 200
        refusal = _reply_since(env, replies)
        if opens is not None and refusal is None:
            (view,) = env.slack.calls_to("views.open")[opened:]
            assert view.args["view"]["callback_id"] == opens
        return refusal
    return attempt


CASES = [
    Case("send an update", frozenset({"lead"}),
         "Monthly CST updates to the MMD management team are sent by the lead facilitators",
         _slash("update", Callback.UPDATE)),
    Case("acknowledge an update", frozenset({"management"}),
         "Only members of the MMD management team acknowledge CST updates, so nothing was recorded.",
         _button(Action.UPDATE_ACK)),
    Case("share minutes", frozenset({"management"}),
         "Meeting minutes are shared by the MMD management team with `/cst minutes`.",
         _slash("minutes", Callback.MINUTES)),
    Case("Got it", frozenset({"facilitator", "another team's facilitator"}),
         "These minutes were sent to the CST facilitators, so there is nothing for you to confirm.",
         _button(Action.MINUTES_ACK)),
    Case("Share with my team", frozenset({"facilitator", "another team's facilitator"}),
         "Only a CST facilitator passes management minutes on to their team",
         _button(Action.MINUTES_SHARE, opens=Callback.MINUTES_SHARE)),
]


def _set_up(env) -> tuple[int, int]:
    """A sent update (with a highlight nobody else should see in a refusal) and shared minutes."""
    env.client.slash_command("/cst", "update", user_id=LEAD)
    form = env.slack.last("views.open").args["view"]
    values = {Block.HIGHLIGHTS: {Block.HIGHLIGHTS: {"type": "plain_text_input", "value": SECRET_UPDATE}}}
    env.client.interactivity(env.client.view_submission(LEAD, form["callback_id"], values,
                                                        private_metadata=form["private_metadata"], view=form))
    env.client.slash_command("/cst", "minutes", user_id=MGMT)
    form = env.slack.last("views.open").args["view"]
    values = {Block.MEETING_DATE: {Block.MEETING_DATE: {"type": "datepicker", "selected_date": "2026-12-08"}},
              Block.MINUTES_TEXT: {Block.MINUTES_TEXT: {"type": "plain_text_input", "value": SECRET_MINUTES}}}
    env.client.interactivity(env.client.view_submission(MGMT, form["callback_id"], values,
                                                        private_metadata=form["private_metadata"], view=form))
    env.deliver()
    update_id = int(buttons(posts_to(env, MGMT)[0].args)[Action.UPDATE_ACK])
    minutes_id = int(buttons(posts_to(env, FAC_A)[0].args)[Action.MINUTES_ACK])
    return update_id, minutes_id


def test_the_table_covers_every_role_and_action():
    assert len(ROLES) == 10 and len(CASES) == 5
    for case in CASES:
        assert case.allowed and case.allowed <= set(ROLES), case.action


@pytest.mark.parametrize("case", CASES, ids=[c.action for c in CASES])
def test_who_may(loop_env, case: Case):
    env = loop_env
    with freeze_time(WHEN):
        update_id, minutes_id = _set_up(env)
        subject_id = update_id if case.action == "acknowledge an update" else minutes_id
        outcomes = {}
        for role, user in ROLES.items():
            refusal = case.attempt(env, user, subject_id)
            outcomes[role] = refusal is None
            if refusal is None:
                continue
            assert SECRET_UPDATE not in refusal and SECRET_MINUTES not in refusal, (role, refusal)
            assert "UMGMT0002" not in refusal and "UFACC0001" not in refusal, (role, refusal)  # who has not acked
            if role == "unknown Slack user":
                assert STRANGER in refusal
            else:
                assert case.refusal in refusal, (role, refusal)
    assert {role for role, allowed in outcomes.items() if allowed} == case.allowed


def test_refusals_name_only_what_the_person_may_know(loop_env):
    """The refusals that name people name the ones the person deals with anyway: the leads (listed in
    `/cst help`), their own facilitator."""
    env = loop_env
    with freeze_time(WHEN):
        _, minutes_id = _set_up(env)
        update = _slash("update", Callback.UPDATE)(env, MEM_A, None)
        assert "(<@ULEAD0001>, <@ULEAD0002>)" in update and "/cst ask" in update
        member = _button(Action.MINUTES_SHARE)(env, MEM_A, minutes_id)
        assert member.endswith("yours is <@UFACA0001>.")
        other = _button(Action.MINUTES_SHARE)(env, MEM_B, minutes_id)
        assert other.endswith("yours is <@UFACB0001>.") and "UFACA0001" not in other
        staff = _button(Action.MINUTES_SHARE)(env, "USTAFF001", minutes_id)
        assert "yours is" not in staff


def _forge(env, user, view, values):
    """Submit `view` (a form opened for someone else) as `user`: what an attacker can send without the button."""
    payload = env.client.view_submission(user, view["callback_id"], values, private_metadata=view["private_metadata"],
                                         view=view)
    response = env.client.interactivity(payload)
    assert response.status == 200
    return response.json() if response.text else {}


@pytest.mark.parametrize("form", ["update", "minutes", "share"])
def test_forged_submissions_write_nothing(loop_env, form):
    """Who may send each form is checked again when it is submitted, not only when it opens."""
    from sqlmodel import Session, func, select

    from store.models import LeadUpdate, Minutes, MinutesShare

    env = loop_env
    model = {"update": LeadUpdate, "minutes": Minutes, "share": MinutesShare}[form]
    with freeze_time(WHEN):
        _, minutes_id = _set_up(env)
        if form == "update":
            env.client.slash_command("/cst", "update", user_id=LEAD)
            values = {Block.HIGHLIGHTS: {Block.HIGHLIGHTS: {"type": "plain_text_input", "value": "forged"}}}
            allowed, refusal = {LEAD}, "are sent by the lead facilitators"
        elif form == "minutes":
            env.client.slash_command("/cst", "minutes", user_id=MGMT)
            values = {Block.MEETING_DATE: {Block.MEETING_DATE: {"type": "datepicker", "selected_date": "2026-12-08"}},
                      Block.MINUTES_TEXT: {Block.MINUTES_TEXT: {"type": "plain_text_input", "value": "forged"}}}
            allowed, refusal = {MGMT}, "are shared by the MMD management team"
        else:
            click(env, FAC_A, Action.MINUTES_SHARE, str(minutes_id))
            values = {Block.NOTE: {Block.NOTE: {"type": "plain_text_input", "value": "forged"}}}
            allowed, refusal = {FAC_A, FAC_B}, "Only a CST facilitator passes management minutes on"
        view = env.slack.last("views.open").args["view"]
        with Session(env.engine) as s:
            before = s.exec(select(func.count()).select_from(model)).one()
        forgers = [u for role, u in ROLES.items() if u not in allowed and role != "unknown Slack user"]
        assert forgers
        for user in forgers:
            answer = _forge(env, user, view, values)
            text = json.dumps(answer)
            assert refusal in text and "forged" not in text and SECRET_MINUTES not in text, (user, answer)
        stranger = _forge(env, ROLES["unknown Slack user"], view, values)
        assert STRANGER in json.dumps(stranger)
        with Session(env.engine) as s:
            assert s.exec(select(func.count()).select_from(model)).one() == before
