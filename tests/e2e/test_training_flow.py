"""A training request walks all three matching stages: own team, other facilitators, the state."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time

from bot.ids import Action, Block, Callback
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import all_text, buttons, click, submit_ask, submit_modal, text_value


def test_training_request_walks_three_stages(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM) as clock:
        r = submit_ask(
            env,
            "USTAFF001",
            "Two days of IEP goal-writing training for our SPED team",
            callback=Callback.TRAIN,
            district=1,
            topics=["Special Education"],
        )
        assert r.status == 200 and r.json()["response_action"] == "update"
        env.deliver()

        # Stage 1, inside the team: nobody on Team A lists Special Education, and the card says so plainly, with
        # who in the network does, by team; asking the other facilitators is the main button.
        card = env.dms("UFACA0001")[-1].args
        text = card["blocks"][0]["text"]["text"]
        assert "Nobody in Team A lists Special Education." in text
        assert "• Ben Member, Team B" in text and "• Cal Contact, DESE trainer-match contact" in text
        assert "Max Member" not in text and "Mia Member" not in text  # listing nothing asked: not candidates
        item_id = buttons(card)[Action.ESCALATE]
        assert not [b for b in card["blocks"] if b.get("block_id") == "pick"]  # nobody to pick
        # The requester can see where it stands.
        status = env.dms("USTAFF001")[-1].args
        assert "<@UFACA0001> (CST facilitator)" in all_text(status)

        elements = {e["action_id"]: e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]}
        assert elements[Action.ESCALATE]["text"]["text"] == "Ask other CST facilitators"
        assert elements[Action.ESCALATE]["style"] == "primary"
        # The facilitator asks the other facilitators now.
        click(env, "UFACA0001", Action.ESCALATE, item_id)
        r = submit_modal(env, "UFACA0001", text_value(Block.NOTE, "No SPED expertise on our team"))
        assert r.json()["response_action"] == "clear"
        env.deliver()

        # Stage 2: the other team's facilitator is asked to offer someone, shown their own member who lists it.
        offer_card = env.dms("UFACB0001")[-1].args
        assert set(buttons(offer_card)) >= {Action.OFFER, Action.DECLINE}
        assert "1. *Ben Member*: expertise: Special Education (1 of 1)" in offer_card["blocks"][0]["text"]["text"]
        # ... and sees it on their Home tab; the asker's own facilitator (not asked) does not.
        env.client.event({"type": "app_home_opened", "user": "UFACB0001", "tab": "home"})
        home = all_text(env.slack.last("views.publish").args["view"])
        assert "Trainer offers asked of you" in home and "goal-writing" in home
        env.client.event({"type": "app_home_opened", "user": "UMEMA0001", "tab": "home"})
        assert "Trainer offers asked of you" not in all_text(env.slack.last("views.publish").args["view"])
        # A member who was not asked cannot offer, and learns nothing about the request.
        r = click(env, "UMEMA0001", Action.OFFER, item_id)
        assert env.slack.last("response_url").args["text"].startswith("You can't act on this request")
        assert env.slack.calls_to("views.open")[-1].args["view"]["callback_id"] != Callback.OFFER

        # Nobody answers: three business days later the stage moves on by itself.
        clock.tick(timedelta(days=7))
        stats = env.service().sweep(now=env.deps.now())
        assert stats.moved == 1
        env.deliver()

        # Stage 3: the state contact with the relevant expertise is asked, and offers themself.
        state_card = env.dms("USTATE001")[-1].args
        assert Action.OFFER in buttons(state_card)
        # The other facilitator's card no longer offers buttons.
        updates = [u.args for u in env.slack.calls_to("chat.update") if u.args["channel"].endswith("UFACB0001")]
        assert updates and not buttons(updates[-1])
        # The requester's card, edited in place, says where the request is now: at the state, with its owner's role.
        mine = [u.args for u in env.slack.calls_to("chat.update") if u.args["channel"].endswith("USTAFF001")][-1]
        said = mine["blocks"][0]["text"]["text"]
        assert "is with <@UFACA0001> (CST facilitator)" in said
        assert "Trainer matching moved on to: DESE (Collaborative Work FTE)." in said
        assert "reached the right person" not in said

        click(env, "USTATE001", Action.OFFER, item_id)
        opened = env.slack.last("views.open").args["view"]
        assert opened["callback_id"] == Callback.OFFER
        assert "220 of 220 day(s) of Collaborative Work FTE left" in all_text(opened)  # 1.0 FTE, nothing committed
        me = opened["blocks"][1]["element"]["initial_option"]["value"]
        r = submit_modal(
            env,
            "USTATE001",
            {Block.CANDIDATE: {Block.CANDIDATE: {"type": "static_select", "selected_option": {"value": me}}},
             Block.DAYS: {Block.DAYS: {"type": "number_input", "value": "2"}}},
        )
        assert r.json()["response_action"] == "clear"
        env.deliver()

        matched = [c.args for c in env.dms("USTAFF001") if "trainer is matched" in all_text(c.args)]
        assert matched and "Cal Contact" in all_text(matched[-1])
        assert any("matched with" in all_text(c.args) for c in env.dms("UFACA0001"))
        # A late click is answered politely and changes nothing.
        r = click(env, "UFACB0001", Action.OFFER, item_id)
        assert r.status == 200
        assert "matched" in env.slack.last("response_url").args["text"]
