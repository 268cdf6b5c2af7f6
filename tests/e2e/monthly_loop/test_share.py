"""`/cst share`, end to end over signed HTTP (SQLite and PostgreSQL): a share to each audience reaches exactly that
audience (once each, the sender left out), through the outbox in one INSERT; the sender's Home counts "delivered to
N of M" from the rows' states; bad input gets field errors; a double submission is stored once; anyone else is told
who can share, and a forged submission from them writes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from freezegun import freeze_time
from sqlalchemy import event
from sqlmodel import Session, func, select

from bot.ids import Action, Block, Callback
from routing.sharing import AUDIENCES
from store import models
from store.directory import bump_directory_version
from store.models import Outbox, Share
from tests.e2e.conftest import AppEnv, running_app
from tests.e2e.flows import all_text, click
from tests.e2e.monthly_loop.conftest import (
    FAC_A,
    FAC_B,
    FAC_C,
    LEAD,
    LOOP_ROSTER,
    MEM_A,
    MEM_A2,
    MEM_B,
    MGMT,
    MGMT2,
    chicago,
)

STATE, ADMIN, STAFF, DIRECTOR, STRANGER = "USTATE001", "UADMIN001", "USTAFF001", "UDIRR0001", "UNOBODY01"
LS, SUPERVISOR = "ULSERV001", "USUPV0001"
WHEN = chicago(12, 9, 10)
# Who each audience is in this roster (the sender, LEAD, is in none of them). Management includes Mo Offline, who has
# no Slack account: counted among the recipients, never delivered.
REACHES = {
    "facilitators": {FAC_A, FAC_B, FAC_C},
    "members": {MEM_A, MEM_A2, MEM_B},
    "learning_services": {LS},
    "rpdc_directors": {DIRECTOR},
    "area_supervisors": {SUPERVISOR, LS},  # Lena is in two audiences
    "management": {MGMT, MGMT2},
}
REFUSAL = ("Reports and notices are shared with the network by the MMD management team, DESE trainer-match contacts "
           "and lead facilitators, with `/cst share`.")

DIRECTOR_LINE = "    - {person: director@north.example, center: North Center}\n"
SHARE_ROSTER = LOOP_ROSTER.replace(
    "  - {email: loner@x.example, name: Lone Person, slack_id: ULONE0001}\n",
    "  - {email: loner@x.example, name: Lone Person, slack_id: ULONE0001}\n"
    f"  - {{email: ls.one@dese.example, name: Lena Services, slack_id: {LS}}}\n"
    f"  - {{email: sup.east@dese.example, name: Sue Supervisor, slack_id: {SUPERVISOR}}}\n",
).replace(
    DIRECTOR_LINE,
    DIRECTOR_LINE + "  learning_services: [ls.one@dese.example]\n"
    "  area_supervisors:\n"
    "    - {person: sup.east@dese.example, region: East}\n"
    "    - {person: ls.one@dese.example, region: West}\n",
)
assert "learning_services" in SHARE_ROSTER


@pytest.fixture
def env(engine, slack) -> Iterator[AppEnv]:
    with running_app(engine, slack, SHARE_ROSTER) as running:
        yield running


def _open(env, user=LEAD) -> dict | str:
    """/cst share: the modal it opened, or the reply's text."""
    opened = len(env.slack.calls_to("views.open"))
    response = env.client.slash_command("/cst", "share", user_id=user)
    assert response.status == 200
    views = env.slack.calls_to("views.open")[opened:]
    if views:
        return views[-1].args["view"]
    return response.json()["text"] if response.text.startswith("{") else response.text


def _values(title="Fall evaluation: data analysis", text="", link="", files=(), audiences=()):
    return {
        Block.SHARE_TITLE: {Block.SHARE_TITLE: {"type": "plain_text_input", "value": title or None}},
        Block.SHARE_TEXT: {Block.SHARE_TEXT: {"type": "plain_text_input", "value": text or None}},
        Block.LINK: {Block.LINK: {"type": "url_text_input", "value": link or None}},
        Block.FILES: {Block.FILES: {"type": "file_input", "files": list(files)}},
        Block.AUDIENCES: {Block.AUDIENCES: {"type": "checkboxes",
                                            "selected_options": [{"value": a} for a in audiences]}},
    }


