"""`cstbot roster try`: binds one Slack account to a person of each role, and `--undo` removes exactly that.

Every test compares full dumps of every table (every column, timestamps included) before and after.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, select

from bot.cli import main
from routing.directory import Role
from store import models
from store.directory import TRIAL_KEY, VERSION_KEY, load_directory
from store.roster import import_roster, parse_yaml, read_roster
from store.roster.trial import ROLE_WORDS, TrialError, parse_roles, start_trial, undo_trial
from tests.e2e.conftest import ROSTER as OTHER_ROSTER
from tests.store.roster_helpers import EXAMPLES

ME = "U07EVAL123"
TODAY = date(2026, 11, 16)
EXAMPLE = read_roster(EXAMPLES / "roster.yaml")


def dump_all(engine) -> dict[str, list[tuple]]:
    """Every row of every table the schema has."""
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = sorted((tuple(r) for r in conn.execute(core_select(table)).all()), key=repr)
    assert len(out) > 10
    return out


def _played(engine) -> dict[Role, str]:
    with Session(engine) as s:
        d = load_directory(session=s)
    people = d.people_of_slack(ME)
    return {role: p.name for p in people for role in d.roles_of(p.id)}


def test_try_on_an_empty_database_then_undo_leaves_it_as_it_was(engine):
    before = dump_all(engine)
    report = start_trial(EXAMPLE, engine=engine, slack_id=ME, roles=parse_roles(None), today=TODAY)
    assert report.imported and report.added["people"] == 56
    assert [(b.role, b.person.name, b.where) for b in report.bindings] == [
        (Role.DISTRICT_STAFF, "Opal Hensley", "Alder Creek R-2"),
        (Role.MEMBER, "Gwen Abernathy", "Early East"),
        (Role.FACILITATOR, "Avery Lindqvist", "Early East"),
        (Role.LEAD, "Uma Whitcombe", ""),
        (Role.MANAGEMENT, "Victor Ashdown", ""),
        (Role.STATE_CONTACT, "Zora Kimathi", ""),
        (Role.ADMIN, "Caleb Strand", ""),
    ]
    # The account now stands for those seven people, one team and one of its districts; nobody else moved.
    played = _played(engine)
    assert set(played) == set(ROLE_WORDS.values())
    assert played[Role.ADMIN] in ("Caleb Strand", "Uma Whitcombe")  # Uma, the first lead, is an admin too
    with Session(engine) as s:
        d = load_directory(session=s)
        rows = s.exec(select(models.Person.name, models.Person.slack_id)).all()
    assert ("Avery Lindqvist", "U0RLF0001") in rows  # the table keeps the file's ids: only the directory plays
    assert d.by_email("bruno.okafor@lakeshore-rpdc.example").slack_id == "U0RLF0002"

    undone = undo_trial(engine=engine)
    assert undone.removed["people"] == 56 and not undone.deactivated
    assert dump_all(engine) == before


def test_try_on_the_example_already_imported_then_undo_restores_it(engine):
    import_roster(EXAMPLE, engine=engine)
    before = dump_all(engine)
    report = start_trial(EXAMPLE, engine=engine, slack_id=ME, roles=parse_roles("facilitator,lead"), today=TODAY)
    assert not report.imported and report.added == {}
    assert _played(engine) == {Role.FACILITATOR: "Avery Lindqvist", Role.LEAD: "Uma Whitcombe",
                               Role.ADMIN: "Uma Whitcombe"}
    with Session(engine) as s:
        version = s.get(models.Meta, VERSION_KEY).value
    assert version != dict((r[0], r[1]) for r in before["meta"])[VERSION_KEY]  # running processes reload

    undo_trial(engine=engine)
    assert dump_all(engine) == before  # the directory version too: the value caches had before the trial


def test_a_real_roster_is_never_touched(engine):
    import_roster(parse_yaml(OTHER_ROSTER), engine=engine)
    before = dump_all(engine)
    with pytest.raises(TrialError, match="holds another roster .* never changes a real roster"):
        start_trial(EXAMPLE, engine=engine, slack_id=ME, roles=parse_roles(None), today=TODAY)
    assert dump_all(engine) == before


def test_one_trial_at_a_time_and_nothing_to_undo(engine):
    with pytest.raises(TrialError, match="no `roster try` to undo"):
        undo_trial(engine=engine)
    start_trial(EXAMPLE, engine=engine, slack_id=ME, roles=parse_roles(None), today=TODAY)
    middle = dump_all(engine)
    with pytest.raises(TrialError, match="already on .* U07EVAL123"):
        start_trial(EXAMPLE, engine=engine, slack_id="U0OTHER99", roles=parse_roles(None), today=TODAY)
    assert dump_all(engine) == middle


def test_someone_elses_slack_id_is_refused(engine):
    before = dump_all(engine)
    with pytest.raises(TrialError, match="already Bruno Okafor's Slack id"):
        start_trial(EXAMPLE, engine=engine, slack_id="U0RLF0002", roles=parse_roles(None), today=TODAY)
    assert dump_all(engine) == before


def test_undo_after_the_bot_was_used_keeps_history(engine):
    """Items made during the trial point at the example's people: undo unbinds and deactivates, deletes nothing."""
    start_trial(EXAMPLE, engine=engine, slack_id=ME, roles=parse_roles(None), today=TODAY)
    with Session(engine) as s:
        opal = s.exec(select(models.Person).where(models.Person.name == "Opal Hensley")).one()
        s.add(models.Item(kind="district", status="open", protocol_version="v", asker_id=opal.id, text="hello"))
        s.commit()
    report = undo_trial(engine=engine)
    assert report.activity == {"items": 1} and report.deactivated["people"] == 56 and not report.removed
    with Session(engine) as s:
        assert s.get(models.Meta, TRIAL_KEY) is None
        assert s.exec(select(models.Item)).one().text == "hello"
        assert not any(p.active for p in s.exec(select(models.Person)).all())
        assert load_directory(session=s).people_of_slack(ME) == ()


@pytest.mark.parametrize(("text", "message"), [
    ("boss", "unknown role 'boss' for --as"), (",", "unknown role"), ("lead,nope", "unknown role 'nope'")])
def test_role_words(text, message):
    with pytest.raises(TrialError, match=message):
        parse_roles(text)
    assert parse_roles("state, DISTRICT") == [Role.DISTRICT_STAFF, Role.STATE_CONTACT]
    assert parse_roles("all") == list(ROLE_WORDS.values())


def test_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'try.db'}")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["roster", "try", "--me", "not-an-id"]) == 1
    assert "is not a Slack member id" in capsys.readouterr().err
    assert main(["roster", "try", "--me", ME, "--as", "district,facilitator"]) == 0
    out = capsys.readouterr().out
    assert "Trying cstbot as Slack user U07EVAL123 with Riverland Model Districts" in out
    assert "District staff" in out and "Opal Hensley, Alder Creek R-2" in out and "Avery Lindqvist, Early East" in out
    assert "cstbot roster try --undo" in out
    assert main(["roster", "try", "--undo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Undid the trial of Slack user U07EVAL123: 2 roles unbound.")
    assert "Removed what it imported: " in out and "56 people" in out
