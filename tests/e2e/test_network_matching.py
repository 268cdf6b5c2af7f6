"""Trainer matching that knows the whole network, over signed HTTP on SQLite and PostgreSQL (issue 12):
the support team as candidates (and present on any team's log), the state contacts' trainers and allocation,
the last resort's director, and a request that turns out to be a training request.

Roster: tests/e2e/conftest.py. Team A (Fay; Max lists Data and Leadership), Team B (Bo; Ben lists Special
Education), Cal Contact (state contact, 1.0 FTE = 220 days; can assign Tia Trainer), Sam Support (support team:
Social-Behavioral, Early Childhood, 0.3 FTE stated free), Dora Director (RPDC director of North Center, District
One's center).
"""

from __future__ import annotations

from freezegun import freeze_time
from sqlmodel import Session, select

from bot.cli import main
from bot.ids import Action, Block, Callback
from store.models import Item, TrainerCommitment
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import all_text, buttons, click, submit_ask, submit_modal, text_value
from tests.e2e.test_logs_flow import values as log_values
from tests.e2e.test_redirect_and_home import send_on

FAC_A, FAC_B, STAFF, STATE = "UFACA0001", "UFACB0001", "USTAFF001", "USTATE001"
SUPPORT, TRAINER, DIRECTOR, MEM_A = "USUPP0001", "UTRAIN001", "UDIRR0001", "UMEMA0001"


def newest(env) -> Item:
    with Session(env.engine) as s:
        return s.exec(select(Item).order_by(Item.id.desc())).first()


def request_training(env, topic: str) -> str:
    submit_ask(env, STAFF, f"Training in {topic}, please", callback=Callback.TRAIN, district=1, topics=[topic])
    env.deliver()
    return str(newest(env).id)


def first_section(call_args) -> str:
    return call_args["blocks"][0]["text"]["text"]


def ask_the_other_teams(env, item_id: str) -> None:
    click(env, FAC_A, Action.ESCALATE, item_id)
    assert submit_modal(env, FAC_A, text_value(Block.NOTE, "")).json()["response_action"] == "clear"
    env.deliver()


def decline(env, user: str, item_id: str) -> None:
    click(env, user, Action.DECLINE, item_id)
    assert submit_modal(env, user, text_value(Block.NOTE, "not this time")).json()["response_action"] == "clear"
    env.deliver()


def offer(env, user: str, item_id: str, trainer: str, days: str, *, over: bool = False):
    click(env, user, Action.OFFER, item_id)
    opened = env.slack.last("views.open").args["view"]
    option = next(o["value"] for b in opened["blocks"] if b.get("block_id") == Block.CANDIDATE
                  for o in b["element"]["options"] if o["value"] == str(env.person_id(trainer)))
    values = {Block.CANDIDATE: {Block.CANDIDATE: {"type": "static_select", "selected_option": {"value": option}}},
              Block.DAYS: {Block.DAYS: {"type": "number_input", "value": days}}}
    if over:
        values[Block.OVER] = {Block.OVER: {"type": "checkboxes", "selected_options": [{"value": "confirm"}]}}
    return submit_modal(env, user, values).json()


