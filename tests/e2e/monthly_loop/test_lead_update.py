"""The lead facilitators' monthly CST update, end to end over signed HTTP (SQLite and PostgreSQL): the draft's
figures are exact for a hand-made month, it reaches every management team member and updates channel through
the outbox, *Acknowledge* is counted, sending again edits the messages in place, a non-lead is told who sends
updates, the reminder opens the form in one click, and a late lead is nudged once."""

from __future__ import annotations

from datetime import date, timedelta

from freezegun import freeze_time
from sqlmodel import select

from bot.ids import Action, Block, Callback
from bot.updates.scheduled import run_lead_updates
from routing.coaching_log import Entry
from routing.model import EventKind, ItemKind
from store import coaching_log as log_repo
from store.models import LeadUpdate, MessageCard, Outbox
from tests.e2e.flows import all_text, buttons, click, until_the_morning
from tests.e2e.monthly_loop.conftest import LEAD, LEAD2, MGMT, MGMT2, UPDATES_CHANNEL, chicago, posts_to, updates_of


def _person(env, slack_id):
    with env.deps.session() as s:
        return env.service().directory(s).by_slack_id(slack_id)


def _make_november(env) -> None:
    """Items in each state, training at each stage, logs on time / late / missing (see the expected figures)."""
    svc = env.service()
    dana, dee, fay, bo = (_person(env, u) for u in ("USTAFF001", "USTAFF003", "UFACA0001", "UFACB0001"))
    lee, meg = _person(env, LEAD), _person(env, MGMT)
    with freeze_time(chicago(10, 28, 10)) as clock:
        a0 = svc.start(dana, kind=ItemKind.QUESTION, text="October question")  # answered in November
        clock.move_to(chicago(11, 2, 10))
        a1 = svc.start(dana, kind=ItemKind.QUESTION, text="A1")
        clock.move_to(chicago(11, 2, 11))
        svc.act(fay, item_id=a0.id, kind=EventKind.ANSWERED, text="late answer")  # 122 h (DST ended Nov 1)
        clock.move_to(chicago(11, 2, 14))
        svc.act(fay, item_id=a1.id, kind=EventKind.ANSWERED, text="4 h")
        clock.move_to(chicago(11, 3, 9))
        a2 = svc.start(dana, kind=ItemKind.QUESTION, text="A2")
        clock.move_to(chicago(11, 3, 10))
        svc.act(fay, item_id=a2.id, kind=EventKind.ESCALATED, reason="lead please")
        clock.move_to(chicago(11, 4, 9))
        up = svc.read(a2.id)
        owner = up.owner_id or up.holders[0]  # the lead tier is offered to every lead: one takes it, then answers
        if up.owner_id is None:
            svc.act(_by_id(env, owner), item_id=a2.id, kind=EventKind.TAKEN)
        svc.act(_by_id(env, owner), item_id=a2.id, kind=EventKind.ANSWERED, text="24 h")
        clock.move_to(chicago(11, 5, 10))
        a3 = svc.start(dana, kind=ItemKind.QUESTION, text="A3: nobody answers")
        clock.move_to(svc.read(a3.id).deadline_at + timedelta(minutes=1))
        assert svc.sweep(now=env.deps.now()).moved == 1  # moved on to the lead by its deadline
        clock.move_to(chicago(11, 10, 10))
        b1 = svc.start(dee, kind=ItemKind.QUESTION, text="B1")
        clock.move_to(chicago(11, 10, 16))
        svc.act(bo, item_id=b1.id, kind=EventKind.ANSWERED, text="6 h")
        clock.move_to(chicago(11, 12, 10))
        loose = svc.start(lee, kind=ItemKind.QUESTION, text="a lead's own question: no team")
        clock.move_to(chicago(11, 13, 12))
        svc.act(meg, item_id=loose.id, kind=EventKind.TAKEN)  # the management team was offered it: Meg takes it
        svc.act(meg, item_id=loose.id, kind=EventKind.ANSWERED, text="26 h")
        # Training: one matched inside the team, one passed on and moved by its deadline to the state stage.
        clock.move_to(chicago(11, 16, 9))
        t1 = svc.start(dana, kind=ItemKind.TRAINING, text="Data training", district_id=1, topics=("Data",))
        clock.move_to(chicago(11, 16, 10))
        svc.act(fay, item_id=t1.id, kind=EventKind.MATCHED, candidate_id=_person(env, "UMEMA0001").id)
        clock.move_to(chicago(11, 17, 9))
        t2 = svc.start(dana, kind=ItemKind.TRAINING, text="SpEd training", district_id=1,
                       topics=("Special Education",))
        clock.move_to(chicago(11, 17, 10))
        svc.act(fay, item_id=t2.id, kind=EventKind.ESCALATED, reason="nobody here")
        for _ in range(2):  # the facilitators of teams listing the topic are asked first, then the others
            clock.move_to(svc.read(t2.id).deadline_at + timedelta(minutes=1))
            svc.sweep(now=env.deps.now())
            if svc.read(t2.id).tier == "state":
                break
        assert svc.read(t2.id).tier == "state"
        # December is outside the month.
        clock.move_to(chicago(12, 2, 10))
        svc.start(dana, kind=ItemKind.QUESTION, text="December")
        # Coaching logs: Team A on time (2 entries, 90 min), Team B late (1 entry, 45 min), Team C missing.
        with env.deps.session(write=True) as s:
            for team, author, district, day, minutes in ((1, fay, 1, 9, 60), (1, fay, 2, 10, 30), (2, bo, 3, 11, 45)):
                log_repo.add(session=s, team_id=team, author_id=author.id, now=env.deps.now(), entry=Entry(
                    district_id=district, occurred_on=date(2026, 11, day), duration_minutes=minutes,
                    interaction_type="planning", no_student_data=True))
            log_repo.submit(session=s, team_id=1, month="2026-11", person_id=fay.id, now=chicago(12, 3, 9))
            log_repo.submit(session=s, team_id=2, month="2026-11", person_id=bo.id, now=chicago(12, 8, 9))
    env.deliver()
    env.slack.clear()