def _submit(env, view, user=LEAD, **kw) -> dict:
    payload = env.client.view_submission(user, view["callback_id"], _values(**kw),
                                         private_metadata=view["private_metadata"], view=view)
    response = env.client.interactivity(payload)
    assert response.status == 200
    return response.json() if response.text else {}


def _share(env, user=LEAD, **kw) -> dict:
    view = _open(env, user)
    assert isinstance(view, dict) and view["callback_id"] == Callback.SHARE, view
    return _submit(env, view, user, **kw)


def _reached(env) -> set[str]:
    return {c.args["channel"] for c in env.slack.calls_to("chat.postMessage")}


def _home(env, user) -> str:
    env.client.event({"type": "app_home_opened", "user": user, "tab": "home"})
    return all_text({"blocks": env.slack.last("views.publish").args["view"]["blocks"]})


def _count(env, model) -> int:
    with env.deps.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("audience", AUDIENCES)
def test_a_share_reaches_exactly_its_audience(env, audience):
    with freeze_time(WHEN):
        answer = _share(env, text="Fall data: 412 interactions.", audiences=[audience])
        assert answer["view"]["title"]["text"] == "Shared", answer
        env.deliver()
        assert _reached(env) == REACHES[audience]
        for user in REACHES[audience]:
            (dm,) = env.dms(user)
            assert "Fall evaluation: data analysis" in all_text(dm.args) and "412 interactions" in all_text(dm.args)
        expected = len(REACHES[audience]) + (audience == "management")  # Mo Offline: no Slack account
        assert f"delivered to {len(REACHES[audience])} of {expected}." in _home(env, LEAD)


def test_several_audiences_one_message_each_the_sender_left_out_files_and_links_shown(env):
    file = {"id": "F0EVAL0001", "name": "Fall evaluation.xlsx", "title": "Fall evaluation.xlsx",
            "permalink": "https://cst-test.slack.com/files/UMGMT0001/F0EVAL0001/fall_evaluation.xlsx"}
    with freeze_time(WHEN):
        answer = _share(env, MGMT, link="https://docs.example.org/mmd/eval-fall", files=[file],
                        audiences=["learning_services", "area_supervisors", "management"])
        text = str(answer["view"]["blocks"])
        assert "Shared “Fall evaluation: data analysis” with DESE Learning Services, area supervisors, MMD " \
               "management team: 4 people." in text
        assert "Not delivered to Mo Offline: no Slack account" in text
        env.deliver()
        assert _reached(env) == {LS, SUPERVISOR, MGMT2}  # Lena once; the sender (MGMT) not at all
        (dm,) = env.dms(LS)
        shown = all_text(dm.args)
        assert "Shared by <@UMGMT0001>" in shown
        assert "with DESE Learning Services, area supervisors, MMD management team." in shown
        assert "<https://docs.example.org/mmd/eval-fall|Open the link>" in shown
        assert f"<{file['permalink']}|Fall evaluation.xlsx>" in shown
        assert "delivered to 3 of 4." in _home(env, MGMT)
        with env.deps.session() as s:  # the one without Slack is a failed row the admins see
            (failed,) = s.exec(select(Outbox).where(Outbox.status == "failed")).all()
            assert failed.last_error.startswith("Mo Offline has no Slack account")


def test_the_messages_are_one_insert_and_unique_per_share_and_recipient(env):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if re.match(r'\s*INSERT INTO "?outbox"? ', statement, re.IGNORECASE):
            statements.append(statement)

    with freeze_time(WHEN):
        event.listen(env.engine, "before_cursor_execute", seen)
        try:
            answer = _share(env, text="Spring dates", audiences=["facilitators", "members", "rpdc_directors",
                                                                 "learning_services", "area_supervisors"])
        finally:
            event.remove(env.engine, "before_cursor_execute", seen)
        assert answer["view"]["title"]["text"] == "Shared", answer
        assert len(statements) == 1  # nine recipients (Lena once), one statement
        _share(env, title="A second report", text="More", audiences=["facilitators"])
        with env.deps.session() as s:
            keys = sorted(r.dedupe_key for r in s.exec(select(Outbox)))
            first, second = sorted(s.exec(select(Share.id)).all())
        assert len(keys) == 9 + 3 == len(set(keys))
        assert all(k.startswith((f"share:{first}:person:", f"share:{second}:person:")) for k in keys)
        assert "delivered to 0 of 9." in _home(env, LEAD) and "delivered to 0 of 3." in _home(env, LEAD)
        env.deliver()
        assert "delivered to 9 of 9." in _home(env, LEAD) and "delivered to 3 of 3." in _home(env, LEAD)


