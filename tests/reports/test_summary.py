"""compile_summary on the hand-made month: counts, hours, topics and facilitators, exactly."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.reports.chart import summary_chart
from bot.reports.workbook import summary_xlsx
from store.db import session_scope
from store.directory import load_directory
from store.summary import (
    LATE,
    MISSING,
    ON_TIME,
    Summary,
    Tally,
    TeamLine,
    compile_summary,
    parse_month,
)
from templates import render_text
from tests.reports.conftest import MONTH

CHICAGO = ZoneInfo("America/Chicago")


def compile_(month, protocol, which=MONTH) -> Summary:
    with session_scope(month.engine) as s:
        return compile_summary(session=s, month=which, protocol=protocol, directory=load_directory(session=s))


def test_counts_and_hours_by_team_district_and_type(month, protocol):
    s = compile_(month, protocol)
    # Only A (on time) and B (late) submitted: C's open log, the deleted entry and April's are not counted.
    assert [t.name for t in s.teams] == ["Team A", "Team B"]
    a, b = s.teams
    assert a.tally.counts == {"planning": 1, "discussing_data": 1, "unsure": 1}
    assert a.tally.minutes == {"planning": 60, "discussing_data": 30, "unsure": 90}
    assert (a.tally.total, a.tally.total_minutes, a.tally.hours) == (3, 180, 3.0)
    assert b.tally.counts == {"feedback": 2} and b.tally.minutes == {"feedback": 180}
    assert [(d.team, d.name, d.tally.total, d.tally.total_minutes) for d in s.districts] == [
        ("Team A", "Dist One", 2, 90),
        ("Team A", "Dist Two", 1, 90),
        ("Team B", "Dist Three", 2, 180),
    ]
    assert [d.name for d in a.districts] == ["Dist One", "Dist Two"]
    assert (s.totals.total, s.totals.total_minutes, s.totals.hours) == (5, 360, 6.0)
    assert s.totals.counts == {"planning": 1, "discussing_data": 1, "unsure": 1, "feedback": 2}
    assert s.districts_served == 3
    assert [k for k, _ in s.types] == [t.key for t in protocol.interaction_types]  # no unknown keys
    assert a.facilitators == ("Ann Facil",)


def test_topics_and_standards(month, protocol):
    s = compile_(month, protocol)
    standards = {t.name: t.count for t in s.standards}
    assert list(standards) == list(protocol.standards)  # every standard listed, zero or not
    assert standards == {
        "Learning Communities": 1,
        "Leadership": 2,  # b2 names it twice ("Leadership", "leadership"): one interaction
        "Resources": 0,
        "Data": 2,  # "Data" and "data"
        "Learning Designs": 0,
        "Implementation": 1,
        "Outcomes": 0,
    }
    expertise = {t.name: t.count for t in s.expertise if t.count}
    assert expertise == {"Data": 2, "Leadership": 2, "Special Education": 1}
    assert [(t.name, t.count) for t in s.other_topics] == [("Budget", 1)]
    team_b = {(t.kind, t.name): t.count for t in s.topics_of_team(month.ids["B"])}
    assert team_b == {
        ("standard", "Leadership"): 2,
        ("expertise", "Leadership"): 2,
        ("standard", "Implementation"): 1,
        ("expertise", "Special Education"): 1,
    }


def test_submissions_on_time_late_and_missing(month, protocol):
    s = compile_(month, protocol)
    assert s.due_at == datetime(2026, 4, 7, 17, 0, tzinfo=CHICAGO)
    rows = [(x.team, x.status, x.log_status, x.facilitators, x.submitted_by, x.entered) for x in s.submissions]
    assert rows == [
        ("Team A", ON_TIME, "submitted", ("Ann Facil",), "Ann Facil", 3),
        ("Team B", LATE, "submitted", ("Bob Facil",), "Bob Facil", 2),
        ("Team C", MISSING, "open", ("Cat Facil",), None, 1),
        ("Team D", MISSING, "not started", ("Dan Facil",), None, 0),
    ]  # Team E is inactive and has nothing counted: not listed
    assert s.submissions[0].submitted_at == datetime(2026, 4, 3, 10, 0, tzinfo=CHICAGO)
    assert [x.team for x in s.on_time] == ["Team A"]
    assert [x.team for x in s.late] == ["Team B"]
    assert [x.team for x in s.missing] == ["Team C", "Team D"]


def test_reopened_log_counts_as_not_submitted(month, protocol):
    from sqlalchemy import update

    from store import models

    with session_scope(month.engine, write=True) as s:
        s.execute(update(models.LogMonth).where(models.LogMonth.team_id == month.ids["B"]).values(status="open"))
    s = compile_(month, protocol)
    assert [t.name for t in s.teams] == ["Team A"]
    assert [(x.team, x.status) for x in s.missing] == [("Team B", MISSING), ("Team C", MISSING), ("Team D", MISSING)]


def test_empty_month_lists_every_active_team_as_missing(month, protocol):
    s = compile_(month, protocol, "2026-02")
    assert s.teams == [] and s.totals.total == 0
    assert [x.team for x in s.missing] == ["Team A", "Team B", "Team C", "Team D"]
    text = render_text("reports/summary.txt.j2", s=s)
    assert "No submitted logs for February 2026." in text


def test_terminal_text(month, protocol):
    text = render_text("reports/summary.txt.j2", s=compile_(month, protocol))
    assert "Coaching interaction summary, March 2026 (Test Network)" in text
    assert "Totals: 5 interactions, 6.0 hours, 2 teams reporting, 3 districts served." in text
    assert "Logs were due Tue 2026-04-07 17:00 CDT." in text
    lines = [line.rstrip() for line in text.splitlines()]
    assert any(line.split() == ["Team", "A", "3", "3.0"] for line in lines)
    assert any(line.split() == ["Dist", "Three", "2", "3.0"] for line in lines)
    assert "    Team A (Ann Facil): submitted 2026-04-03 10:00 by Ann Facil" in lines
    assert "    Team B (Bob Facil): submitted 2026-04-09 09:30 by Bob Facil" in lines
    assert "    Team C (Cat Facil): log open, 1 entry entered" in lines
    assert "    Team D (Dan Facil): no log started, 0 entries entered" in lines


def test_workbook_sheets(month, protocol, tmp_path):
    s = compile_(month, protocol)
    path = summary_xlsx(s, tmp_path / "summary.xlsx")
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["By team", "By district", "Topics", "Submissions", "Trainer allocations", "Communication"]
    by_team = [list(r) for r in wb["By team"].iter_rows(values_only=True)]
    assert by_team[0][:5] == ["Team", "Facilitator(s)", "Interactions", "Hours", "Districts"]
    assert by_team[0][5:7] == ["Planning: interactions", "Planning: hours"]
    assert by_team[1][:7] == ["Team A", "Ann Facil", 3, 3, 2, 1, 1]
    assert by_team[-1][:5] == ["All teams", None, 5, 6, 3]
    by_district = [list(r) for r in wb["By district"].iter_rows(values_only=True)]
    assert [r[:4] for r in by_district[1:]] == [
        ["Team A", "Dist One", 2, 1.5],
        ["Team A", "Dist Two", 1, 1.5],
        ["Team B", "Dist Three", 2, 3],
        ["All teams", "All districts", 5, 6],
    ]
    topics = [list(r) for r in wb["Topics"].iter_rows(values_only=True)]
    assert ["All teams", "Standard for Professional Learning", "Leadership", 2] in topics
    assert ["All teams", "Other topic", "Budget", 1] in topics
    assert ["Team B", "Expertise area", "Special Education", 1] in topics
    subs = [list(r) for r in wb["Submissions"].iter_rows(values_only=True)]
    assert subs[0][:4] == ["Team", "Facilitator(s)", "Status", "Log"]
    assert [r[2] for r in subs[1:]] == ["On time", "Late", "Not submitted", "Not submitted"]
    assert subs[1][4] == datetime(2026, 4, 3, 10, 0)  # local time, the zone is in the header
    assert subs[0][4] == "Submitted at (America/Chicago)"


def test_chart_is_a_png_and_groups_many_teams(month, protocol, tmp_path):
    s = compile_(month, protocol)
    path = summary_chart(s, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    many = Summary(**{**s.__dict__, "teams": [_team(i) for i in range(60)]})
    big = summary_chart(many, tmp_path / "many.png", max_teams=30)
    assert big.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    empty = Summary(**{**s.__dict__, "teams": []})
    assert summary_chart(empty, tmp_path / "empty.png").stat().st_size > 0


def _team(i: int) -> TeamLine:
    tally = Tally()
    tally.add("planning", i + 1, 30 * (i + 1))
    tally.add("feedback", 2, 60)
    return TeamLine(1000 + i, f"Zone team {i}", ("Someone",), tally)


def test_parse_month():
    assert parse_month("2026-03").month == 3
    for bad in ("2026-13", "2026-00", "26-03", "2026-3", "March"):
        try:
            parse_month(bad)
        except ValueError as exc:
            assert "is not a month" in str(exc)
        else:
            raise AssertionError(bad)
