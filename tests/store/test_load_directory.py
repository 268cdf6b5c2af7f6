"""store.directory.load_directory builds the pure Directory from the database, in a few queries."""

from __future__ import annotations

import importlib.util
from datetime import date

from sqlalchemy import event
from sqlmodel import Session

from routing.directory import Role
from store.db import make_engine
from store.directory import load_directory
from store.roster import import_roster, read_roster
from tests.store.roster_helpers import BASE, EXAMPLES, edit, run_import


def _load(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):  # not BEGIN and the like
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as s:
            return load_directory(session=s), statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_empty_database_gives_an_empty_directory(engine):
    d, _ = _load(engine)
    assert (dict(d.people), d.organization, d.summary_channels) == ({}, "", ())


def test_directory_holds_the_roster(engine):
    text = edit(
        BASE,
        ("name: Mem Two}", "name: Mem Two, away_until: 2025-03-01}"),
        ("fte: 0.5, home_center", "fte: 0.5, fte_available: 0.25, home_center"),
        ("leads: [lead@s.example]", "leads: [lead@s.example, fac@a.example]"),
        ("summaries: [C0SUMMARY1]", "summaries: [C0SUMMARY1, C0SUMMARY2]\n  minutes: [C0MINUTES1]"),
        (", region: East, center: North Center,", ", region: East, center: South Center,"),
    )
    run_import(engine, text)
    d, statements = _load(engine)
    assert len(statements) == 11  # a few queries, however many rows

    by_email = {p.email: p for p in d.people.values()}
    fac, mem, mem2 = (by_email[e] for e in ("fac@a.example", "mem@a.example", "mem2@a.example"))
    assert d.by_slack_id("UMEM00001") == mem and mem2.slack_id is None
    assert mem2.away_until == date(2025, 3, 1) and not mem2.is_available(date(2025, 3, 1))

    (team,) = d.active_teams()
    assert (team.name, team.zone, team.region) == ("Team A", "Developing", "East")
    assert d.facilitators_of(team.id) == (fac,)
    members = {m.person_id: m for m in d.team_memberships(team.id, role=Role.MEMBER)}
    assert members[mem.id].expertise == frozenset({"Leadership", "Data"})
    assert (members[mem.id].fte, members[mem.id].fte_available, members[mem.id].home_center) == (
        0.5,
        0.25,
        "North Center",
    )
    assert members[mem2.id].fit == 0.5

    (district,) = d.districts.values()
    staff = by_email["staff@d.example"]
    assert (district.team_id, district.zone, district.center, district.staff) == (
        team.id,
        "Developing",
        "South Center",
        (staff.id,),
    )
    assert d.roles_of(staff.id) == {Role.DISTRICT_STAFF}
    assert d.roles_of(fac.id) == {Role.FACILITATOR, Role.LEAD}

    assert [p.email for p in d.holders(Role.LEAD)] == ["lead@s.example", "fac@a.example"]  # roster order
    (contact,) = [r for r in d.network_roles if r.role == Role.STATE_CONTACT]
    assert (contact.expertise, contact.fte) == (frozenset({"Special Education"}), 1.0)
    assert [p.email for p in d.holders(Role.ADMIN)] == ["lead@s.example"]
    assert d.organization == "Test Network"
    assert d.summary_channels == ("C0SUMMARY1", "C0SUMMARY2")


def test_inactive_rows_come_flagged(engine):
    run_import(engine, BASE)
    gone = edit(
        BASE,
        ("  - {email: mem2@a.example, name: Mem Two}\n", ""),
        ("      - {person: mem2@a.example, expertise: [special education], fte: 0.25, fit: 0.5}\n", ""),
        (", staff: [staff@d.example]}", "}"),
    )
    run_import(engine, gone)
    d, _ = _load(engine)
    mem2 = d.by_email("mem2@a.example")
    assert mem2 is not None and not mem2.active  # still resolvable for old items
    assert [m.active for m in d.memberships if m.person_id == mem2.id] == [False]
    assert d.memberships_of(mem2.id) == ()
    (district,) = d.districts.values()
    assert district.staff == () and district.active


def _fresh_directory(tmp_path, name, roster):
    engine = make_engine(f"sqlite:///{tmp_path / name}.db")
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(engine)
    try:
        import_roster(roster, engine=engine)
        with Session(engine) as s:
            return load_directory(session=s)
    finally:
        engine.dispose()


def test_the_three_example_files_give_identical_directories(tmp_path):
    forms = {"yaml": "roster.yaml", "csv": "roster", "xlsx": "roster.xlsx"}
    directories = {form: _fresh_directory(tmp_path, form, read_roster(EXAMPLES / path)) for form, path in forms.items()}
    assert directories["yaml"] == directories["csv"] == directories["xlsx"]
    d = directories["yaml"]
    assert len(d.people) == 56 and len(d.active_teams()) == 6 and len(d.districts) == 25
    # every audience, with its scope, in all three forms
    assert [(a.audience, d.people[a.person_id].name, a.center or a.region or a.zone) for a in d.audiences
            if a.audience != "rpdc_directors"] == [
        ("area_supervisors", "Elliot Park", "East"),
        ("area_supervisors", "Farah Quimby", "West"),
        ("area_supervisors", "Dana Whitlock", "New"),
        ("learning_services", "Dana Whitlock", None),
    ]
    assert len(d.audience_members("rpdc_directors")) == 6
    assert {x.zone for x in d.districts.values()} == {
        "Early",
        "Developing",
        "Initial implementation",
        "Full implementation",
        "New",
    }
    assert {x.region for x in d.districts.values()} == {"East", "West"}
    assert [len(d.holders(r)) for r in (Role.LEAD, Role.MANAGEMENT, Role.STATE_CONTACT, Role.ADMIN)] == [2, 4, 3, 2]
    assert sum(1 for p in d.people.values() if p.away_until) == 1
    assert 0 < sum(1 for p in d.people.values() if not p.slack_id) < 10


def test_the_committed_sheets_match_the_yaml():
    spec = importlib.util.spec_from_file_location("make_roster_sheets", EXAMPLES / "make_roster_sheets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run: python examples/make_roster_sheets.py"
