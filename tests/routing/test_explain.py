"""`explain()` and `cstbot route explain`: who would receive an item, the chain after them, deadlines, ranking."""

from __future__ import annotations

import argparse
from datetime import date, datetime

import pytest

from bot.cli import route as route_cli
from routing.errors import CstbotError, Refused
from routing.explain import explain, find_person
from routing.model import ItemKind, Notice, Status
from tests.routing.helpers import CT, DAN, DEE, FAY, LEE, LOU, MIA, MO, MONDAY, NOBODY, ask, org, protocol_named

MISSOURI = protocol_named("missouri")


def test_a_member_question_explained_with_local_deadlines():
    result = explain(org(), MISSOURI, asker_id=MO, kind=ItemKind.QUESTION, now=MONDAY)
    assert result.status is Status.OPEN
    assert (result.receiver.owner_id, result.receiver.label) == (FAY, "CST facilitator")
    assert [(s.tier, s.owner_id) for s in result.steps] == [("facilitator", FAY), ("lead", None), ("management", MIA)]
    assert result.steps[1].holders == ("Lee Lead", "Lou Lead")  # two leads: offered to both
    assert [s.deadline_at for s in result.steps] == [
        datetime(2024, 4, 10, 10, 0, tzinfo=CT),  # 2 business days
        datetime(2024, 4, 12, 10, 0, tzinfo=CT),  # then 2 more for the lead
        datetime(2024, 4, 19, 10, 0, tzinfo=CT),  # then 5 for the management team
    ]
    assert result.steps[1].starts_at == result.steps[0].deadline_at
    assert all(s.deadline_at.tzinfo == CT for s in result.steps)
    assert "last tier" in result.after_last


def test_explain_uses_who_will_be_available_then():
    directory = org(away={FAY: date(2024, 4, 8), LEE: date(2024, 4, 9)})  # Fay away today; Lee back Wednesday
    result = explain(directory, MISSOURI, asker_id=MO, kind=ItemKind.QUESTION, now=MONDAY)
    assert [s.owner_id for s in result.steps] == [LOU, MIA]  # Fay passed over now; Lee away today too
    assert "Fay Facilitator is away until 2024-04-08" in result.steps[0].passed_over[0]
    result = explain(org(away={LEE: date(2024, 4, 9)}), MISSOURI, asker_id=MO, kind=ItemKind.QUESTION, now=MONDAY)
    assert [s.owner_id for s in result.steps] == [FAY, None, MIA]  # Lee is back by the time it would reach him:
    assert result.steps[1].holders == ("Lee Lead", "Lou Lead")  # offered to both leads


def test_training_explained_with_ranked_candidates():
    result = explain(org(), MISSOURI, asker_id=DEE, kind=ItemKind.TRAINING, now=MONDAY, topics=("Data",))
    assert [s.tier for s in result.steps] == ["own_team", "other_teams", "state", "rpdc"]
    assert {s.owner_id for s in result.steps} == {FAY}
    assert result.steps[1].asked == ("Otto Facilitator",) and result.steps[2].asked == ("Sam State",)
    assert result.candidates[0].rank == 1 and result.candidates[0].reason.startswith("expertise: Data (1 of 1)")
    assert result.receiver_label == "CST facilitator"
    stand_in = explain(org(), MISSOURI, asker_id=DAN, kind=ItemKind.TRAINING, now=MONDAY)  # Cadre 3: no facilitator
    assert (stand_in.receiver.owner_id, stand_in.receiver_label) == (LEE, "Lead facilitator")


def test_linked_teams_training_ends_unmatched():
    protocol = protocol_named("linked-teams")
    result = explain(org(), protocol, asker_id=DEE, kind=ItemKind.TRAINING, now=MONDAY, topics=("Data",))
    assert [s.label for s in result.steps] == [
        "Trainers in the region",
        "Other regions' lead trainers",
        "Office of Educator Effectiveness",
    ]
    assert result.after_last.startswith("No trainer matched")


def test_no_route_is_explained_with_contacts(protocol):
    result = explain(org(), protocol, asker_id=NOBODY, kind=ItemKind.QUESTION, now=MONDAY)
    assert result.status is Status.UNROUTABLE and result.receiver is None
    assert result.contacts[0].startswith("Lee Lead (")
    assert "Nobody Anywhere" in result.no_route_reason


def test_explain_refuses_what_decide_refuses():
    with pytest.raises(Refused):
        explain(org(), MISSOURI, asker_id=MO, kind=ItemKind.QUESTION, now=MONDAY, topics=("Knitting",))


