"""The permission matrix: every role against every action, over signed HTTP, as an attacker would send it.

Each action is sent the way that writes (a forged modal submission, or the click that acts at once), never only
the button a card shows. The table says who may; for everyone else the test checks that nothing changed and that
the refusal tells them only what they may know: someone not part of an item reads exactly the same words as for
an item that does not exist.

Roles (tests/e2e/conftest.py ROSTER): district staff of Team A's districts, a Team A member, a Team B member, the
Team A facilitator, the Team B facilitator, a lead (of two: an item at the lead tier is offered to both, and the
first to take it owns it), a management team member, the state trainer-match contact (who may name one of their
trainers), an admin, and a Slack user the roster does not know. `cstbot export` is a server command: who may run
it is who may log in to the server, not a Slack permission, so it has no row here.
"""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from sqlmodel import Session, func, select

from bot.ids import Action, Block, Callback
from store.models import Interaction, Item, ItemEvent, LogMonth
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import submit_ask, text_value
from tests.e2e.test_logs_flow import values as log_values

STAFF, MEM_A, MEM_B, FAC_A, FAC_B = "USTAFF001", "UMEMA0001", "UMEMB0001", "UFACA0001", "UFACB0001"
LEAD, LEAD2, MGMT, STATE, ADMIN, STRANGER = "ULEAD0001", "ULEAD0002", "UMGMT0001", "USTATE001", "UADMIN001", "UNOBODY01"
TRAINER = "UTRAIN001"  # one of the state contact's trainers (roster state_contacts[].trainers)
ROLES = (STAFF, MEM_A, MEM_B, FAC_A, FAC_B, LEAD, MGMT, STATE, ADMIN, STRANGER)

NOT_INVOLVED = "You can't act on this request. `/cst inbox` lists what waits for you."
STRANGER_TEXT = "cstbot does not have you in its roster yet"
SECRET_TEXT = "Where is the observation rubric?"  # the item's own words: never shown to someone not on it
MONTH = "2026-11"

# action -> (who may, who is part of the item but may not: told why in their own words). Everyone else (and the
# stranger) is refused without learning anything about the item.
ITEM_MATRIX = {
    "answer": ({FAC_A, ADMIN}, {STAFF}),
    "escalate": ({FAC_A, ADMIN}, {STAFF}),
    "withdraw": ({STAFF, ADMIN}, {FAC_A}),
    "reassign": ({LEAD, ADMIN}, {FAC_A}),  # a question from the facilitator, at the lead tier, taken by LEAD
    "take": ({LEAD}, {FAC_A, ADMIN}),  # the same, not taken yet: only the leads it was offered to (LEAD2 too)
    "pick": ({FAC_A, ADMIN}, {STAFF}),  # a training request at the pick stage
    "offer own member": ({FAC_B, ADMIN}, {FAC_A, STAFF}),  # Team B's facilitator offers Team B's member
    "offer anyone": (set(), {FAC_A, FAC_B, STAFF, ADMIN}),  # ... or a management member: nobody may
    "offer own trainer": ({STATE, ADMIN}, {FAC_A, FAC_B, STAFF}),  # the state contact names one of their trainers
    "convert": ({FAC_A, ADMIN}, {STAFF}),  # "This is a training request": the owner's (or an admin's)
}
# action -> who may. Refusals on the coaching log name no entry's contents.
LOG_MATRIX = {
    "add entry": {MEM_A, FAC_A},
    "edit entry": {MEM_A, FAC_A},  # the author and the facilitator (an admin has no team's districts to log)
    "remove entry": {MEM_A, FAC_A, ADMIN},
    "review month": {FAC_A, ADMIN},
    "submit month": {FAC_A, ADMIN},
    "reopen month": {FAC_A, ADMIN},
}
# action -> who may. `/cst share` (reports and notices to audiences of the network): the management team, the state
# contacts and the leads. Everyone else is told who can share, and nothing else.
SHARE_MATRIX = {
    "open share": {LEAD, MGMT, STATE},
    "submit share": {LEAD, MGMT, STATE},  # a forged submission of a real form, sent as each role
}
SHARE_REFUSAL = ("Reports and notices are shared with the network by the MMD management team, DESE trainer-match "
                 "contacts and lead facilitators, with `/cst share`.")