def _by_id(env, person_id):
    with env.deps.session() as s:
        return env.service().directory(s).person(person_id)


def _submit_update(env, user, *, highlights="", concerns="", asks="", for_all=None):
    opened = env.slack.last("views.open").args["view"]
    assert opened["callback_id"] == Callback.UPDATE
    values = {b: {b: {"type": "plain_text_input", "value": v}}
              for b, v in ((Block.HIGHLIGHTS, highlights), (Block.CONCERNS, concerns), (Block.ASKS, asks))}
    if for_all is not None:
        values[Block.FOR_ALL] = {Block.FOR_ALL: {"type": "radio_buttons",
                                                  "selected_option": {"value": "all" if for_all else "mine"}}}
    payload = env.client.view_submission(user, opened["callback_id"], values,
                                         private_metadata=opened["private_metadata"], view=opened)
    return env.client.interactivity(payload), payload


def _modal_text(view) -> str:
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in view["blocks"])


EXPECTED_TOTAL = {"received": 5, "answered": 5, "escalated": 1, "moved_on": 1, "open_overdue": 1, "median_hours": 24.0}


def test_the_draft_is_exact_for_a_hand_made_month_and_reaches_every_reader(loop_env):
    env = loop_env
    _make_november(env)
    with freeze_time(chicago(12, 9, 10)):
        response = env.client.slash_command("/cst", "update", user_id=LEAD)
        assert response.status == 200 and response.text == ""
        view = env.slack.last("views.open").args["view"]
        assert view["title"]["text"] == "CST update · November"
        text = _modal_text(view)
        # Totals: 5 requests in November (the October one answered in November counts as answered, not received;
        # December's is outside), median of 4, 24, 122, 6 and 26 hours.
        assert ("*Requests*: 5 received, 5 answered, 1 escalated, 1 moved on by a deadline, 1 open past its "
                "deadline; median time to answer 24.0 h") in text
        assert ("*Training requests*: 2 (1 matched; reached: Trainer inside the CST 1, Other CST facilitators 0, "
                "DESE (Collaborative Work FTE) 1, Regional Professional Development Center (RPDC) 0)") in text
        assert "*Coaching logs*: 1 on time, 1 late, 1 missing · 3 interactions, 2.2 h" in text
        assert ("*Team A* · requests: 3 received, 3 answered, 1 escalated, 1 moved on by a deadline, 1 open past its "
                "deadline; median time to answer 24.0 h · training: 2 (1 matched; reached: Trainer inside the CST 1, "
                "DESE (Collaborative Work FTE) 1) · log: on time, 2 interactions, 1.5 h") in text
        assert ("*Team B* · requests: 1 received, 1 answered, 0 escalated, 0 moved on by a deadline, 0 open past "
                "their deadline; median time to answer 6.0 h · training: none · log: late, 1 interaction, "
                "0.8 h") in text
        assert "*Team C* · requests: none · training: none · log: not submitted, 0 interactions, 0.0 h" in text
        assert ("*Not tied to a team* · requests: 1 received, 1 answered, 0 escalated, 0 moved on by a deadline, "
                "0 open past their deadline; median time to answer 26.0 h · training: none") in text

        response, _ = _submit_update(env, LEAD, highlights="Two districts launched data teams.",
                                     asks="Guidance on the spring site visits.")
        assert response.status == 200
        closing = response.json()["view"]
        assert closing["title"]["text"] == "Sent"
        assert "2 MMD management team members by DM and 1 channel" in _modal_text(closing)
        assert "Not delivered to Mo Offline: no Slack account" in _modal_text(closing)

    with env.deps.session() as s:
        row = s.exec(select(LeadUpdate)).one()
        figures = row.figures
    assert {k: figures["requests"][k] for k in EXPECTED_TOTAL} == EXPECTED_TOTAL
    assert figures["training"] == {"received": 2, "matched": 1, "stages": {"own_team": 1, "state": 1}}
    assert figures["logs"] == {"on_time": 1, "late": 1, "missing": 1}
    assert (figures["interactions"], figures["minutes"]) == (3, 135)
    teams = {t["name"]: t for t in figures["teams"]}
    assert teams["Team A"]["requests"] == {"received": 3, "answered": 3, "escalated": 1, "moved_on": 1,
                                           "open_overdue": 1, "median_hours": 24.0}
    assert teams["Team A"]["log"] == {"status": "on_time", "interactions": 2, "minutes": 90}
    assert teams["Team B"]["log"] == {"status": "late", "interactions": 1, "minutes": 45}
    assert teams["Team C"]["log"] == {"status": "missing", "interactions": 0, "minutes": 0}
    assert teams[""]["requests"]["median_hours"] == 26.0 and teams[""]["log"] is None

    # Nothing reached Slack yet: it is in the outbox, one row per reader, written with the update.
    assert env.slack.calls_to("chat.postMessage") == []
    with env.deps.session() as s:
        rows = list(s.exec(select(Outbox).where(Outbox.dedupe_key.is_not(None))))
    assert sorted(r.status for r in rows) == ["failed", "pending", "pending", "pending"]
    with freeze_time(chicago(12, 9, 10, 1)):
        env.deliver()
    for reader in (MGMT, MGMT2, UPDATES_CHANNEL):
        (post,) = posts_to(env, reader)
        assert "CST update · November 2026" in all_text(post.args)
        assert "Two districts launched data teams." in all_text(post.args)
        assert buttons(post.args) == {Action.UPDATE_ACK: str(row.id)}
    assert posts_to(env, MGMT)[0].args["text"] == "CST update for November 2026 from Lee Lead"