def test_bad_input_gets_field_errors_and_writes_nothing(env):
    with freeze_time(WHEN):
        view = _open(env)
        errors = _submit(env, view, title="", audiences=[])["errors"]
        assert errors == {Block.SHARE_TITLE: "Please write a title.",
                          Block.SHARE_TEXT: "Please write the text, add a link, or upload a file: at least one.",
                          Block.AUDIENCES: "Please choose at least one audience to share with."}
        errors = _submit(env, view, text="x", link="ftp://files.example.org/a", audiences=["nonsense"])["errors"]
        assert errors == {Block.LINK: "Please give a web link that starts with https:// (or http://).",
                          Block.AUDIENCES: "Please choose at least one audience to share with."}
        errors = _submit(env, view, title="t" * 151, text="x", audiences=["members"])["errors"]
        assert errors == {Block.SHARE_TITLE: "That is 151 characters; please keep it under 150."}
        assert _count(env, Share) == 0 and _count(env, Outbox) == 0


def test_an_audience_of_nobody_is_a_field_error(env):
    with freeze_time(WHEN):
        with Session(env.engine) as s:  # the area supervisors leave the roster
            audience = models.AudienceMember.audience
            for row in s.exec(select(models.AudienceMember).where(audience == "area_supervisors")):
                row.active = False
                s.add(row)
            bump_directory_version(session=s)
            s.commit()
        errors = _share(env, text="x", audiences=["area_supervisors"])["errors"]
        assert errors == {Block.AUDIENCES: "Nobody is in area supervisors yet (besides you): choose another "
                                           "audience, or ask an admin to add them to the roster."}
        assert _count(env, Share) == 0


def test_a_form_sent_twice_is_stored_once(env):
    with freeze_time(WHEN):
        view = _open(env)
        assert _submit(env, view, text="x", audiences=["rpdc_directors"])["view"]["title"]["text"] == "Shared"
        again = _submit(env, view, text="x", audiences=["rpdc_directors"])
        assert again["view"]["title"]["text"] == "Already shared"
        env.deliver()
        assert _count(env, Share) == 1 and len(env.dms(DIRECTOR)) == 1


def test_the_home_button_opens_the_form_for_sharers_only(env):
    with freeze_time(WHEN):
        assert "Share with the network" in _home(env, STATE)
        assert "Share with the network" not in _home(env, FAC_A)
        click(env, STATE, Action.SHARE_OPEN, None)
        assert env.slack.last("views.open").args["view"]["callback_id"] == Callback.SHARE
        click(env, FAC_A, Action.SHARE_OPEN, None)
        refusal = env.slack.last("views.open").args["view"]
        assert refusal.get("callback_id") != Callback.SHARE and REFUSAL in str(refusal["blocks"])


@pytest.mark.parametrize("user", [FAC_A, MEM_A, STAFF, ADMIN, DIRECTOR, LS, STRANGER])
def test_anyone_else_is_told_who_can_share_and_a_forged_submission_writes_nothing(env, user):
    with freeze_time(WHEN):
        refusal = _open(env, user)
        assert isinstance(refusal, str)
        if user == STRANGER:
            assert "cstbot does not have you in its roster yet" in refusal
        else:
            assert refusal.startswith(REFUSAL)
            assert "<@" not in refusal and "@" not in refusal.replace("`/cst share`", "")  # names nobody
        view = _open(env, LEAD)  # a real form, submitted by someone else
        answer = _submit(env, view, user, text="forged", audiences=list(AUDIENCES))
        if user != STRANGER:
            assert answer["view"]["title"]["text"] == "Not shared" and REFUSAL in str(answer["view"]["blocks"])
        env.deliver()
        assert _count(env, Share) == 0 and _count(env, Outbox) == 0 and _reached(env) == set()
