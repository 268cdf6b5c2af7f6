"""The communication report from the database (store.communication) and `cstbot report communication`, on SQLite
and PostgreSQL: the hand-made month of tests/routing/communication_fixture.py, every figure exact."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.reports.communication import HEADER, SHEET
from routing.protocol_file import load_protocol
from store import models
from store.communication import compile_communication
from store.db import session_scope
from store.directory import load_directory
from tests.reports.test_cli import one_error_line
from tests.routing import communication_fixture as fx

MADE = datetime(2026, 1, 1, tzinfo=UTC)


def insert_fixture(engine, *, people_offset: int = 0, teams: dict[int, int] | None = None) -> None:
    """The fixture's people, teams, items and audit rows. Beside tests/reports/conftest.py's month: people ids
    shifted by `people_offset`, and `teams` maps the fixture's team ids to that month's (no team is added)."""
    def pid(person: int | None) -> int | None:
        return person + people_offset if person is not None else None

    def tid(team: int | None) -> int | None:
        return (teams or {}).get(team, team) if team is not None else None

    with session_scope(engine, write=True) as s:
        for person, name in fx.PEOPLE.items():
            s.add(models.Person(id=pid(person), name=name, email=f"p{pid(person)}@example.org",
                                slack_id=f"U{pid(person):08d}"))
        for team, name in fx.TEAMS.items() if teams is None else ():
            s.add(models.Team(id=team, name=name))
        s.flush()
        for item_id, kind, team, asker, created, _trail in fx.ITEMS:
            s.add(models.Item(id=item_id, kind=kind, status="open", protocol_version="missouri-cst-2017.2",
                              asker_id=pid(asker), team_id=tid(team), text="(text)", created_at=created,
                              updated_at=created))
        s.flush()
        for item_id, _kind, _team, _asker, _created, trail in fx.ITEMS:
            for k, actor, when, tier, item_kind, *report in trail:
                detail = {key: v for key, v in (("tier", tier), ("item_kind", item_kind),
                                                ("report", report[0] if report else None)) if v is not None}
                detail["note"] = "other detail keys are never read"
                s.add(models.ItemEvent(item_id=item_id, kind=k, actor_id=pid(actor), at=when, reason="(why)",
                                       detail=detail))


@pytest.fixture
def filled(engine):
    insert_fixture(engine)
    return engine


def test_from_the_database_exact(filled):
    protocol = load_protocol()
    with session_scope(filled) as s:
        report = compile_communication(session=s, start=date(2026, 3, 1), end=date(2026, 3, 31), protocol=protocol,
                                       directory=load_directory(session=s), label="March 2026")
    assert report.items == fx.EXPECTED_ITEMS
    tiers = {(t.chain, t.tier): fx.figures(t) for t in report.tiers}
    assert tiers == fx.EXPECTED_TIERS  # exact: hours are whole seconds / 3600
    assert {t.label: fx.figures(t) for t in report.teams} == fx.EXPECTED_TEAMS
    assert fx.figures(report.total) == pytest.approx(fx.EXPECTED_TOTAL)
    assert [(r.name, r.count) for r in report.redirects] == fx.EXPECTED_REDIRECTS
    assert {m.report: (m.opened, m.resolved, m.answered, m.withdrawn, m.open) for m in report.missing_reports} == \
        fx.EXPECTED_MISSING
    t = report.training
    assert {s.name: (s.reached, s.matched, s.passed_by_hand, s.moved_on_by_deadline) for s in t.stages} == \
        fx.EXPECTED_STAGES
    assert (t.requests, t.matched, t.unmatched, t.withdrawn, t.open, t.median_days_to_match) == \
        pytest.approx(fx.EXPECTED_TRAINING)


@pytest.mark.parametrize(("start", "end", "items"), [
    (date(2026, 2, 1), date(2026, 4, 30), 16),  # February's and April's items too
    (date(2026, 3, 16), date(2026, 3, 16), 3),  # one day (local): items 1, 8, 9
    (date(2026, 5, 1), date(2026, 5, 31), 0),
])
def test_the_period_is_local_days(filled, start, end, items):
    with session_scope(filled) as s:
        report = compile_communication(session=s, start=start, end=end, protocol=load_protocol(),
                                       directory=load_directory(session=s))
    assert report.items == items


# --- the command ----------------------------------------------------------------------------------------


@pytest.fixture
def cli(filled, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", filled.url.render_as_string(hide_password=False))
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "CSTBOT_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _by_name(rows: list[list]) -> dict[tuple, list]:
    return {(r[0], r[1] or "", r[2]): r for r in rows}  # XLSX reads an empty cell as None


def _check_rows(rows: list[list]) -> None:
    """The CSV / XLSX rows hold the expected figures (hours rounded to 0.01, shares in % to 0.1)."""
    by = _by_name(rows)
    fac = by[("By tier", "MMD question", "CST facilitator")]
    assert [float(v) for v in fac[3:12]] == [5, 2, 1, 1, 1, 0, 3.0, 4.0, 50.0]
    team_b = by[("By team", "", "Team B")]
    assert [float(v) for v in team_b[3:12]] == [5, 1, 0, 1, 2, 1, 13.0, 22.0, 0.0]
    total = by[("All items", "", "All items")]
    assert [float(v) for v in total[3:12]] == [13, 7, 1, 1, 3, 1, 3.0, 22.0, 66.7]
    assert float(by[("Redirected by", "", "Mo Member")][3]) == 2
    logs = by[("Missing reports", "", "Coaching interaction logs")]
    assert (float(logs[3]), float(logs[-1])) == (1, 1)  # opened, closed by the log coming in
    assert [float(v) for v in by[("Training", "MMD training request", "All training requests")][3:]
            if v not in (None, "")] == [4, 0, 1, 2, 1, 5.0]


def test_text_to_stdout(cli):
    code, out, err = cli("report", "communication", "--month", "2026-03")
    assert (code, err) == (0, "")
    assert out.startswith("Communication, March 2026\n")
    assert "each followed to its latest step: 14 items." in out
    fac = next(line for line in out.splitlines() if line.startswith("    CST facilitator"))
    assert fac.split()[2:] == ["5", "2", "1", "1", "1", "0", "3.0", "4.0", "50%"]
    total = next(line for line in out.splitlines() if line.startswith("  All items"))
    assert total.split()[2:] == ["13", "7", "1", "1", "3", "1", "3.0", "22.0", "67%"]
    assert "District requests passed on by members: 3" in out
    logs = next(line for line in out.splitlines() if line.startswith("  Coaching interaction logs"))
    assert logs.split()[3:] == ["1", "1", "0", "0", "0"]
    assert "MMD training requests: 4 (matched 2, unmatched 1, withdrawn 0, still open 1); median business days " \
        "to a match: 5.0" in out


def test_csv_and_xlsx(cli, tmp_path):
    code, out, err = cli("report", "communication", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == HEADER
    _check_rows(rows[1:])
    code, out, err = cli("report", "communication", "--month", "2026-03", "--output", "c.xlsx")
    assert (code, err) == (0, "")
    assert out.strip() == "wrote the communication report (March 2026, 14 items) to c.xlsx"
    sheet = load_workbook(tmp_path / "c.xlsx", read_only=True)[SHEET]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADER
    _check_rows(values[1:])
    code, out, err = cli("report", "communication", "--month", "2026-03", "-o", "c.csv")
    assert code == 0 and "to c.csv" in out
    assert list(csv.reader(io.StringIO((tmp_path / "c.csv").read_text("utf-8-sig"), newline="")))[0] == HEADER
    code, out, err = cli("report", "communication", "--month", "2026-03", "-o", "c.txt")
    assert code == 0 and (tmp_path / "c.txt").read_text().startswith("Communication, March 2026")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--month", "2026-13"], "--month: '2026-13' is not a month: use YYYY-MM"),
        (["--month", "March"], "--month: 'March' is not a month"),
        ([], "say which items: --month YYYY-MM, or --from YYYY-MM-DD --to YYYY-MM-DD"),
        (["--from", "2026-03-01"], "--to is missing: give both --from and --to"),
        (["--to", "2026-03-01"], "--from is missing"),
        (["--from", "2026-03-10", "--to", "2026-03-01"], "--from 2026-03-10 is after --to 2026-03-01"),
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from: '2026-02-30' is not a date"),
        (["--month", "2026-03", "--from", "2026-03-01", "--to", "2026-03-02"], "use --month or --from/--to, not both"),
        (["--month", "2026-03", "--format", "xlsx"], "--format xlsx needs --output FILE"),
        (["--month", "2026-03", "--output", "nowhere/c.csv"], "cannot write nowhere/c.csv: no directory nowhere"),
    ],
)
def test_bad_arguments_are_one_line(cli, argv, message):
    code, out, err = cli("report", "communication", *argv)
    assert code != 0 and out == ""
    assert message in one_error_line(err)


def test_missing_schema_is_one_line(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    code, out, err = cli("report", "communication", "--month", "2026-03")
    assert code != 0 and "run `cstbot db upgrade` first" in one_error_line(err)


def test_the_summary_has_the_section_and_the_sheet(cli, tmp_path):
    code, out, err = cli("summary", "--month", "2026-03", "--xlsx", "s.xlsx")
    assert (code, err) == (0, "")
    assert "\nCommunication, March 2026\n" in out and "District requests passed on by members: 3" in out
    sheet = load_workbook(tmp_path / "s.xlsx", read_only=True)[SHEET]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADER
    _check_rows(values[1:])
