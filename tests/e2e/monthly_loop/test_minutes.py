"""Management team minutes, end to end over signed HTTP (SQLite and PostgreSQL): they reach every facilitator and
minutes channel through the outbox, *Got it* is counted on the sender's Home, the two-business-day reminder goes
only to those who have not confirmed (once), *Share with my team* reaches exactly that team's members, bad input
gets field errors, and a dispatcher retry never doubles a message."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import select

from bot.ids import Action, Block, Callback
from bot.minutes.scheduled import run_minutes_reminders
from store.models import MinutesShare, Outbox
from tests.e2e.flows import all_text, buttons, click
from tests.e2e.monthly_loop.conftest import (
    FAC_A,
    FAC_B,
    FAC_C,
    MEM_A,
    MEM_A2,
    MEM_B,
    MGMT,
    MINUTES_CHANNEL,
    chicago,
    posts_to,
    updates_of,
)

MONDAY = chicago(11, 16, 10)


def _open(env, user=MGMT):
    response = env.client.slash_command("/cst", "minutes", user_id=user)
    assert response.status == 200
    return response


def _submit(env, user=MGMT, *, date="2026-11-12", text="", link="", files=(), decisions="", actions=""):
    opened = env.slack.last("views.open").args["view"]
    assert opened["callback_id"] == Callback.MINUTES
    values = {
        Block.MEETING_DATE: {Block.MEETING_DATE: {"type": "datepicker", "selected_date": date}},
        Block.MINUTES_TEXT: {Block.MINUTES_TEXT: {"type": "plain_text_input", "value": text or None}},
        Block.LINK: {Block.LINK: {"type": "url_text_input", "value": link or None}},
        Block.FILES: {Block.FILES: {"type": "file_input", "files": list(files)}},
        Block.DECISIONS: {Block.DECISIONS: {"type": "plain_text_input", "value": decisions or None}},
        Block.ACTION_ITEMS: {Block.ACTION_ITEMS: {"type": "plain_text_input", "value": actions or None}},
    }
    payload = env.client.view_submission(user, opened["callback_id"], values,
                                         private_metadata=opened["private_metadata"], view=opened)
    return env.client.interactivity(payload), payload


def _share(env, text="Minutes: the spring calendar is set.", **kw):
    _open(env)
    response, payload = _submit(env, text=text, **kw)
    assert response.json()["view"]["title"]["text"] == "Shared", response.text
    return response, payload


def _home(env, user) -> str:
    env.client.event({"type": "app_home_opened", "user": user, "tab": "home"})
    return all_text({"blocks": env.slack.last("views.publish").args["view"]["blocks"]})


def _minutes_id(env, user=FAC_A) -> str:
    return buttons(posts_to(env, user)[0].args)[Action.MINUTES_ACK]


def test_minutes_reach_every_facilitator_and_channel_and_got_it_is_counted(loop_env):
    env = loop_env
    file = {"id": "F0MINUTES1", "name": "Nov minutes.pdf", "title": "Nov minutes.pdf",
            "permalink": "https://cst-test.slack.com/files/UMGMT0001/F0MINUTES1/nov_minutes.pdf"}
    with freeze_time(MONDAY) as clock:
        response, _ = _share(env, link="https://docs.example.org/mmd/minutes-nov", files=[file],
                             decisions="Spring site visits start in March.", actions="Facilitators: confirm dates.")
        assert "3 CST facilitators and 1 minutes channel" in str(response.json()["view"]["blocks"])
        with env.deps.session() as s:  # one outbox row per recipient, written with the minutes
            assert len(list(s.exec(select(Outbox).where(Outbox.status == "pending")))) == 4
        env.deliver()
        for fac in (FAC_A, FAC_B, FAC_C):
            (dm,) = posts_to(env, fac)
            text = all_text(dm.args)
            assert "MMD management team minutes · meeting of Thu Nov 12, 2026" in text
            assert "the spring calendar is set" in text and "Spring site visits start in March." in text
            assert "<https://docs.example.org/mmd/minutes-nov|Open the minutes>" in text
            assert f"<{file['permalink']}|Nov minutes.pdf>" in text
            assert set(buttons(dm.args)) == {Action.MINUTES_ACK, Action.MINUTES_SHARE}
        (channel,) = posts_to(env, MINUTES_CHANNEL)
        assert buttons(channel.args) == {} and "the spring calendar is set" in all_text(channel.args)
        assert posts_to(env, MEM_A) == []  # members get them only through their facilitator

        # Two facilitators confirm; the sender's Home counts them and names who has not.
        minutes_id = _minutes_id(env)
        clock.tick(600)
        for fac in (FAC_A, FAC_B):
            assert click(env, fac, Action.MINUTES_ACK, minutes_id).status == 200
        env.deliver()
        (edited,) = updates_of(env, FAC_A)
        assert "You confirmed" in all_text(edited.args)
        assert set(buttons(edited.args)) == {Action.MINUTES_SHARE}
        home = _home(env, MGMT)
        assert "*Minutes of Thu Nov 12, 2026*: 2 of 3 facilitators have them" in home
        assert "Not yet confirmed by <@UFACC0001>" in home
        # The facilitators' Home tabs list what reached them.
        assert "Meeting of Thu Nov 12, 2026* from <@UMGMT0001>" in _home(env, FAC_C)


def test_the_two_day_reminder_goes_once_and_only_to_those_who_have_not_confirmed(loop_env):
    env = loop_env
    with freeze_time(MONDAY) as clock:
        _share(env)
        env.deliver()
        click(env, FAC_A, Action.MINUTES_ACK, _minutes_id(env))
        env.deliver()
        clock.move_to(MONDAY + timedelta(days=1, hours=23))  # before two business days
        assert run_minutes_reminders(env.deps, env.deps.now()).sent == 0
        clock.move_to(MONDAY + timedelta(days=2, minutes=1))  # Wednesday 10:01: two business days on
        env.slack.clear()
        stats = run_minutes_reminders(env.deps, env.deps.now())
        assert (stats.sent, stats.already) == (2, 0)
        assert run_minutes_reminders(env.deps, env.deps.now()).sent == 0
        env.deliver()
    reminded = sorted(c.args["channel"] for c in env.slack.calls_to("chat.postMessage"))
    assert reminded == [FAC_B, FAC_C]
    reminder = posts_to(env, FAC_B)[0]
    assert "Have you seen the MMD management team's minutes of Thu Nov 12, 2026?" in all_text(reminder.args)
    assert set(buttons(reminder.args)) == {Action.MINUTES_ACK, Action.SNOOZE}  # Got it, or Remind me tomorrow


def test_share_with_my_team_reaches_exactly_that_team_once(loop_env):
    env = loop_env
    with freeze_time(MONDAY) as clock:
        _share(env)
        env.deliver()
        minutes_id = _minutes_id(env)
        clock.tick(600)
        click(env, FAC_A, Action.MINUTES_SHARE, minutes_id)
        opened = env.slack.last("views.open").args["view"]
        assert opened["callback_id"] == Callback.MINUTES_SHARE
        assert "go to 2 members of Team A by DM" in str(opened["blocks"])
        env.slack.clear()
        values = {Block.NOTE: {Block.NOTE: {"type": "plain_text_input", "value": "Note the March dates."}}}
        payload = env.client.view_submission(FAC_A, opened["callback_id"], values,
                                             private_metadata=opened["private_metadata"], view=opened)
        response = env.client.interactivity(payload)
        assert response.json()["view"]["title"]["text"] == "Shared with your team"
        assert "with Team A: 2 members by DM" in str(response.json()["view"]["blocks"])
        assert env.client.interactivity(payload).status == 200  # the same submission again: no second copy
        env.deliver()
    got = sorted(c.args["channel"] for c in env.slack.calls_to("chat.postMessage"))
    assert got == [MEM_A, MEM_A2]  # Team A's members, once each; not Team B's
    member = posts_to(env, MEM_A)[0]
    assert "<@UFACA0001> shared the MMD management team's minutes with Team A" in all_text(member.args)
    assert "Note the March dates." in all_text(member.args) and buttons(member.args) == {}
    (edited,) = updates_of(env, FAC_A)  # the facilitator's copy records it, and sharing counts as having them
    assert "Shared with Team A by <@UFACA0001>" in all_text(edited.args) and "You confirmed" in all_text(edited.args)
    assert buttons(edited.args) == {}
    with env.deps.session() as s:
        (share,) = s.exec(select(MinutesShare)).all()
        assert (share.team_id, share.members, share.note) == (1, 2, "Note the March dates.")
    assert "Meeting of Thu Nov 12, 2026* from <@UMGMT0001>" in _home(env, MEM_A)
    with freeze_time(MONDAY + timedelta(hours=1)):
        env.slack.clear()
        click(env, FAC_A, Action.MINUTES_SHARE, minutes_id)  # again: already shared, says by whom
        assert "<@UFACA0001> already shared these minutes with Team A" in env.slack.last("response_url").args["text"]
        assert posts_to(env, MEM_B) == []


def test_bad_input_gets_field_errors(loop_env):
    env = loop_env
    with freeze_time(MONDAY):
        cases = [
            ({}, Block.MINUTES_TEXT, "Please paste the minutes, add a link, or upload the file"),
            ({"link": "ftp://files.example.org/minutes.pdf"}, Block.LINK, "starts with https://"),
            ({"link": "javascript:alert(1)"}, Block.LINK, "starts with https://"),
            ({"text": "x" * 3001}, Block.MINUTES_TEXT, "That is 3,001 characters; please keep it under 3,000."),
            ({"text": "ok", "decisions": "d" * 3200}, Block.DECISIONS, "please keep it under 3,000"),
            ({"text": "ok", "date": "2026-12-01"}, Block.MEETING_DATE, "That date is in the future"),
        ]
        assert cases
        for fields, block, message in cases:
            _open(env)
            response, _ = _submit(env, **fields)
            body = response.json()
            assert body["response_action"] == "errors", (fields, body)
            assert message in body["errors"][block], (fields, body)
        env.deliver()
    assert env.slack.calls_to("chat.postMessage") == []


def test_a_management_member_with_no_facilitators_in_the_roster_is_told_so(loop_env):
    env = loop_env
    from sqlalchemy import update

    from store.models import TeamMembership

    with env.deps.session(write=True) as s:
        s.exec(update(TeamMembership).where(TeamMembership.role == "facilitator").values(active=False))
    env.deps.directories.forget()
    with freeze_time(MONDAY):
        response = _open(env)
    assert response.text.startswith("The roster has no active CST facilitator, so there is no one to share")
    assert "<@UADMIN001>" in response.text
    assert env.slack.calls_to("views.open") == []


def test_no_duplicate_after_a_dispatcher_retry_or_a_double_submission(loop_env):
    env = loop_env
    with freeze_time(MONDAY) as clock:
        first, payload = _share(env)
        again = env.client.interactivity(payload)  # the same view sent twice (a replay): the first one's answer
        assert again.json() == first.json()
        payload["view"] = {**payload["view"], "id": "VSAMEFORM2"}  # the same form's token in another view
        again = env.client.interactivity(payload)
        assert again.json()["view"]["title"]["text"] == "Already shared"
        env.slack.fail_next("chat.postMessage", status=500, times=2)  # Slack fails two posts...
        env.slack.fail_next("chat.update", status=429, retry_after=1, times=1)
        first = env.deliver()
        assert first.retried == 2
        clock.tick(120)  # ...and the dispatcher retries them after their backoff
        env.deliver()
        click(env, FAC_A, Action.MINUTES_ACK, _minutes_id(env))
        env.deliver()  # the edit is rate limited once, then sent
        clock.tick(5)
        env.deliver()
    delivered = [c.args["channel"] for c in env.slack.calls_to("chat.postMessage") if c.status == 200]
    assert sorted(delivered) == sorted([FAC_A, FAC_B, FAC_C, MINUTES_CHANNEL])  # each exactly once
    assert [c.status for c in env.slack.calls_to("chat.update")] == [429, 200]
