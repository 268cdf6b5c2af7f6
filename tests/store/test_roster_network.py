"""The roster's network-wide keys: the support team, each state contact's trainers, and the RPDC directors
(`audiences.rpdc_directors`). Validated like the rest, imported into their own tables, loaded into the Directory."""

from __future__ import annotations

import csv

import pytest
from sqlmodel import Session

from routing.directory import Role
from store.directory import load_directory
from store.roster import read_roster, write_csv
from store.roster.sheets import roster_rows
from tests.store.roster_helpers import BASE, edit, load, problems, run_import

NETWORK = edit(
    BASE,
    (
        "  - {email: cw@s.example, name: State Contact, slack_id: USTC00001}\n",
        "  - {email: cw@s.example, name: State Contact, slack_id: USTC00001}\n"
        "  - {email: sup@s.example, name: Sue Port, slack_id: USUP00001}\n"
        "  - {email: dir@s.example, name: Dee Rector, slack_id: UDIR00001}\n"
        "  - {email: tr@s.example, name: Tra Iner, slack_id: UTRA00001}\n",
    ),
    (
        "  - {person: cw@s.example, expertise: [Special Education], fte: 1.0}\n",
        "  - {person: cw@s.example, expertise: [Special Education], fte: 1.0,\n"
        "     trainers: [tr@s.example, mem@a.example]}\n"
        "support_team:\n"
        "  - {person: sup@s.example, expertise: [early childhood], fte: 0.5, fte_available: 0.2, home_center: North}\n"
        "audiences:\n"
        "  rpdc_directors:\n"
        "    - {person: dir@s.example, center: north center}\n",
    ),
)
# Lines of NETWORK: 24-25 state contact, 27 support entry, 30 director.


def test_the_network_keys_are_read_canonical():
    roster = load(NETWORK)
    (contact,) = [r for r in roster.roles if r.role is Role.STATE_CONTACT]
    assert contact.trainers == ("tr@s.example", "mem@a.example")
    (support,) = roster.support
    assert (support.person, support.expertise, support.fte, support.fte_available) == (
        "sup@s.example", ("Early Childhood",), 0.5, 0.2)
    assert Role.SUPPORT not in {r.role for r in roster.roles}  # the support team is not a network role row
    (director,) = roster.audiences
    assert (director.audience, director.person, director.center) == ("rpdc_directors", "dir@s.example", "North Center")


BAD = [
    (
        "trainer not in people",
        [("trainers: [tr@s.example,", "trainers: [tr@s.exmaple,")],
        ["25: 'tr@s.exmaple' is not in people: (did you mean 'tr@s.example'?)"],
    ),
    ("trainers on a lead", [("leads: [lead@s.example]", "leads: [{person: lead@s.example, trainers: [tr@s.example]}]")],
     ["22: unknown key 'trainers' in an entry of leads"]),
    (
        "support member on a team",
        [("  - {person: sup@s.example", "  - {person: mem@a.example")],
        ["27: mem@a.example is on the support team and member of team 'Team A' (line 18)"],
    ),
    (
        "support available above its fte",
        [("fte_available: 0.2", "fte_available: 0.7")],
        ["27: fte_available 0.7 is more than fte 0.5"],
    ),
    (
        "support member is district staff",
        [("  - {person: sup@s.example", "  - {person: staff@d.example")],
        ["27: staff@d.example is staff of district 'District One' (line 21) and on the support team"],
    ),
    (
        "director of a center no district names",
        [("center: north center}", "center: Nort Center}")],
        ["30: unknown center 'Nort Center': did you mean 'North Center'? (the centers the districts name)"],
    ),
    ("director without a center", [("{person: dir@s.example, center: north center}", "dir@s.example")],
     ["30: an entry of rpdc_directors needs the center it directs"]),
    (
        "unknown audience",
        [("  rpdc_directors:\n", "  rpdc_director:\n")],
        ["29: unknown audience 'rpdc_director': did you mean 'rpdc_directors'?"],
    ),
    (
        "director not in people",
        [("{person: dir@s.example,", "{person: dri@s.example,")],
        ["30: 'dri@s.example' is not in people: (did you mean 'dir@s.example'?)"],
    ),
]


