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

        # Stage 1, inside the team: the facilitator sees ranked candidates with reasons, and can pick or pass.
        card = env.dms("UFACA0001")[-1].args
        text = all_text(card)
        assert "Max Member" in text and "Mia Member" in text and "expertise" in text
        item_id = buttons(card)[Action.ESCALATE]
        picks = [b for b in card["blocks"] if b.get("block_id") == "pick"]
        assert picks and len(picks[0]["accessory"]["options"]) == 3  # the facilitator may train too
        # The requester can see where it stands.
        status = env.dms("USTAFF001")[-1].args
        assert "<@UFACA0001>" in all_text(status)

        labels = {e["action_id"]: e["text"]["text"] for b in card["blocks"] if b["type"] == "actions"
                  for e in b["elements"]}
        assert labels[Action.ESCALATE] == "No match here"
        # Nobody inside fits (no SPED expertise): the facilitator passes the stage.
        click(env, "UFACA0001", Action.ESCALATE, item_id)
        r = submit_modal(env, "UFACA0001", text_value(Block.NOTE, "No SPED expertise on our team"))
        assert r.json()["response_action"] == "clear"
        env.deliver()

        # Stage 2: the other team's facilitator is asked to offer someone.
        offer_card = env.dms("UFACB0001")[-1].args
        assert set(buttons(offer_card)) >= {Action.OFFER, Action.DECLINE}
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

        click(env, "USTATE001", Action.OFFER, item_id)
        opened = env.slack.last("views.open").args["view"]
        assert opened["callback_id"] == Callback.OFFER
        me = opened["blocks"][1]["element"]["initial_option"]["value"]
        r = submit_modal(
            env,
            "USTATE001",
            {Block.CANDIDATE: {Block.CANDIDATE: {"type": "static_select", "selected_option": {"value": me}}}},
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