def count(env, model, *where) -> int:
    with Session(env.engine) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def item_row(env, item_id) -> Item:
    with Session(env.engine) as s:
        return s.get(Item, item_id)


def latest_item(env) -> int:
    with Session(env.engine) as s:
        return s.exec(select(func.max(Item.id))).one()


def modal_submit(env, user, callback, item_id, values) -> str:
    """A forged submission of an item modal. Returns what the person was told ("" when the modal just closed)."""
    meta = json.dumps({"item_id": item_id})
    payload = env.client.view_submission(user, callback.value, values, private_metadata=meta)
    body = env.client.interactivity(payload).json()
    assert body is not None
    if body.get("response_action") == "clear":
        return ""
    if body.get("response_action") == "errors":
        return " ".join(body["errors"].values())
    return " ".join(b["text"]["text"] for b in body["view"]["blocks"] if b["type"] == "section")


def click_text(env, user, action_id, value=None, **kw) -> str:
    """A click on a message; returns the ephemeral reply (the refusal), or "" when there was none."""
    env.slack.clear()
    r = env.client.interactivity(env.client.block_action(user, action_id, value, **kw))
    assert r.status == 200
    replies = env.slack.calls_to("response_url")
    return replies[-1].args.get("text", "") if replies else ""


# --- items -------------------------------------------------------------------------------------------------


def district_question(env) -> int:
    submit_ask(env, STAFF, SECRET_TEXT, district=1)
    return latest_item(env)


def facilitator_question(env) -> int:
    submit_ask(env, FAC_A, SECRET_TEXT, district=1, kind="question")
    return latest_item(env)


def training(env, *, stage2: bool) -> int:
    submit_ask(env, STAFF, SECRET_TEXT, callback=Callback.TRAIN, district=1, topics=["Data"])
    item_id = latest_item(env)
    if stage2:
        assert modal_submit(env, FAC_A, Callback.ESCALATE, item_id, text_value(Block.NOTE, "none here")) == ""
    return item_id


def person_id(env, slack_id) -> int:
    return env.person_id(slack_id)


def training_at_state(env) -> int:
    item_id = training(env, stage2=True)
    assert modal_submit(env, FAC_B, Callback.DECLINE, item_id, text_value(Block.NOTE, "")) == ""
    return item_id


def setup(env, action: str) -> int:
    """The item the action needs, fresh."""
    if action in ("answer", "escalate", "withdraw", "convert"):
        return district_question(env)
    if action == "take":
        return facilitator_question(env)
    if action == "reassign":
        item_id = facilitator_question(env)
        assert click_text(env, LEAD, Action.TAKE, str(item_id)) == ""
        return item_id
    if action == "offer own trainer":
        return training_at_state(env)
    return training(env, stage2=action != "pick")


def attempt(env, action: str, user: str, item_id: int) -> str:
    """Send the action as `user`; returns what they were told."""
    if action == "answer":
        return modal_submit(env, user, Callback.ANSWER, item_id, text_value(Block.ANSWER, "Here."))
    if action == "escalate":
        return modal_submit(env, user, Callback.ESCALATE, item_id, text_value(Block.NOTE, ""))
    if action == "withdraw":
        return click_text(env, user, Action.WITHDRAW, str(item_id))
    if action == "reassign":
        pick = {Block.ASSIGNEE: {Block.ASSIGNEE: {"type": "users_select", "selected_user": LEAD2}}}
        return modal_submit(env, user, Callback.REASSIGN, item_id, pick)
    if action == "pick":
        value = f"{item_id}:{person_id(env, MEM_A)}"
        return click_text(env, user, Action.PICK, None, action={"selected_option": {"value": value}},
                          action_type="static_select")
    if action == "take":
        return click_text(env, user, Action.TAKE, str(item_id))
    if action == "convert":
        data = {"type": "multi_static_select", "selected_options": [{"value": "Data"}]}
        topics = {Block.TOPICS: {Block.TOPICS: data}}
        return modal_submit(env, user, Callback.CONVERT, item_id, topics)
    candidate = person_id(env, {"offer own member": MEM_B, "offer own trainer": TRAINER}.get(action, MGMT))
    choice = {Block.CANDIDATE: {Block.CANDIDATE: {"type": "static_select",
                                                  "selected_option": {"value": str(candidate)}}},
              Block.DAYS: {Block.DAYS: {"type": "number_input", "value": "2"}}}
    return modal_submit(env, user, Callback.OFFER, item_id, choice)