def test_the_support_team_is_a_candidate_for_any_team_and_present_on_any_teams_log(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        item_id = request_training(env, "Early Childhood")  # nobody on Team A lists it; the support team does
        card = env.dms(FAC_A)[-1].args
        assert "1. *Sam Support*: CST support team member; expertise: Early Childhood (1 of 1); 0.3 FTE free" in (
            first_section(card))
        pick = next(b for b in card["blocks"] if b.get("block_id") == "pick")
        assert [o["text"]["text"] for o in pick["accessory"]["options"]] == ["1. Sam Support"]
        click(env, FAC_A, Action.PICK, None, action={"selected_option": {"value": f"{item_id}:"
                                                                                  f"{env.person_id(SUPPORT)}"}},
              action_type="static_select")
        env.deliver()
        assert newest(env).status == "matched"
        assert "You were matched as the trainer" in all_text(env.dms(SUPPORT)[-1].args)

        # Team A's member lists the support team member as present on the team's coaching log.
        env.client.slash_command("/cst", "log", user_id=MEM_A)
        opened = env.slack.last("views.open").args["view"]
        present = next(b for b in opened["blocks"] if b.get("block_id") == "members")
        assert "Sam Support" in [o["text"]["text"] for o in present["element"]["options"]]
        values = log_values()
        values["members"] = {"members": {"type": "multi_static_select",
                                         "selected_options": [{"value": str(env.person_id(SUPPORT))}]}}
        body = submit_modal(env, MEM_A, values).json()
        assert body["response_action"] == "update", body


def test_a_state_contact_names_a_trainer_and_past_the_allocation_must_confirm(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        item_id = request_training(env, "Special Education")
        ask_the_other_teams(env, item_id)
        decline(env, FAC_B, item_id)  # Team B's facilitator, asked first (Ben lists it): the state contacts next
        assert "Can you offer a trainer?" in first_section(env.dms(STATE)[-1].args)

        body = offer(env, STATE, item_id, TRAINER, "230")  # 220 days left this school year
        assert body["response_action"] == "errors", body
        assert "has 220 of 220 day(s) of Collaborative Work FTE left" in body["errors"][Block.OVER]
        assert newest(env).status == "open"
        body = offer(env, STATE, item_id, TRAINER, "230", over=True)
        assert body["response_action"] == "clear", body
        env.deliver()
        assert newest(env).status == "matched"
        with Session(env.engine) as s:
            (row,) = s.exec(select(TrainerCommitment)).all()
        assert (row.item_id, row.days, row.over_allocation) == (int(item_id), 230, True)
        assert (row.contact_id, row.trainer_id) == (env.person_id(STATE), env.person_id(TRAINER))
        assert "You were matched as the trainer" in all_text(env.dms(TRAINER)[-1].args)


def test_the_ledger_command_reads_what_was_committed(app_env, capsys, monkeypatch):
    env = app_env
    with freeze_time(MONDAY_10AM):
        item_id = request_training(env, "Special Education")
        ask_the_other_teams(env, item_id)
        decline(env, FAC_B, item_id)
        assert offer(env, STATE, item_id, TRAINER, "3.5")["response_action"] == "clear"
    monkeypatch.setenv("DATABASE_URL", str(env.engine.url.render_as_string(hide_password=False)))
    assert main(["trainers", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "Cal Contact" in out and "220        3.5      216.5          1" in out
    assert "trainer Tia Trainer" in out and "(none)" in out  # nothing past the allocation


def test_the_last_resort_tells_the_director_of_the_districts_center(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        item_id = request_training(env, "Learning Communities")  # nobody in the network lists it
        card = first_section(env.dms(FAC_A)[-1].args)
        assert "Nobody in Team A lists Learning Communities." in card and "Nobody else in the network" in card
        ask_the_other_teams(env, item_id)  # every other facilitator at once: no team lists it
        decline(env, FAC_B, item_id)
        decline(env, STATE, item_id)
        told = env.dms(DIRECTOR)[-1].args
        assert first_section(told).startswith(f"*MMD training request #{item_id} needs North Center")
        assert "Other CST facilitators: asked Bo Facilitator (declined); no offer" in first_section(told)
        assert "Training in Learning Communities, please" in all_text(told)  # the request itself
        referral = first_section(env.dms(FAC_A)[-1].args)
        assert "bring in Regional Professional Development Center (RPDC)" in referral
        assert "<@UDIRR0001> (RPDC director) has been told" in referral
        # The director may be told what happens next, and still cannot act on it.
        click(env, DIRECTOR, Action.ANSWER, item_id)
        assert "can answer it" in env.slack.last("response_url").args["text"]


def test_a_district_request_becomes_a_training_request(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        submit_ask(env, STAFF, "Could someone show our data team how to read the new dashboards?", district=1)
        env.deliver()
        card = env.dms(FAC_A)[-1].args
        item_id = buttons(card)[Action.CONVERT]
        click(env, FAC_A, Action.CONVERT, item_id)
        opened = env.slack.last("views.open").args["view"]
        assert opened["callback_id"] == Callback.CONVERT
        r = submit_modal(env, FAC_A, {})
        assert r.json()["errors"][Block.TOPICS].startswith("Please choose the expertise")
        data = {"type": "multi_static_select", "selected_options": [{"value": "Data"}]}
        topics = {Block.TOPICS: {Block.TOPICS: data}}
        assert submit_modal(env, FAC_A, topics).json()["response_action"] == "clear"
        env.deliver()
        item = newest(env)
        assert (item.kind, item.tier, item.asker_id, item.topics) == ("training", "own_team", env.person_id(STAFF),
                                                                        ["Data"])
        assert "1. *Max Member*: expertise: Data (1 of 1)" in first_section(env.dms(FAC_A)[-1].args)
        status = [u.args for u in env.slack.calls_to("chat.update") if u.args["channel"].endswith(STAFF)][-1]
        assert "It is an MMD training request now: trainer matching starts at Trainer inside the CST" in (
            first_section(status))


def test_send_to_facilitator_asks_question_or_training_and_training_goes_to_matching(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        said = send_on(env, MEM_A, STAFF, "We need training on reading assessment data", kind="training",
                       topics=("Data",))
        assert "MMD training request" in said and "<@UFACA0001>" in said
        env.deliver()
        item = newest(env)
        assert (item.kind, item.tier, item.topics) == ("training", "own_team", ["Data"])
        assert item.state["redirected_by"] == env.person_id(MEM_A)
        assert "Ranked candidates" in first_section(env.dms(FAC_A)[-1].args)


def test_the_teams_that_list_it_are_asked_before_the_others(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        # A third team, whose facilitator has nobody listing Special Education.
        from store.models import Team, TeamMembership

        with env.deps.session(write=True) as s:
            team = Team(name="Team C")
            s.add(team)
            s.flush()
            s.add(TeamMembership(team_id=team.id, person_id=env.person_id("ULONE0001"), role="facilitator"))
        env.deps.directories.forget()
        item_id = request_training(env, "Special Education")
        ask_the_other_teams(env, item_id)
        assert "Can you offer a trainer?" in first_section(env.dms(FAC_B)[-1].args)  # Ben lists it: asked first
        assert not env.dms("ULONE0001")
        stage = first_section(env.dms(FAC_A)[-1].args)
        assert "Asked: <@UFACB0001>" in stage and "If they cannot, <@ULONE0001> will be asked too" in stage
        decline(env, FAC_B, item_id)
        assert "Can you offer a trainer?" in first_section(env.dms("ULONE0001")[-1].args)  # then the others
        assert newest(env).tier == "other_teams"  # one more step, the same stage


def test_an_item_offered_to_both_leads_waits_on_each_home_tab_until_one_takes_it(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        submit_ask(env, FAC_A, "Can we move the spring convening?", district=1, kind="question")
        env.deliver()
        item_id = str(newest(env).id)
        for lead in ("ULEAD0001", "ULEAD0002"):
            env.client.event({"type": "app_home_opened", "user": lead, "channel": f"D{lead}", "tab": "home"})
            home = env.slack.last("views.publish").args["view"]
            assert "Waiting for you (1)" in all_text(home) and "not taken yet" not in all_text(home)
            assert buttons(home).get(Action.TAKE) == item_id
        click(env, "ULEAD0002", Action.TAKE, item_id)
        env.client.event({"type": "app_home_opened", "user": "ULEAD0001", "channel": "DULEAD0001", "tab": "home"})
        assert "Waiting for you (0)" in all_text(env.slack.last("views.publish").args["view"])
        asked = [c.args for c in env.dms(FAC_A)]
        assert asked and "offered to <@ULEAD0001> and <@ULEAD0002> (Lead facilitator), not taken yet" in all_text(
            asked[-1])


def test_a_message_too_long_to_carry_through_the_question_goes_on_at_once(app_env):
    env = app_env
    from tests.e2e.test_redirect_and_home import shortcut

    with freeze_time(MONDAY_10AM):
        env.slack.clear()
        shortcut(env, MEM_A, STAFF, "We need help. " * 300)  # past Slack's 3,000-character private_metadata
        assert not env.slack.calls_to("views.open")
        receipt = env.slack.last("response_url").args["text"]
        assert "Sent as district request" in receipt and "<@UFACA0001>" in receipt
        env.deliver()
        assert Action.CONVERT in buttons(env.dms(FAC_A)[-1].args)  # the facilitator can still make it training