def _send(env, user=LEAD, **fields):
    env.client.slash_command("/cst", "update", user_id=user)
    return _submit_update(env, user, **fields)


def test_acknowledge_is_counted_and_replacing_edits_every_copy_in_place(loop_env):
    env = loop_env
    with freeze_time(chicago(12, 9, 10)) as clock:
        _send(env, highlights="First version.")
        env.deliver()
        update_id = int(buttons(posts_to(env, MGMT)[0].args)[Action.UPDATE_ACK])

        # Meg acknowledges from her DM: her copy loses the button, the channel copy names her.
        dm = posts_to(env, MGMT)[0]
        assert click(env, MGMT, Action.UPDATE_ACK, str(update_id), channel_id="D" + MGMT).status == 200
        env.deliver()
        (mine,) = updates_of(env, MGMT)
        assert "You acknowledged it" in all_text(mine.args) and buttons(mine.args) == {}
        assert mine.args["ts"] == dm.args.get("ts", mine.args["ts"])
        (channel_copy,) = updates_of(env, UPDATES_CHANNEL)
        assert "Acknowledged by <@UMGMT0001>" in all_text(channel_copy.args)
        # A second click is answered, not recorded twice.
        env.slack.clear()
        click(env, MGMT, Action.UPDATE_ACK, str(update_id))
        assert "You already acknowledged this update" in env.slack.last("response_url").args["text"]
        env.deliver()
        assert env.slack.calls_to("chat.update") == []

        # The lead's Home: sent, acknowledged by 1 of 2, and who has not.
        env.client.event({"type": "app_home_opened", "user": LEAD, "tab": "home"})
        home = all_text({"blocks": env.slack.last("views.publish").args["view"]["blocks"]})
        assert "acknowledged by 1 of 2 MMD management team members" in home
        assert "Not yet acknowledged by <@UMGMT0002>" in home

        # Sending again asks to replace, and edits the three copies in place: no second post.
        clock.tick(3600)
        env.slack.clear()
        env.client.slash_command("/cst", "update", user_id=LEAD)
        form = env.slack.last("views.open").args["view"]
        assert form["submit"]["text"] == "Replace" and "*Replace the update you sent on" in _modal_text(form)
        assert form["blocks"][[b.get("block_id") for b in form["blocks"]].index(Block.HIGHLIGHTS)][
            "element"]["initial_value"] == "First version."
        response, _ = _submit_update(env, LEAD, highlights="Second version.")
        assert response.json()["view"]["title"]["text"] == "Replaced"
        env.deliver()
        assert env.slack.calls_to("chat.postMessage") == []
        edited = {c.args["channel"]: c for c in env.slack.calls_to("chat.update")}
        assert set(edited) == {"D" + MGMT, "D" + MGMT2, UPDATES_CHANNEL}
        for call in edited.values():
            assert "Second version." in all_text(call.args) and "First version." not in all_text(call.args)
            assert "replacing the update first sent" in all_text(call.args)
        assert "You acknowledged it" in all_text(edited["D" + MGMT].args)  # Meg's acknowledgement stands
    with env.deps.session() as s:
        assert s.exec(select(LeadUpdate)).one().revision == 2
        assert len(list(s.exec(select(MessageCard)))) == 3