@pytest.mark.parametrize(("replacements", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_network_problems_are_reported_with_their_line(replacements, expected):
    found = problems(edit(NETWORK, *replacements))
    for want in expected:
        where, _, text = want.partition(": ")
        assert any(p.startswith(f"roster.yaml:{where}: ") and text in p for p in found), f"{want!r} not in {found}"
    assert len(found) == len(expected), found


def test_a_person_may_be_in_an_audience_and_hold_a_role():
    director = "{person: dir@s.example, center: north center}"
    text = edit(NETWORK, (director, director + "\n    - {person: lead@s.example, center: North Center}"))
    assert [a.person for a in load(text).audiences] == ["dir@s.example", "lead@s.example"]


def test_a_contact_listing_themself_as_trainer_is_a_warning():
    roster = load(edit(NETWORK, ("trainers: [tr@s.example,", "trainers: [cw@s.example, tr@s.example,")))
    assert [r.trainers for r in roster.roles if r.role is Role.STATE_CONTACT] == [("tr@s.example", "mem@a.example")]
    assert any("lists themself as a trainer" in w.message for w in roster.warnings)


def test_sheets_round_trip_and_older_folders_without_audiences_still_read(tmp_path):
    roster = load(NETWORK)
    write_csv(roster, tmp_path / "sheets")
    assert read_roster(tmp_path / "sheets") == roster
    (tmp_path / "sheets" / "audiences.csv").unlink()  # a folder written before the audiences sheet existed
    older = read_roster(tmp_path / "sheets")
    assert older.audiences == () and older.support == roster.support


def test_a_support_row_in_the_roles_sheet_with_trainers_is_refused(tmp_path):
    sheets = roster_rows(load(NETWORK))
    header = sheets["roles"][0]
    row = next(r for r in sheets["roles"] if r[0] == "support")
    row[header.index("trainers")] = "tr@s.example"
    tmp_path.mkdir(exist_ok=True)
    for sheet, rows in sheets.items():
        with (tmp_path / f"{sheet}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([["" if v is None else v for v in r] for r in rows])
    with pytest.raises(Exception, match="trainers are for state contacts only"):
        read_roster(tmp_path)


def test_import_writes_loads_and_deactivates(engine):
    report = run_import(engine, NETWORK)
    counts = {row["kind"]: row["added"] for row in report.counts}
    assert (counts["support team"], counts["trainers"], counts["audiences"]) == (1, 2, 1)
    with Session(engine) as s:
        d = load_directory(session=s)
    sup, tr, mem, director, cw = (d.by_email(e).id for e in
                                  ("sup@s.example", "tr@s.example", "mem@a.example", "dir@s.example", "cw@s.example"))
    support = d.network_role(sup, Role.SUPPORT)
    assert support is not None and (support.fte, support.fte_available) == (0.5, 0.2)
    assert d.network_role(cw, Role.STATE_CONTACT).trainers == (tr, mem)
    assert [(a.audience, a.person_id, a.center) for a in d.audience_members("rpdc_directors")] == [
        ("rpdc_directors", director, "North Center")]
    assert not run_import(engine, NETWORK).changed  # the same file twice writes nothing

    report = run_import(engine, BASE)  # the keys removed: deactivated, never deleted
    assert {(c.kind, c.action) for c in report.changes} >= {
        ("support", "deactivated"), ("trainer", "deactivated"), ("audience", "deactivated")}
    with Session(engine) as s:
        d = load_directory(session=s)
    assert d.network_role(sup, Role.SUPPORT) is None and d.audience_members("rpdc_directors") == ()
    assert d.network_role(cw, Role.STATE_CONTACT).trainers == ()
