"""Importing a roster into the database (SQLite and PostgreSQL): idempotent, transactional, history-keeping."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from store import models
from store.roster import LookupFailed, RosterError, import_roster, read_roster
from tests.store.roster_helpers import BASE, dump, edit, load, run_import
from tests.store.test_roster_validate import BAD_YAML  # every bad input of the validation tests


def _people(engine) -> dict[str, models.Person]:
    with Session(engine) as s:
        return {p.name: p for p in s.exec(select(models.Person)).all()}


def _counts(report) -> dict[str, tuple[int, int, int, int]]:
    return {r["kind"]: (r["added"], r["updated"], r["reactivated"], r["deactivated"]) for r in report.counts}


def test_first_import_adds_everything(engine):
    report = run_import(engine, BASE)
    counts = _counts(report)
    assert counts["people"] == (6, 0, 0, 0)
    assert counts["teams"] == (1, 0, 0, 0)
    assert counts["memberships"] == (3, 0, 0, 0)
    assert counts["districts"] == counts["district staff"] == (1, 0, 0, 0)
    assert counts["roles"] == (3, 0, 0, 0)
    assert counts["channels"] == counts["organization"] == (1, 0, 0, 0)
    assert [u.label for u in report.unresolved] == ["Mem Two <mem2@a.example>"]
    with Session(engine) as s:
        assert s.get(models.Meta, "organization").value == "Test Network"
        member = s.exec(select(models.TeamMembership).where(models.TeamMembership.fit == 0.5)).one()
        assert member.expertise == ["Special Education"] and member.fte == 0.25


def test_importing_twice_changes_nothing(engine):
    run_import(engine, BASE)
    before = dump(engine)
    report = run_import(engine, BASE)
    assert not report.changed
    assert dump(engine) == before  # every column, updated_at included


def test_reimport_updates_adds_and_deactivates_keeping_ids(engine):
    run_import(engine, BASE)
    ids = {name: p.id for name, p in _people(engine).items()}
    with Session(engine) as s:
        team_id = s.exec(select(models.Team)).one().id
    edited = edit(
        BASE,
        ("organization: Test Network", "organization: Renamed Network"),
        ("    zone: Developing\n", "    zone: Early\n"),
        # Mem Two leaves (person, membership deactivated); a new member joins.
        (
            "  - {email: mem2@a.example, name: Mem Two}\n",
            "  - {email: new@a.example, name: New Person, slack_id: UNEW00001}\n",
        ),
        ("{person: mem2@a.example, expertise: [special education], fte: 0.25, fit: 0.5}", "new@a.example"),
        ("fte: 0.5, home_center: North Center}", "fte: 0.75, home_center: North Center}"),
        (", staff: [staff@d.example]}", "}"),  # the staff link goes; the person stays
        ("team: Team A, zone: Developing", "team: Team A, zone: Early"),
        ("admins: [ULEAD0001]\n", ""),
        ("summaries: [C0SUMMARY1]", "summaries: [C0SUMMARY2]"),
    )
    # The staff person is no longer referenced but is still listed under people: they stay active.
    report = run_import(engine, edited)
    counts = _counts(report)
    assert counts["organization"] == (0, 1, 0, 0)
    assert counts["people"] == (1, 0, 0, 1)
    assert counts["teams"] == (0, 1, 0, 0)
    assert counts["memberships"] == (1, 1, 0, 1)
    assert counts["districts"] == (0, 1, 0, 0)
    assert counts["district staff"] == (0, 0, 0, 1)
    assert counts["roles"] == (0, 0, 0, 1)
    assert counts["channels"] == (1, 0, 0, 1)
    changes = {(c.kind, c.action, c.label): c.details for c in report.changes}
    assert changes[("team", "updated", "Team A")] == ("zone Developing -> Early",)
    assert changes[("membership", "updated", "Mem Ber <mem@a.example> in Team A (member)")] == ("fte 0.5 -> 0.75",)

    people = _people(engine)
    assert {name: p.id for name, p in people.items() if name != "New Person"} == ids
    assert people["Mem Two"].active is False
    with Session(engine) as s:
        assert s.exec(select(models.Team)).one().id == team_id
        rows = s.exec(select(models.TeamMembership).order_by(models.TeamMembership.id)).all()
        assert [(r.person_id, r.active) for r in rows] == [
            (ids["Fa Cilitator"], True),
            (ids["Mem Ber"], True),
            (ids["Mem Two"], False),
            (people["New Person"].id, True),
        ]
        assert [r.active for r in s.exec(select(models.DistrictStaff)).all()] == [False]
        assert s.get(models.Meta, "organization").value == "Renamed Network"

    # Back to the first file: everyone and everything comes back under the same ids.
    report = run_import(engine, BASE)
    counts = _counts(report)
    assert counts["people"] == (0, 0, 1, 1)
    assert counts["memberships"] == (0, 1, 1, 1)
    assert counts["district staff"] == counts["roles"] == (0, 0, 1, 0)
    people = _people(engine)
    assert people["Mem Two"].active and people["Mem Two"].id == ids["Mem Two"]
    assert people["New Person"].active is False


def test_teams_and_districts_leave_and_come_back_with_their_ids(engine):
    two_teams = edit(
        BASE,
        ("districts:\n", "  - {name: Team B, facilitator: lead@s.example}\ndistricts:\n"),
        ("leads:", "  - {name: District Two, team: Team B}\nleads:"),
    )
    run_import(engine, two_teams)
    with Session(engine) as s:
        team_b = s.exec(select(models.Team).where(models.Team.name == "Team B")).one()
        district_two = s.exec(select(models.District).where(models.District.name == "District Two")).one()
    report = run_import(engine, BASE)
    counts = _counts(report)
    assert counts["teams"] == counts["districts"] == counts["memberships"] == (0, 0, 0, 1)
    with Session(engine) as s:
        assert s.get(models.Team, team_b.id).active is False
        assert s.get(models.District, district_two.id).active is False
        assert (
            s.exec(select(models.TeamMembership).where(models.TeamMembership.team_id == team_b.id)).one().active
            is False
        )
    counts = _counts(run_import(engine, two_teams))
    assert counts["teams"] == counts["districts"] == counts["memberships"] == (0, 0, 1, 0)
    with Session(engine) as s:
        assert s.get(models.Team, team_b.id).active and s.get(models.District, district_two.id).team_id == team_b.id


def test_every_bad_file_changes_nothing(engine):
    run_import(engine, BASE)
    before = dump(engine)
    for case, replacements, _ in BAD_YAML:
        with pytest.raises(RosterError):
            run_import(engine, edit(BASE, *replacements))
        assert dump(engine) == before, case


def test_a_bad_file_changes_nothing(engine):
    run_import(engine, BASE)
    before = dump(engine)
    bad = edit(BASE, ("fte: 0.5,", "fte: 2,"), ("organization: Test Network", "organization: Other"))
    with pytest.raises(RosterError):
        run_import(engine, bad)
    assert dump(engine) == before


def test_dry_run_reports_but_writes_nothing(engine):
    run_import(engine, BASE)
    before = dump(engine)
    report = run_import(engine, edit(BASE, ("    zone: Developing\n", "")), dry_run=True)
    assert report.dry_run
    assert [(c.kind, c.action, c.details) for c in report.changes] == [
        ("team", "updated", ("zone Developing -> none",))
    ]
    assert dump(engine) == before


def test_people_match_by_email_first_then_slack_id(engine):
    run_import(engine, BASE)
    ids = {name: p.id for name, p in _people(engine).items()}
    # A new email with the same Slack id is the same person; the email's case does not matter.
    text = edit(
        BASE,
        (
            "{email: mem@a.example, name: Mem Ber, slack_id: UMEM00001}",
            "{email: mem.ber@b.example, name: Mem Ber, slack_id: UMEM00001}",
        ),
        ("{person: mem@a.example,", "{person: UMEM00001,"),
        ("{email: fac@a.example,", "{email: FAC@A.example,"),
    )
    report = run_import(engine, text)
    people = _people(engine)
    assert {name: p.id for name, p in people.items()} == ids
    assert people["Mem Ber"].email == "mem.ber@b.example"
    assert [(c.kind, c.action) for c in report.changes] == [("person", "updated")]


def test_slack_ids_can_move_between_people(engine):
    run_import(engine, BASE)
    swapped = edit(
        BASE,
        ("slack_id: UFAC00001}", "slack_id: UTMP00001}"),
        ("slack_id: UMEM00001}", "slack_id: UFAC00001}"),
    )
    swapped = swapped.replace("slack_id: UTMP00001}", "slack_id: UMEM00001}")
    run_import(engine, swapped)
    people = _people(engine)
    assert (people["Fa Cilitator"].slack_id, people["Mem Ber"].slack_id) == ("UMEM00001", "UFAC00001")


def test_a_slack_id_given_to_someone_else_leaves_the_departed_person(engine):
    run_import(engine, BASE)
    # Mem Ber leaves; Mem Two (matched by email) now has Mem Ber's Slack id.
    text = edit(
        BASE,
        ("  - {email: mem@a.example, name: Mem Ber, slack_id: UMEM00001}\n", ""),
        ("      - {person: mem@a.example, expertise: [Leadership, Data], fte: 0.5, home_center: North Center}\n", ""),
        ("name: Mem Two}", "name: Mem Two, slack_id: UMEM00001}"),
    )
    report = run_import(engine, text)
    people = _people(engine)
    assert (people["Mem Ber"].active, people["Mem Ber"].slack_id) == (False, None)
    assert people["Mem Two"].slack_id == "UMEM00001"
    changes = {(c.kind, c.action, c.label): c.details for c in report.changes}
    assert changes[("person", "deactivated", "Mem Ber <mem@a.example>")] == (
        "slack_id UMEM00001 -> none (given to someone else)",
    )


def test_a_looked_up_id_of_a_departed_person_is_not_taken(engine):
    run_import(engine, BASE)
    # Mem Ber comes back under a new email and no Slack id; Slack knows the new email as UMEM00001.
    text = edit(
        BASE,
        ("{email: mem@a.example, name: Mem Ber, slack_id: UMEM00001}", "{email: mem.ber@b.example, name: Mem Ber}"),
        ("{person: mem@a.example,", "{person: mem.ber@b.example,"),
    )
    report = run_import(engine, text, lookup=FakeSlack({"mem.ber@b.example": "UMEM00001"}))
    reasons = {u.label: u.reason for u in report.unresolved}
    assert reasons["Mem Ber <mem.ber@b.example>"] == (
        "Slack returned UMEM00001, the Slack id of Mem Ber <mem@a.example>, who is not in the file: "
        "give this person slack_id UMEM00001 to carry on that record"
    )


class FakeSlack:
    """A lookup recording its calls: users by email, and errors to raise for some emails."""

    def __init__(self, users: dict[str, str] | None = None, errors: dict[str, LookupFailed] | None = None):
        self.users, self.errors, self.calls = users or {}, errors or {}, []

    def __call__(self, email: str) -> str | None:
        self.calls.append(email)
        if email in self.errors:
            raise self.errors[email]
        return self.users.get(email)


NO_IDS = BASE.replace(", slack_id: UMEM00001", "").replace(", slack_id: USTC00001", "")


def test_lookup_fills_missing_slack_ids_once(engine):
    slack = FakeSlack({"mem2@a.example": "UMEM00002", "mem@a.example": "UMEM00001"})
    report = run_import(engine, NO_IDS, lookup=slack)
    assert sorted(slack.calls) == ["cw@s.example", "mem2@a.example", "mem@a.example"]
    assert [(u.label, u.reason) for u in report.unresolved] == [
        ("State Contact <cw@s.example>", "not found in Slack by email")
    ]
    assert report.lookups == 3
    assert _people(engine)["Mem Two"].slack_id == "UMEM00002"

    # Stored ids are kept and never looked up again; only the still-unknown person is asked.
    before = dump(engine)
    slack.calls.clear()
    report = run_import(engine, NO_IDS, lookup=slack)
    assert slack.calls == ["cw@s.example"] and not report.changed
    assert dump(engine) == before


def test_lookup_errors_leave_people_unresolved(engine):
    slack = FakeSlack(
        {"mem2@a.example": "UMEM00002"},
        {"mem@a.example": LookupFailed("ratelimited")},
    )
    report = run_import(engine, NO_IDS, lookup=slack)
    reasons = {u.label: u.reason for u in report.unresolved}
    assert reasons["Mem Ber <mem@a.example>"] == "Slack lookup failed: ratelimited"
    assert _people(engine)["Mem Two"].slack_id == "UMEM00002"  # the import went on

    fatal = FakeSlack(errors={e: LookupFailed("invalid_auth", fatal=True) for e in ("cw@s.example", "mem@a.example")})
    report = run_import(engine, NO_IDS, lookup=fatal)
    assert len(fatal.calls) == 1  # no point asking again with a bad token
    assert sorted(u.reason for u in report.unresolved) == [
        "Slack lookup failed: invalid_auth",
        "not looked up: invalid_auth",
    ]


def test_lookup_never_steals_an_id_and_dry_run_does_not_look_up(engine):
    slack = FakeSlack({"mem2@a.example": "UMEM00001"})  # Mem Ber's id, given in the file
    report = run_import(engine, BASE, lookup=slack, dry_run=True)
    assert slack.calls == [] and "would be looked up" in report.unresolved[0].reason
    report = run_import(engine, BASE, lookup=slack)
    assert report.unresolved[0].reason == "Slack returned UMEM00001, which belongs to someone else"
    assert _people(engine)["Mem Two"].slack_id is None


def test_examples_import_identically_in_every_form(engine, examples):
    yaml_report = import_roster(examples["yaml"], engine=engine)
    assert _counts(yaml_report)["people"] == (56, 0, 0, 0)
    before = dump(engine)
    for form in ("csv", "xlsx"):
        assert not import_roster(examples[form], engine=engine).changed
        assert dump(engine) == before


@pytest.fixture(scope="module")
def examples():
    from tests.store.roster_helpers import EXAMPLES

    return {
        "yaml": read_roster(EXAMPLES / "roster.yaml"),
        "csv": read_roster(EXAMPLES / "roster"),
        "xlsx": read_roster(EXAMPLES / "roster.xlsx"),
    }


def test_load_helper_is_the_validator():
    assert load(BASE).organization == "Test Network"