@pytest.mark.parametrize("action", list(ITEM_MATRIX))
def test_item_actions(app_env, action):
    env = app_env
    allowed, involved = ITEM_MATRIX[action]
    outcomes = {}
    with freeze_time(MONDAY_10AM):
        for user in ROLES:
            item_id = setup(env, action)
            revision, events = item_row(env, item_id).revision, count(env, ItemEvent, ItemEvent.item_id == item_id)
            told = attempt(env, action, user, item_id)
            changed = item_row(env, item_id).revision > revision
            outcomes[user] = changed
            if user in allowed:
                assert changed, f"{action} by {user} should have been done: {told!r}"
                continue
            assert count(env, ItemEvent, ItemEvent.item_id == item_id) == events, (action, user)
            assert told, f"{action} by {user} was refused silently"
            if user == STRANGER:
                assert STRANGER_TEXT in told
            elif user in involved:
                assert told != NOT_INVOLVED and SECRET_TEXT not in told, (action, user, told)
            else:
                assert told == NOT_INVOLVED, (action, user, told)
    assert {u for u, done in outcomes.items() if done} == allowed


def test_an_id_that_does_not_exist_reads_like_one_that_is_not_yours(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        item_id = district_question(env)
        for forged in (str(item_id + 999), str(item_id)):
            assert click_text(env, MEM_B, Action.ANSWER, forged) == NOT_INVOLVED
            assert modal_submit(env, MEM_B, Callback.ANSWER, int(forged), text_value(Block.ANSWER, "x")) == (
                NOT_INVOLVED)


# --- the coaching log --------------------------------------------------------------------------------------


def member_entry(env) -> int:
    payload = env.client.view_submission(MEM_A, Callback.LOG.value, log_values(), private_metadata="{}")
    assert env.client.interactivity(payload).json()["response_action"] == "update"
    with Session(env.engine) as s:
        return s.exec(select(func.max(Interaction.id))).one()


def team_a(env) -> int:
    with Session(env.engine) as s:
        return s.exec(select(Item.team_id).where(Item.team_id.is_not(None))).first() or 1


def answer_text(body: dict) -> str:
    """What a view_submission's answer shows: its field errors, or the sections of the modal it opens."""
    if body.get("response_action") == "errors":
        return " ".join(body["errors"].values())
    view = body.get("view") or {}
    return " ".join(b["text"]["text"] for b in view.get("blocks", []) if b.get("type") == "section")


def opened_text(env) -> str:
    """What a click told the clicker: an ephemeral reply, or a modal opened or pushed."""
    replies = env.slack.calls_to("response_url")
    if replies:
        return replies[-1].args.get("text", "")
    opened = env.slack.calls_to("views.open") + env.slack.calls_to("views.push")
    if not opened:
        return ""
    view = opened[-1].args["view"]
    return " ".join(b["text"]["text"] for b in view.get("blocks", []) if b.get("type") == "section")


def submit(env, user, callback, values, meta) -> str:
    body = env.client.interactivity(env.client.view_submission(user, callback, values, private_metadata=meta)).json()
    return answer_text(body or {})


def log_attempt(env, action: str, user: str) -> tuple[bool, str]:
    """Send the coaching-log action as `user`; (whether it was done, what they were told)."""
    env.slack.clear()
    if action == "add entry":
        before = count(env, Interaction)
        told = submit(env, user, Callback.LOG, log_values(comments="by " + user), "{}")
        return count(env, Interaction) == before + 1, told
    entry = member_entry(env)
    env.slack.clear()
    if action == "edit entry":
        told = submit(env, user, Callback.LOG, log_values(comments="edited"), json.dumps({"entry_id": entry}))
        with Session(env.engine) as s:
            return s.get(Interaction, entry).comments == "edited", told
    if action == "remove entry":
        review = {"type": "modal", "id": "VREVIEW01", "private_metadata": json.dumps({"team_id": 1, "month": MONTH})}
        env.client.interactivity(env.client.block_action(
            user, Action.LOG_ENTRY_MENU, None, view=review, action_type="overflow",
            action={"selected_option": {"value": f"remove:{entry}"}}))
        with Session(env.engine) as s:
            return s.get(Interaction, entry).deleted_at is not None, opened_text(env)
    if action == "review month":
        env.client.interactivity(env.client.block_action(user, Action.LOG_REVIEW, f"1:{MONTH}"))
        opened = env.slack.calls_to("views.open")
        done = bool(opened) and opened[-1].args["view"].get("callback_id") == Callback.LOG_SUBMIT
        return done, "" if done else opened_text(env)
    month = json.dumps({"team_id": 1, "month": MONTH})
    if action == "submit month":
        told = submit(env, user, Callback.LOG_SUBMIT, {}, month)
        return count(env, LogMonth, LogMonth.status == "submitted") == 1, told
    submit(env, FAC_A, Callback.LOG_SUBMIT, {}, month)
    told = submit(env, user, Callback.LOG_REOPEN, text_value(Block.NOTE, "a date was wrong"), month)
    return count(env, LogMonth, LogMonth.status == "submitted") == 0, told


@pytest.mark.parametrize("action", list(LOG_MATRIX))
def test_coaching_log_actions(app_env, action):
    env = app_env
    done = set()
    with freeze_time(MONDAY_10AM):
        for user in ROLES:
            with Session(env.engine) as s:  # each role starts from an empty log
                for model in (Interaction, LogMonth):
                    for row in s.exec(select(model)):
                        s.delete(row)
                s.commit()
            ok, told = log_attempt(env, action, user)
            if ok:
                done.add(user)
                continue
            assert told, f"{action} by {user} was refused silently"
            assert "Next: walkthrough" not in told and "Principal" not in told, (action, user, told)  # no contents
            if user == STRANGER:
                assert STRANGER_TEXT in told
    assert done == LOG_MATRIX[action]


# --- /cst share ----------------------------------------------------------------------------------------------


def share_attempt(env, action: str, user: str) -> tuple[bool, str]:
    """(whether it went through, what the person was told)."""
    from store.models import Share

    env.slack.clear()
    if action == "open share":
        response = env.client.slash_command("/cst", "share", user_id=user)
        assert response.status == 200
        opened = env.slack.calls_to("views.open")
        if opened:
            assert opened[-1].args["view"]["callback_id"] == Callback.SHARE
            return True, ""
        return False, response.json()["text"] if response.text.startswith("{") else response.text
    env.client.slash_command("/cst", "share", user_id=LEAD)  # the form as a sharer opened it
    view = env.slack.last("views.open").args["view"]
    values = {Block.SHARE_TITLE: {Block.SHARE_TITLE: {"type": "plain_text_input", "value": "Forged report"}},
              Block.SHARE_TEXT: {Block.SHARE_TEXT: {"type": "plain_text_input", "value": SECRET_TEXT}},
              Block.AUDIENCES: {Block.AUDIENCES: {"type": "checkboxes", "selected_options": [
                  {"value": "facilitators"}, {"value": "members"}, {"value": "management"}]}}}
    before = count(env, Share)
    payload = env.client.view_submission(user, view["callback_id"], values, private_metadata=view["private_metadata"],
                                         view=view)
    body = env.client.interactivity(payload).json() or {}
    told = " ".join(b["text"]["text"] for b in (body.get("view") or {}).get("blocks", []) if b["type"] == "section")
    return count(env, Share) > before, told


@pytest.mark.parametrize("action", list(SHARE_MATRIX))
def test_share_actions(app_env, action):
    env = app_env
    done = set()
    with freeze_time(MONDAY_10AM):
        for user in ROLES:
            ok, told = share_attempt(env, action, user)
            if ok:
                done.add(user)
                continue
            assert told, f"{action} by {user} was refused silently"
            assert SECRET_TEXT not in told, (action, user, told)
            if user == STRANGER:  # told whom to ask to be added, like every request from someone not in the roster
                assert STRANGER_TEXT in told
            else:  # who can share, naming no one
                assert SHARE_REFUSAL in told and "<@" not in told, (action, user, told)
    assert done == SHARE_MATRIX[action]
