"""Reading and validating roster files: every bad input is reported with its place, all at once."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from routing.directory import Role
from routing.errors import CstbotError
from store.roster import RosterError, read_roster, write_csv, write_xlsx
from store.roster.sheets import roster_rows
from tests.store.roster_helpers import BASE, EXAMPLES, edit, load, problems


def test_base_roster_reads_canonical_values():
    roster = load(BASE)
    assert roster.organization == "Test Network"
    assert [p.key for p in roster.people][:2] == ["fac@a.example", "mem@a.example"]
    fac, mem, mem2 = roster.memberships
    assert (fac.person, fac.role) == ("fac@a.example", Role.FACILITATOR)
    assert mem.expertise == ("Leadership", "Data") and mem.fte == 0.5 and mem.home_center == "North Center"
    assert mem2.expertise == ("Special Education",)  # stored canonical
    assert roster.districts[0].staff == ("staff@d.example",)
    # a reference by Slack id resolves to the person's key (their email)
    assert [(r.role, r.person) for r in roster.roles] == [
        (Role.LEAD, "lead@s.example"),
        (Role.STATE_CONTACT, "cw@s.example"),
        (Role.ADMIN, "lead@s.example"),
    ]
    assert roster.warnings == ()


def test_optional_fields_and_facilitator_mapping():
    text = edit(
        BASE,
        ("Mem Two}", "Mem Two, away_until: 2025-03-01}"),
        ("facilitator: fac@a.example", "facilitator: {person: FAC@A.example, expertise: [Facilitator], fte: 1}"),
        ("fte: 0.5, home_center", "fte: 0.5, fte_available: 0.25, fit: 0.9, home_center"),
        ("summaries: [C0SUMMARY1]", "summaries: [C0SUMMARY1]\n  minutes: C0MINUTES1"),
        ("leads: [lead@s.example]", "leads: [lead@s.example]\nmanagement_team: [USTC00001]"),
    )
    roster = load(text)
    assert roster.people[2].away_until.isoformat() == "2025-03-01"
    fac, mem, _ = roster.memberships
    assert (fac.person, fac.expertise, fac.fte) == ("fac@a.example", ("Facilitator",), 1.0)
    assert (mem.fte_available, mem.fit) == (0.25, 0.9)
    assert [(c.purpose, c.channel_id) for c in roster.channels] == [
        ("summaries", "C0SUMMARY1"),
        ("minutes", "C0MINUTES1"),
    ]
    assert [r.role for r in roster.roles] == [Role.LEAD, Role.MANAGEMENT, Role.STATE_CONTACT, Role.ADMIN]


# (case, replacements, expected problems: each 'LINE: text' must start one reported problem's line and
#  the rest of its message must contain the text)
BAD_YAML = [
    (
        "syntax error",
        [("    zone: Developing\n", "    zone: [Developing\n")],
        ["12:11: YAML syntax error: while parsing a flow sequence (from line 11)"],
    ),
    ("team without facilitator", [("    facilitator: fac@a.example\n", "")], ["10: team 'Team A' has no facilitator"]),
    ("empty facilitator", [("facilitator: fac@a.example", "facilitator:")], ["10: team 'Team A' has no facilitator"]),
    (
        "district names an unknown team",
        [("name: District One, team: Team A", "name: District One, team: Taem A")],
        ["18: unknown team 'Taem A': did you mean 'Team A'?"],
    ),
    (
        "district staff is a team member",
        [("      - {person: mem2@a.example", "      - {person: staff@d.example}\n      - {person: mem2@a.example")],
        ["16: staff@d.example is staff of district 'District One' (line 19) and member of team 'Team A'"],
    ),
    (
        "district staff is a lead",
        [("leads: [lead@s.example]", "leads: [lead@s.example, staff@d.example]")],
        ["19: staff@d.example is staff of district 'District One' (line 18) and a lead facilitator"],
    ),
    (
        "facilitator is also a member of the team",
        [("      - {person: mem2@a.example", "      - fac@a.example\n      - {person: mem2@a.example")],
        ["16: fac@a.example is both facilitator and member of team 'Team A'"],
    ),
    (
        "member of two teams",
        [("districts:\n", "  - {name: Team B, facilitator: lead@s.example, members: [mem@a.example]}\ndistricts:\n")],
        ["17: mem@a.example is a member of team 'Team A' (line 15) and of team 'Team B'"],
    ),
    (
        "lead is a plain member",
        [("      - {person: mem2@a.example", "      - lead@s.example\n      - {person: mem2@a.example")],
        ["16: lead@s.example is a lead facilitator (line 20) and a member of team 'Team A'"],
    ),
    (
        "duplicate email, any case",
        [("  - {email: staff@d", "  - {email: MEM@a.example, name: Someone Else}\n  - {email: staff@d")],
        ["6: duplicate email 'mem@a.example' (also at line 4)"],
    ),
    (
        "duplicate slack id",
        [("  - {email: staff@d", "  - {name: Someone Else, slack_id: UMEM00001}\n  - {email: staff@d")],
        ["6: duplicate slack_id 'UMEM00001' (also at line 4)"],
    ),
    (
        "duplicate team name",
        [("districts:\n", "  - {name: team a, facilitator: lead@s.example}\ndistricts:\n")],
        ["17: duplicate team name 'team a' (also at line 10)"],
    ),
    (
        "duplicate district name",
        [("leads:", "  - {name: District one, team: Team A}\nleads:")],
        ["19: duplicate district name 'District one' (also at line 18)"],
    ),
    ("fte above 1", [("fte: 0.5,", "fte: 1.5,")], ["15: fte 1.5 is outside 0..1"]),
    ("fte below 0", [("fte: 1.0}", "fte: -0.1}")], ["21: fte -0.1 is outside 0..1"]),
    ("fte not a number", [("fte: 0.25,", "fte: half,")], ["16: fte 'half' is not a number"]),
    ("fit above 1", [("fit: 0.5}", "fit: 5}")], ["16: fit 5 is outside 0..1"]),
    (
        "available above fte",
        [("fte: 0.25,", "fte: 0.25, fte_available: 0.5,")],
        ["16: fte_available 0.5 is more than fte 0.25"],
    ),
    (
        "unknown expertise area",
        [("[Leadership, Data]", "[Leadershp, Data]")],
        ["15: unknown expertise area 'Leadershp': did you mean 'Leadership'?"],
    ),
    (
        "unknown zone",
        [("zone: Developing\n", "zone: Developping\n")],
        ["11: unknown zone 'Developping': did you mean 'Developing'?"],
    ),
    (
        "unknown region",
        [("region: East\n", "region: Eastern\n")],
        ["12: unknown region 'Eastern': did you mean 'East'?"],
    ),
    (
        "reference not in people",
        [("[lead@s.example]", "[lead@s.exmaple]")],
        ["19: 'lead@s.exmaple' is not in people: (did you mean 'lead@s.example'?)"],
    ),
    ("slack id not in people", [("admins: [ULEAD0001]", "admins: [UNOBODY01]")], ["22: 'UNOBODY01' is not in people:"]),
    (
        "unknown key",
        [("fte: 0.25, fit", "ftee: 0.25, fit")],
        ["16: unknown key 'ftee' in a team member: did you mean 'fte'?"],
    ),
    ("unknown section", [("admins:", "admin:")], ["22: unknown key 'admin' in the roster: did you mean 'admins'?"]),
    (
        "duplicate key",
        [("    region: East\n", "    region: East\n    region: West\n")],
        ["13: duplicate key 'region' in a team (also at line 12)"],
    ),
    (
        "bad email",
        [("{email: mem2@a.example", "{email: mem2-at-a.example")],
        ["5: email 'mem2-at-a.example' is not an email address", "16: 'mem2@a.example' is not in people:"],
    ),
    ("bad slack id", [("slack_id: UMEM00001", "slack_id: mem")], ["4: slack_id 'mem' is not a Slack user id"]),
    (
        "person without name",
        [("{email: mem2@a.example, name: Mem Two}", "{email: mem2@a.example}")],
        ["5: person has no name"],
    ),
    ("missing organization", [("organization: Test Network\n", "")], ["roster.yaml: organization is missing"]),
    (
        "unknown channel purpose",
        [("summaries:", "summary:")],
        ["24: unknown channel purpose 'summary': did you mean 'summaries'?"],
    ),
    ("bad channel id", [("[C0SUMMARY1]", "[general]")], ["24: channel 'general' is not a Slack channel id"]),
    ("bad date", [("name: Mem Two}", "name: Mem Two, away_until: soon}")], ["5: away_until 'soon' is not a date"]),
    (
        "person not a mapping",
        [("  - {email: mem2@a.example, name: Mem Two}", "  - mem2@a.example")],
        ["5: a person must be a mapping", "16: 'mem2@a.example' is not in people:"],
    ),
    ("team not a mapping", [("districts:\n", "  - Team B\ndistricts:\n")], ["17: a team must be a mapping"]),
]


@pytest.mark.parametrize(("replacements", "expected"), [c[1:] for c in BAD_YAML], ids=[c[0] for c in BAD_YAML])
def test_bad_yaml_is_reported_with_its_line(replacements, expected):
    found = problems(edit(BASE, *replacements))
    for want in expected:
        where, _, text = want.partition(": ")
        prefix = where if where.startswith("roster.yaml") else f"roster.yaml:{where}"
        assert any(p.startswith(f"{prefix}: ") and text in p for p in found), f"{want!r} not in {found}"
    assert len(found) == len(expected), found


def test_every_problem_is_listed_in_file_order():
    text = edit(
        BASE,
        ("[Leadership, Data]", "[Leadershp, Data]"),
        ("fte: 0.25,", "fte: 3,"),
        ("team: Team A", "team: Nope"),
        ("[lead@s.example]", "[ghost@s.example]"),
    )
    with pytest.raises(RosterError) as info:
        load(text)
    lines = [p.loc.line for p in info.value.problems]
    assert lines == [15, 16, 18, 19]
    message = str(info.value)
    assert message.splitlines()[0] == "roster.yaml: 4 problems, nothing imported"
    assert all(line.startswith("  roster.yaml:") for line in message.splitlines()[1:])


def test_warnings_do_not_block():
    text = edit(
        BASE, ("team: Team A, zone: Developing", "team: Team A, zone: Early"), ("leads: [lead@s.example]\n", "")
    )
    text = text.replace("{name: District One, team: Team A,", "{name: District One, team: Team A,")
    roster = load(text.replace("staff: [staff@d.example]}", "staff: [staff@d.example]}\n  - {name: Lonely}"))
    messages = [p.message for p in roster.warnings]
    assert any("in zone Early but team 'Team A' works Developing" in m for m in messages)
    assert any("'Lonely' has no team" in m for m in messages)
    assert any(m.startswith("no leads") for m in messages)


# --- CSV and XLSX ----------------------------------------------------------------------------------------


def _write_rows(directory: Path, sheets: dict[str, list[list]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for sheet, rows in sheets.items():
        with (directory / f"{sheet}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([["" if v is None else v for v in row] for row in rows])


def _drop_column(rows: list[list], column: str) -> list[list]:
    index = rows[0].index(column)
    return [row[:index] + row[index + 1 :] for row in rows]


def test_csv_and_xlsx_read_the_same_roster(tmp_path):
    roster = load(BASE)
    write_csv(roster, tmp_path / "sheets")
    write_xlsx(roster, tmp_path / "roster.xlsx")
    assert read_roster(tmp_path / "sheets") == roster
    assert read_roster(tmp_path / "sheets" / "teams.csv") == roster  # any .csv names its directory
    assert read_roster(tmp_path / "roster.xlsx") == roster


def test_csv_headers_are_forgiving_and_cells_split_on_semicolons(tmp_path):
    sheets = roster_rows(load(BASE))
    sheets["people"][0] = ["E-mail", "Name", "Slack ID", "away until"]
    sheets["members"][2][3] = " Leadership ;Data; "
    _write_rows(tmp_path, sheets)
    assert read_roster(tmp_path) == load(BASE)


def test_csv_missing_column_and_sheet_are_errors(tmp_path):
    sheets = roster_rows(load(BASE))
    sheets["members"] = _drop_column(sheets["members"], "person")
    del sheets["channels"]
    _write_rows(tmp_path, sheets)
    with pytest.raises(RosterError) as info:
        read_roster(tmp_path)
    # Only the structural problems: nothing cascades from the rows that could not be read.
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'members.csv'} row 1: missing column 'person' "
        "(columns: team, person, role (optional: expertise, fte, fte_available, home_center, fit))",
        f"{tmp_path / 'channels.csv'}: missing file (columns: purpose, channel)",
    ]


def test_csv_errors_carry_sheet_and_row(tmp_path):
    sheets = roster_rows(load(BASE))
    sheets["members"][2][4] = 2  # fte of the second row of members (spreadsheet row 3)
    sheets["districts"][1][1] = "Team Z"
    sheets["members"][0][4] = "FTE"  # header case does not matter
    _write_rows(tmp_path, sheets)
    with pytest.raises(RosterError) as info:
        read_roster(tmp_path)
    found = [str(p) for p in info.value.problems]
    assert found == [
        f"{tmp_path / 'members.csv'} row 3: fte 2 is outside 0..1",
        f"{tmp_path / 'districts.csv'} row 2: unknown team 'Team Z': did you mean 'Team A'?",
    ]


def test_xlsx_missing_column_is_an_error(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet, rows in roster_rows(load(BASE)).items():
        if sheet == "districts":
            rows = _drop_column(rows, "team")
        ws = workbook.create_sheet(sheet.capitalize())  # sheet names match ignoring case
        for row in rows:
            ws.append(row)
    workbook.save(tmp_path / "roster.xlsx")
    with pytest.raises(RosterError) as info:
        read_roster(tmp_path / "roster.xlsx")
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'roster.xlsx'} [districts] row 1: missing column 'team' "
        "(columns: name, team (optional: zone, region, center, staff))"
    ]


def test_not_a_workbook(tmp_path):
    (tmp_path / "roster.xlsx").write_text("not a zip")
    with pytest.raises(RosterError, match="cannot read the workbook"):
        read_roster(tmp_path / "roster.xlsx")


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.yaml", "no such file or directory"), ("roster.txt", "cannot read a roster from")],
)
def test_unreadable_paths_are_one_line_errors(tmp_path, name, message):
    if name.endswith(".txt"):
        (tmp_path / name).write_text("organization: x")
    with pytest.raises(CstbotError, match=message) as info:
        read_roster(tmp_path / name)
    assert not isinstance(info.value, RosterError) and "\n" not in str(info.value)


def test_the_example_roster_is_valid_in_all_three_forms():
    roster = read_roster(EXAMPLES / "roster.yaml")
    assert roster.warnings == ()
    assert read_roster(EXAMPLES / "roster") == roster
    assert read_roster(EXAMPLES / "roster.xlsx") == roster
