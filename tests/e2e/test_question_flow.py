"""A district question reaches the right facilitator, is escalated to the lead and answered back."""

from __future__ import annotations

from freezegun import freeze_time

from bot.ids import Action, Block, Callback
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import all_text, buttons, click, submit_ask


def last_card(env, slack_id):
    return env.dms(slack_id)[-1].args


def test_district_question_escalated_and_answered(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        district_one = 1
        r = submit_ask(env, "USTAFF001", "How do we start data teams?", district=district_one)
        assert r.status == 200
        body = r.json()
        assert body["response_action"] == "update"
        assert "<@UFACA0001>" in body["view"]["blocks"][0]["text"]["text"]
        env.deliver()
        card = last_card(env, "UFACA0001")
        assert "How do we start data teams?" in str(card["blocks"])
        actions = [b for b in card["blocks"] if b["type"] == "actions"][0]
        ids = [e["action_id"] for e in actions["elements"]]
        assert ids[:3] == [Action.ANSWER, Action.ESCALATE, Action.REASSIGN]
        item_id = actions["elements"][0]["value"]
        # the asker got a status card
        assert env.dms("USTAFF001"), "the district person is told where the request went"

        # a click by someone on the item who may not answer is refused with an explanation, and changes nothing
        env.slack.clear()
        r = click(env, "USTAFF001", Action.ANSWER, item_id)
        assert r.status == 200
        refusal = env.slack.last("response_url").args
        assert "only they" in refusal["text"] and "<@UFACA0001>" in refusal["text"]
        assert not env.slack.calls_to("views.open")
        # someone not part of it learns nothing about it (not who has it, not that it exists)
        env.slack.clear()
        click(env, "ULEAD0001", Action.ANSWER, item_id)
        refusal = env.slack.last("response_url").args["text"]
        assert refusal.startswith("You can't act on this request") and "UFACA0001" not in refusal
        assert not env.slack.calls_to("views.open")

        # the facilitator escalates: a modal with an optional note
        r = click(env, "UFACA0001", Action.ESCALATE, item_id)
        opened = env.slack.last("views.open").args["view"]
        assert opened["callback_id"] == Callback.ESCALATE
        payload = env.client.view_submission(
            "UFACA0001",
            Callback.ESCALATE.value,
            {Block.NOTE: {Block.NOTE: {"type": "plain_text_input", "value": "Needs DESE guidance"}}},
            private_metadata=opened["private_metadata"],
            view=opened,
        )
        r = env.client.interactivity(payload)
        assert r.status == 200 and r.json()["response_action"] == "clear"
        env.deliver()
        lead_card = last_card(env, "ULEAD0001")
        assert "How do we start data teams?" in str(lead_card["blocks"])
        # the facilitator's card was edited: no buttons any more
        updates = env.slack.calls_to("chat.update")
        assert updates, "the previous owner's card is edited"
        fac_update = [u for u in updates if u.args["channel"] == "DUFACA0001" or u.args["channel"] == "UFACA0001"]
        assert fac_update and not any(b["type"] == "actions" for b in fac_update[-1].args["blocks"])

        # two leads: both are offered it with *Take it*, and the first to take it owns it
        assert buttons(lead_card) == {Action.TAKE: item_id}
        assert buttons(last_card(env, "ULEAD0002")) == {Action.TAKE: item_id}
        env.slack.clear()
        click(env, "ULEAD0001", Action.TAKE, item_id)
        assert not env.slack.calls_to("response_url")  # no refusal
        env.deliver()
        edits = {u.args["channel"].removeprefix("D"): u.args for u in env.slack.calls_to("chat.update")}
        headline = edits["ULEAD0002"]["blocks"][0]["text"]["text"]
        assert headline.startswith("*Taken by <@ULEAD0001>*") and not buttons(edits["ULEAD0002"])
        assert Action.ANSWER in buttons(edits["ULEAD0001"])  # the taker's own card now has the owner's buttons
        env.slack.clear()
        click(env, "ULEAD0002", Action.TAKE, item_id)  # too late: told who took it, nothing changes
        assert "is with <@ULEAD0001> now (taken first)" in env.slack.last("response_url").args["text"]

        # the lead answers
        click(env, "ULEAD0001", Action.ANSWER, item_id)
        opened = env.slack.last("views.open").args["view"]
        payload = env.client.view_submission(
            "ULEAD0001",
            Callback.ANSWER.value,
            {
                Block.ANSWER: {
                    Block.ANSWER: {"type": "plain_text_input", "value": "Start with the MMD Blueprint, chapter 3."}
                }
            },
            private_metadata=opened["private_metadata"],
            view=opened,
        )
        r = env.client.interactivity(payload)
        assert r.json()["response_action"] == "clear"
        env.deliver()
        answers = [c for c in env.dms("USTAFF001") if "chapter 3" in str(c.args)]
        assert answers, "the answer reaches the district person"


def test_reassign_to_someone_outside_the_tier_is_a_field_error_then_works(app_env):
    env = app_env
    from tests.e2e.flows import submit_modal

    with freeze_time(MONDAY_10AM):
        submit_ask(env, "UMEMA0001", "Is the spring convening in person?", kind="question")
        env.deliver()
        item = buttons(env.dms("UFACA0001")[-1].args)[Action.ESCALATE]
        click(env, "UFACA0001", Action.ESCALATE, item)
        submit_modal(env, "UFACA0001", {})
        env.deliver()
        click(env, "ULEAD0001", Action.TAKE, item)
        click(env, "ULEAD0001", Action.REASSIGN, item)
        pick = {Block.ASSIGNEE: {Block.ASSIGNEE: {"type": "users_select", "selected_user": "UMEMB0001"}}}
        r = submit_modal(env, "ULEAD0001", pick)
        assert r.json()["response_action"] == "errors"
        assert "same tier" in r.json()["errors"][Block.ASSIGNEE]
        pick = {Block.ASSIGNEE: {Block.ASSIGNEE: {"type": "users_select", "selected_user": "ULEAD0002"}}}
        r = submit_modal(env, "ULEAD0001", pick)
        assert r.json()["response_action"] == "clear"
        env.deliver()
        assert "spring convening" in str(env.dms("ULEAD0002")[-1].args["blocks"])


def test_reminder_before_the_deadline_and_escalation_after_it(app_env):
    env = app_env
    from datetime import timedelta

    with freeze_time(MONDAY_10AM) as clock:
        submit_ask(env, "UMEMA0001", "Do we report walkthroughs monthly?", kind="question")
        env.deliver()
        with env.deps.session() as s:
            from store.models import Item

            item = s.get(Item, 1)
            remind_at, deadline_at = item.remind_at, item.deadline_at
        assert remind_at < deadline_at
        assert env.service().sweep(now=env.deps.now()).reminded == 0  # nothing due yet
        clock.move_to(remind_at)
        assert env.service().sweep(now=env.deps.now()).reminded == 1
        assert env.service().sweep(now=env.deps.now()).reminded == 0  # reminded once
        env.deliver()
        assert "Reminder" in all_text(env.dms("UFACA0001")[-1].args)
        clock.move_to(deadline_at + timedelta(minutes=1))
        assert env.service().sweep(now=env.deps.now()).moved == 1
        env.deliver()
        assert "walkthroughs" in all_text(env.dms("ULEAD0001")[-1].args)
        assert any("moved up" in all_text(c.args) for c in env.dms("UFACA0001"))

        # Nobody takes it at the lead tier: both leads are reminded, and at the deadline it moves on as before.
        with env.deps.session() as s:
            item = s.get(Item, 1)
            remind_at, deadline_at = item.remind_at, item.deadline_at
        env.slack.clear()
        clock.move_to(remind_at)
        assert env.service().sweep(now=env.deps.now()).reminded == 1
        env.deliver()
        reminded = {c.args["channel"] for c in env.slack.calls_to("chat.postMessage") if "Reminder" in all_text(c.args)}
        assert reminded == {"ULEAD0001", "ULEAD0002"}
        clock.move_to(deadline_at + timedelta(minutes=1))
        assert env.service().sweep(now=env.deps.now()).moved == 1
        env.deliver()
        assert "walkthroughs" in all_text(env.dms("UMGMT0001")[-1].args)