def test_a_stale_form_does_not_overwrite_and_a_double_submission_sends_once(loop_env):
    env = loop_env
    with freeze_time(chicago(12, 9, 10)):
        env.client.slash_command("/cst", "update", user_id=LEAD)
        old_form = env.slack.last("views.open").args["view"]
        response, payload = _send(env, highlights="From the second window.")
        assert response.json()["view"]["title"]["text"] == "Sent"
        again = env.client.interactivity(payload)  # the same view twice (a replay): the first one's answer
        assert again.json() == response.json()
        payload["view"] = {**payload["view"], "id": "VSAMEFORM2"}  # the same form's token in another view
        again = env.client.interactivity(payload)
        assert again.json()["view"]["title"]["text"] == "Already sent"
        values = {Block.HIGHLIGHTS: {Block.HIGHLIGHTS: {"type": "plain_text_input", "value": "From the first."}}}
        stale = env.client.interactivity(env.client.view_submission(
            LEAD, old_form["callback_id"], values, private_metadata=old_form["private_metadata"], view=old_form))
        assert stale.json()["view"]["title"]["text"] == "Not sent"
        assert "after this form was opened" in _modal_text(stale.json()["view"])
        env.deliver()
    assert len(posts_to(env, MGMT)) == 1 and "From the second window." in all_text(posts_to(env, MGMT)[0].args)


