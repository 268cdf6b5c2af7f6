"""The "Send to facilitator" shortcut, and the App Home tab for each role."""

from __future__ import annotations

from freezegun import freeze_time

from bot.ids import Action, Block, Callback
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import all_text, buttons, submit_ask, submit_modal


def shortcut(env, clicker, author, text, ts="1763300000.000100"):
    message = {"type": "message", "user": author, "text": text, "ts": ts}
    payload = env.client.message_shortcut(clicker, Callback.SEND_TO_FACILITATOR.value, message, channel_id="DMEMDIST01")
    return env.client.interactivity(payload)


def send_on(env, clicker, author, text, *, kind=None, topics=(), ts="1763300000.000100"):
    """The shortcut, then its one question answered (a question is preselected: sending it as is is one click).
    Returns what the modal says once sent."""
    env.slack.clear()
    assert shortcut(env, clicker, author, text, ts=ts).status == 200
    opened = env.slack.last("views.open").args["view"]
    assert opened["callback_id"] == Callback.FORWARD
    kind_block = next(b for b in opened["blocks"] if b.get("block_id") == Block.KIND)
    chosen = kind or kind_block["element"]["initial_option"]["value"]
    values = {Block.KIND: {Block.KIND: {"type": "radio_buttons", "selected_option": {"value": chosen}}}}
    if topics:
        values[Block.TOPICS] = {Block.TOPICS: {"type": "multi_static_select",
                                               "selected_options": [{"value": t} for t in topics]}}
    body = submit_modal(env, clicker, values).json()
    assert body["response_action"] == "update"
    return " ".join(b["text"]["text"] for b in body["view"]["blocks"] if b["type"] == "section")


def test_member_sends_a_district_dm_to_the_facilitator_once(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        said = send_on(env, "UMEMA0001", "USTAFF001", "Can someone walk our principals through the data wall?")
        assert "<@UFACA0001>" in said and "district request #1" in said
        env.deliver()
        card = env.dms("UFACA0001")[-1].args
        assert "data wall" in all_text(card)
        assert "slack.com/archives/DMEMDIST01/p1763300000000100" in all_text(card)
        assert Action.ANSWER in buttons(card) and Action.CONVERT in buttons(card)
        told = [c.args for c in env.dms("USTAFF001") if "now with <@UFACA0001> (CST facilitator)" in all_text(c.args)]
        assert len(told) == 1

        # Sending the same message on again does not create a second item nor tell the district twice.
        said = send_on(env, "UMEMA0001", "USTAFF001", "Can someone walk our principals through the data wall?")
        assert "already passed this message on" in said
        env.deliver()
        assert not env.dms("USTAFF001") and not env.dms("UFACA0001")


def test_shortcut_on_a_message_from_someone_who_is_not_district_staff(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        shortcut(env, "UMEMA0001", "ULEAD0001", "FYI the meeting moved")
        text = env.slack.last("response_url").args["text"]
        assert "not listed as district staff" in text and "/cst ask" in text
        env.deliver()
        assert not env.slack.calls_to("chat.postMessage")


def open_home(env, user):
    env.client.event(
        {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home", "event_ts": "1763300000.000200"}
    )
    return env.slack.last("views.publish").args


def test_home_tab_for_each_role(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        submit_ask(env, "USTAFF001", "Where is the observation rubric?", district=1)
        env.deliver()
        facilitator = open_home(env, "UFACA0001")
        assert facilitator["user_id"] == "UFACA0001"
        text = all_text(facilitator["view"])
        assert "Waiting for you (1)" in text and "observation rubric" in text
        assert Action.ANSWER in {
            e["action_id"] for b in facilitator["view"]["blocks"] if b["type"] == "actions" for e in b["elements"]
        }

        staff = all_text(open_home(env, "USTAFF001")["view"])
        assert "What you asked" in staff and "observation rubric" in staff and "Now with <@UFACA0001>" in staff
        assert "Waiting for you (0)" in staff

        lead = all_text(open_home(env, "ULEAD0001")["view"])
        assert "Lead facilitator" in lead and "Waiting for you (0)" in lead

        admin = all_text(open_home(env, "UADMIN001")["view"])
        assert "deliveries that failed" in admin

        stranger = all_text(open_home(env, "UNOBODY01")["view"])
        assert "does not have you in its roster" in stranger and "Ada Admin" in stranger


def test_a_stale_home_button_explains_itself_in_a_modal(app_env):
    """Home tab clicks carry no response_url: the refusal opens a small modal instead of vanishing."""
    env = app_env
    with freeze_time(MONDAY_10AM):
        submit_ask(env, "USTAFF001", "Where is the observation rubric?", district=1)
        env.deliver()
        item = buttons(env.dms("UFACA0001")[-1].args)[Action.ANSWER]
        home = {"type": "home", "id": "VHOME0001"}
        env.client.interactivity(env.client.block_action("USTAFF001", Action.ANSWER, item, view=home))
        opened = env.slack.last("views.open").args["view"]
        assert opened["title"]["text"] == "Nothing changed"
        assert "only they" in all_text(opened)