def test_find_person_by_email_or_slack_id():
    directory = org()
    assert find_person(directory, "MO@example.org").id == MO
    assert find_person(directory, "U012").id == DEE
    with pytest.raises(CstbotError, match="nobody in the roster has the Slack id 'U999'"):
        find_person(directory, "U999")


# --- the CLI seam ---------------------------------------------------------------------------------------------


def text(**kw) -> str:
    kw.setdefault("now", MONDAY)
    return route_cli.explain_text(org(), MISSOURI, **kw)


def test_explain_text_for_a_question():
    out = text(who="mo@example.org", kind="question")
    assert "MMD question from Mo Member" in out
    assert "Received by: Fay Facilitator (CST facilitator)" in out
    assert "1. CST facilitator: owner Fay Facilitator" in out
    assert "deadline Wed 10 Apr 2024 10:00 CDT" in out
    assert "2. Lead facilitator: offered to Lee Lead, Lou Lead (the first to take it owns it)" in out
    assert "3. MMD management team: owner Mia Management" in out


def test_explain_text_for_training_lists_the_ranking():
    out = text(who="U012", kind="training", topics=["data", "leadership"], district="sikeston r-6")
    assert "Ranked candidates (the same lines as the facilitator's card):" in out
    assert "  1. Mo Member: expertise: Data, Leadership (2 of 2)" in out
    assert "Nia Member" not in out  # lists neither Data nor Leadership
    assert "2. Other CST facilitators: asks Otto Facilitator" in out


def test_explain_shows_the_same_candidate_lines_as_the_card():
    from bot.items import cards

    directory, protocol = org(), MISSOURI
    for topics in (("Data", "Leadership"), ("Technology",)):  # ranked, and nobody on the team lists it
        result = explain(directory, protocol, asker_id=DEE, kind=ItemKind.TRAINING, now=MONDAY, topics=topics)
        out = route_cli.render(result)
        state = ask(directory, protocol, DEE, ItemKind.TRAINING, topics=topics).state
        ctx = cards.RenderContext(directory, protocol, CT)
        card = cards.card(Notice.TRAINING_CANDIDATES, state=state, recipient_id=FAY, ctx=ctx)
        card_text = card["blocks"][0]["text"]["text"].replace("*", "")
        lines = [line.strip() for line in card_text.splitlines()[1:] if line[:1].isdigit() or line[:1] in "N•I"]
        assert lines and all(line in out for line in lines), (lines, out)
    assert "Nobody in Cadre 1 lists Technology." in out and "• Otto Facilitator, Cadre 2" in out


def test_explain_text_no_route():
    out = text(who="nobody@example.org", kind="question")
    assert "No route:" in out and "Lee Lead (Lead facilitator)" in out


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"who": "ghost@example.org", "kind": "question"}, "nobody in the roster has the email 'ghost@example.org'"),
        ({"who": "U012", "kind": "district", "district": "Sikestn"}, "did you mean 'Sikeston R-6'?"),
        ({"who": "U002", "kind": "training", "topics": ["Leadershp"]}, "did you mean 'Leadership'?"),
    ],
)
def test_explain_text_errors_are_one_line(kw, message):
    with pytest.raises(CstbotError) as caught:
        text(**kw)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_cli_reads_the_roster_from_the_database(tmp_path, monkeypatch, capsys):
    from sqlmodel import Session, SQLModel

    from store import models
    from store.db import make_engine

    url = f"sqlite:///{tmp_path / 'cstbot.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        fay = models.Person(name="Fay Facilitator", email="fay@example.org", slack_id="U001")
        mo = models.Person(name="Mo Member", email="mo@example.org", slack_id="U002")
        lee = models.Person(name="Lee Lead", email="lee@example.org", slack_id="U006")
        team = models.Team(name="Cadre 1")
        s.add_all([fay, mo, lee, team])
        s.flush()
        s.add_all(
            [
                models.TeamMembership(team_id=team.id, person_id=fay.id, role="facilitator"),
                models.TeamMembership(team_id=team.id, person_id=mo.id, role="member"),
                models.PersonRole(person_id=lee.id, role="lead"),
            ]
        )
        s.commit()
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("CSTBOT_PROTOCOL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    parser = argparse.ArgumentParser()
    route_cli.register(parser.add_subparsers())
    args = parser.parse_args(["route", "explain", "--from", "U002", "--kind", "question"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "Received by: Fay Facilitator (CST facilitator)" in out and "Lee Lead" in out


def test_unknown_from_is_a_one_line_error_from_the_cli(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.chdir(tmp_path)
    from sqlmodel import SQLModel

    from store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    assert main(["route", "explain", "--from", "ghost@example.org", "--kind", "question"]) == 1
    err = capsys.readouterr().err
    assert err == "cstbot: error: nobody in the roster has the email 'ghost@example.org'\n"