def test_several_leads_one_sends_for_all_and_the_other_is_not_reminded(loop_env):
    env = loop_env
    protocol = env.deps.protocols.current
    due = protocol.lead_update_due_at("2026-11")
    with freeze_time(due - timedelta(days=2)) as clock:
        stats = run_lead_updates(env.deps, env.deps.now())
        assert (stats.sent, stats.already) == (2, 0)
        assert run_lead_updates(env.deps, env.deps.now()).sent == 0  # once, however often the job runs
        env.deliver()
        assert not posts_to(env, LEAD)  # written at 17:00: it waits for the leads' next working morning
        until_the_morning(env, clock)
        env.deliver()
        reminder = posts_to(env, LEAD)[0]
        assert "The monthly CST update to the MMD management team is due" in all_text(reminder.args)
        assert "cstbot summary" not in all_text(reminder.args)
        # One click on the reminder opens the form (or puts it off until tomorrow).
        assert buttons(reminder.args)[Action.UPDATE_OPEN] == "2026-11"
        assert set(buttons(reminder.args)) == {Action.UPDATE_OPEN, Action.SNOOZE}
        click(env, LEAD, Action.UPDATE_OPEN, "2026-11")
        assert env.slack.last("views.open").args["view"]["callback_id"] == Callback.UPDATE
        _submit_update(env, LEAD, for_all=True)
        env.deliver()
        (update,) = posts_to(env, MGMT)
        assert "from <@ULEAD0001> for all lead facilitators" in all_text(update.args)
        # After the due date only a lead whose update is not in would be nudged: Lou is covered by Lee's.
        clock.move_to(due + timedelta(hours=1))
        env.slack.clear()
        assert run_lead_updates(env.deps, env.deps.now()).sent == 0
        # Lou's Home says Lee sent one for all.
        env.client.event({"type": "app_home_opened", "user": LEAD2, "tab": "home"})
        home = all_text({"blocks": env.slack.last("views.publish").args["view"]["blocks"]})
        assert "<@ULEAD0001> sent one for all lead facilitators" in home


def test_a_late_lead_is_nudged_once_and_the_management_team_sees_not_yet_received(loop_env):
    env = loop_env
    due = env.deps.protocols.current.lead_update_due_at("2026-11")
    with freeze_time(due + timedelta(hours=2)) as clock:
        env.client.event({"type": "app_home_opened", "user": MGMT, "tab": "home"})
        home = all_text({"blocks": env.slack.last("views.publish").args["view"]["blocks"]})
        assert "Not yet received from the lead facilitators; it was due" in home
        stats = run_lead_updates(env.deps, env.deps.now())
        assert stats.sent == 2
        assert run_lead_updates(env.deps, env.deps.now()).sent == 0
        until_the_morning(env, clock)  # written at 19:00, it reaches them the next working morning
        env.deliver()
        nudge = posts_to(env, LEAD)[0]
        assert "Your monthly CST update for November 2026 is late" in all_text(nudge.args)
        assert buttons(nudge.args)[Action.UPDATE_OPEN] == "2026-11"


def test_a_non_lead_is_told_who_sends_updates(loop_env):
    env = loop_env
    with freeze_time(chicago(12, 9, 10)):
        response = env.client.slash_command("/cst", "update", user_id="UFACA0001")
    reply = response.text
    assert reply.startswith("Monthly CST updates to the MMD management team are sent by the lead facilitators")
    assert "<@ULEAD0001>, <@ULEAD0002>" in reply
    assert env.slack.calls_to("views.open") == []


def test_no_duplicate_after_a_dispatcher_retry(loop_env):
    env = loop_env
    with freeze_time(chicago(12, 9, 10)) as clock:
        _send(env, highlights="Once.")
        env.slack.fail_next("chat.postMessage", status=503, times=1)
        stats = env.deliver()
        assert stats.retried == 1
        clock.tick(60)  # past the retry's backoff
        env.deliver()
    ok = [c for c in env.slack.calls_to("chat.postMessage") if c.status == 200]
    assert sorted(c.args["channel"] for c in ok) == sorted([MGMT, MGMT2, UPDATES_CHANNEL])
