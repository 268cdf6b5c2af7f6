"""The roster's `audiences:` key in full: learning services, RPDC directors (a center), area supervisors (a region,
a zone or named districts) and each audience's channels; validated like the rest, in every file form."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from store.directory import load_channels, load_directory
from store.roster import read_roster, write_csv, write_xlsx
from tests.store.roster_helpers import BASE, edit, load, problems, run_import

AUDIENCES = edit(
    BASE,
    (
        "  - {email: cw@s.example, name: State Contact, slack_id: USTC00001}\n",
        "  - {email: cw@s.example, name: State Contact, slack_id: USTC00001}\n"
        "  - {email: ls@s.example, name: Lee Services, slack_id: ULSV00001}\n"
        "  - {email: dir@s.example, name: Dee Rector, slack_id: UDIR00001}\n"
        "  - {email: sup@s.example, name: Sue Pervisor, slack_id: USUP00001}\n",
    ),
    (
        "channels:\n  summaries: [C0SUMMARY1]\n",
        "channels:\n  summaries: [C0SUMMARY1]\n"
        "audiences:\n"
        "  learning_services: [ls@s.example]\n"
        "  rpdc_directors:\n"
        "    - {person: dir@s.example, center: north center}\n"
        "  area_supervisors:\n"
        "    - {person: sup@s.example, region: east}\n"
        "    - {person: ls@s.example, zone: developing}\n"
        "    - {person: sup@s.example, districts: [district one]}\n"
        "  channels:\n"
        "    learning_services: [C0LEARN01]\n"
        "    area_supervisors: C0AREA001\n",
    ),
)
# Lines of AUDIENCES: 29 learning_services, 31 director, 33-35 area supervisors, 37-38 channels.


def test_every_audience_is_read_canonical_with_its_scope():
    roster = load(AUDIENCES)
    assert [(a.audience, a.person, a.center, a.region, a.zone, a.districts) for a in roster.audiences] == [
        ("learning_services", "ls@s.example", None, None, None, ()),
        ("rpdc_directors", "dir@s.example", "North Center", None, None, ()),
        ("area_supervisors", "sup@s.example", None, "East", None, ()),
        ("area_supervisors", "ls@s.example", None, None, "Developing", ()),  # a person in two audiences is fine
        ("area_supervisors", "sup@s.example", None, None, None, ("District One",)),
    ]
    assert [(c.purpose, c.channel_id) for c in roster.channels] == [
        ("summaries", "C0SUMMARY1"), ("learning_services", "C0LEARN01"), ("area_supervisors", "C0AREA001")]


BAD = [
    ("learning services person not in people",
     [("learning_services: [ls@s.example]", "learning_services: [ls@s.exmple]")],
     ["29: 'ls@s.exmple' is not in people: (did you mean 'ls@s.example'?)"]),
    ("supervisor not in people", [("{person: sup@s.example, region: east}", "{person: spu@s.example, region: east}")],
     ["33: 'spu@s.example' is not in people: (did you mean 'sup@s.example'?)"]),
    ("wrong region", [("region: east}", "region: eats}")], ["33: unknown region 'eats': did you mean 'East'?"]),
    ("wrong zone", [("zone: developing}", "zone: develping}")],
     ["34: unknown zone 'develping': did you mean 'Developing'?"]),
    ("wrong district", [("districts: [district one]", "districts: [district on]")],
     ["35: unknown district 'district on': did you mean 'District One'?"]),
    ("wrong center", [("center: north center}", "center: nroth center}")],
     ["31: unknown center 'nroth center': did you mean 'North Center'? (the centers the districts name)"]),
    ("supervisor without an area", [("{person: sup@s.example, region: east}", "sup@s.example")],
     ["33: an entry of area_supervisors needs its area: one of region:, zone: or districts:"]),
    ("supervisor with two areas", [("region: east}", "region: east, zone: early}")],
     ["33: an entry of area_supervisors names one of region, zone, districts, not region and zone"]),
    ("a center on a supervisor", [("region: east}", "center: North Center}")],
     ["33: an entry of area_supervisors has no center (its area: one of region:, zone: or districts:)"]),
    ("a region on learning services", [("learning_services: [ls@s.example]",
                                        "learning_services: [{person: ls@s.example, region: East}]")],
     ["29: an entry of learning_services has no region (no scope: they see the whole state)"]),
    ("unknown audience", [("  area_supervisors:\n    -", "  area_supervisor:\n    -")],
     ["32: unknown audience 'area_supervisor': did you mean 'area_supervisors'?"]),
    ("a channel that is no channel id", [("learning_services: [C0LEARN01]", "learning_services: [learning]")],
     ["37: channel 'learning' is not a Slack channel id (C... or G...)"]),
    ("channels of an unknown audience", [("    area_supervisors: C0AREA001", "    area_supervisor: C0AREA001")],
     ["38: unknown channel purpose 'area_supervisor': did you mean 'area_supervisors'?"]),
    ("the same supervisor twice", [("{person: sup@s.example, districts: [district one]}",
                                    "{person: sup@s.example, region: East}")],
     ["35: sup@s.example is listed twice in area_supervisors (also at line 33)"]),
]


@pytest.mark.parametrize(("replacements", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_audience_problems_are_reported_with_their_line(replacements, expected):
    found = problems(edit(AUDIENCES, *replacements))
    for want in expected:
        where, _, text = want.partition(": ")
        assert any(p.startswith(f"roster.yaml:{where}: ") and text in p for p in found), f"{want!r} not in {found}"
    assert len(found) == len(expected), found


def test_csv_and_xlsx_hold_the_same_audiences(tmp_path):
    roster = load(AUDIENCES)
    write_csv(roster, tmp_path / "sheets")
    write_xlsx(roster, tmp_path / "roster.xlsx")
    assert read_roster(tmp_path / "sheets") == roster == read_roster(tmp_path / "roster.xlsx")
    header = (tmp_path / "sheets" / "audiences.csv").read_text().splitlines()[0]
    assert header == "audience,person,center,region,zone,districts"


def test_import_loads_every_audience_and_its_channels(engine):
    report = run_import(engine, AUDIENCES)
    assert {row["kind"]: row["added"] for row in report.counts}["audiences"] == 5
    with Session(engine) as s:
        d = load_directory(session=s)
        channels = [(c.purpose, c.channel_id) for c in load_channels(session=s)]
    sup = d.by_email("sup@s.example").id
    assert [(a.person_id, a.region, a.zone, a.districts) for a in d.audience_members("area_supervisors")] == [
        (sup, "East", None, ()), (d.by_email("ls@s.example").id, None, "Developing", ()),
        (sup, None, None, ("District One",))]
    assert ("learning_services", "C0LEARN01") in channels and ("area_supervisors", "C0AREA001") in channels
    assert not run_import(engine, AUDIENCES).changed  # the same file twice writes nothing
    moved = edit(AUDIENCES, ("region: east}", "region: west}"))
    changes = {(c.kind, c.action) for c in run_import(engine, moved).changes}
    assert ("audience", "added") in changes and ("audience", "deactivated") in changes
