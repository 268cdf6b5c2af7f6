"""`cstbot roster export`: what the database holds, in the three shapes `roster import` reads.

On SQLite and PostgreSQL (`engine`), for YAML, CSV and XLSX: importing an export changes nothing (not one column,
timestamps included), and an edited export imports as exactly its edits.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bot.cli import main
from store import models
from store.roster import import_roster, read_roster
from store.roster.export import format_of, roster_from_db, write
from tests.store.roster_helpers import EXAMPLES, edit

TABLES = (models.Meta, models.Person, models.Team, models.TeamMembership, models.District, models.DistrictStaff,
          models.PersonRole, models.Channel, models.SupportMember, models.ContactTrainer, models.AudienceMember)
FORMATS = {"yaml": "roster.yaml", "csv": "roster", "xlsx": "roster.xlsx"}


def dump(engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for model in TABLES:
            table = model.__table__
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
    return out


def export(engine, form: str, tmp_path: Path) -> Path:
    path = tmp_path / FORMATS[form]
    with Session(engine) as session:
        write(roster_from_db(session=session), form, path, header=["exported by a test"])
    return path


@pytest.fixture
def imported(engine):
    """The example roster (every section, audiences included), imported."""
    report = import_roster(read_roster(EXAMPLES / "roster.yaml"), engine=engine)
    assert report.count("audience", "added") == 10
    return engine


def test_the_export_is_the_roster_that_was_imported(imported):
    with Session(imported) as session:
        exported = roster_from_db(session=session)
    assert exported == read_roster(EXAMPLES / "roster.yaml")  # every section, in the file's order


def test_the_audiences_export_with_their_scopes_and_channels(imported):
    """The area supervisors' region or zone, and each audience's channels under `audiences.channels`, as the
    example roster writes them (not among the bot's own channels)."""
    from store.roster.export import yaml_data

    with Session(imported) as session:
        data = yaml_data(roster_from_db(session=session))
    audiences = data["audiences"]
    assert list(audiences) == ["learning_services", "rpdc_directors", "area_supervisors", "channels"]
    assert audiences["channels"] == {"learning_services": ["C0RLLSVC01"], "rpdc_directors": ["C0RLRPDC01"],
                                     "area_supervisors": ["C0RLAREA01"]}
    assert {"person": "dana.whitlock@rde.example", "zone": "New"} in audiences["area_supervisors"]
    assert set(data["channels"]) == {"summaries", "minutes", "updates"}


@pytest.mark.parametrize("form", FORMATS)
def test_export_then_import_changes_nothing(imported, tmp_path, form):
    before = dump(imported)
    path = export(imported, form, tmp_path)
    report = import_roster(read_roster(path), engine=imported)
    assert report.changes == []
    assert dump(imported) == before  # every column of every roster table, updated_at included


def _edit_yaml(path: Path) -> None:
    path.write_text(edit(
        path.read_text(),
        ("name: Gwen Abernathy,", "name: Gwen Abernathy-Reyes,"),
        ("  - {person: orla.finch@prairiehill-rpdc.example, center: Prairie Hill Center}\n", ""),
        ("- C0RLSUMM01\n", "- C0RLSUMM01\n  - C0RLSUMM02\n"),
    ))


def _edit_csv(path: Path) -> None:
    def rewrite(sheet: str, change) -> None:
        file = path / f"{sheet}.csv"
        with file.open(newline="") as handle:
            rows = list(csv.reader(handle))
        with file.open("w", newline="") as handle:
            csv.writer(handle).writerows(change(rows))

    rewrite("people", lambda rows: [[c.replace("Gwen Abernathy", "Gwen Abernathy-Reyes") for c in r] for r in rows])
    rewrite("audiences", lambda rows: [r for r in rows if "orla.finch@prairiehill-rpdc.example" not in r])
    rewrite("channels", lambda rows: [*rows, ["summaries", "C0RLSUMM02"]])


def _edit_xlsx(path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    for row in book["people"].iter_rows():
        if row[1].value == "Gwen Abernathy":
            row[1].value = "Gwen Abernathy-Reyes"
    audiences = book["audiences"]
    for row in audiences.iter_rows(min_row=2):
        if row[1].value == "orla.finch@prairiehill-rpdc.example":
            audiences.delete_rows(row[0].row)
            break
    book["channels"].append(["summaries", "C0RLSUMM02"])
    book.save(path)


@pytest.mark.parametrize("form", FORMATS)
def test_an_edited_export_imports_as_its_edits(imported, tmp_path, form):
    path = export(imported, form, tmp_path)
    {"yaml": _edit_yaml, "csv": _edit_csv, "xlsx": _edit_xlsx}[form](path)
    report = import_roster(read_roster(path), engine=imported)
    assert sorted((c.kind, c.action, c.label, c.details) for c in report.changes) == [
        ("audience", "deactivated", "Orla Finch <orla.finch@prairiehill-rpdc.example> in rpdc_directors "
                                    "(Prairie Hill Center)", ()),
        ("channel", "added", "summaries C0RLSUMM02", ()),
        ("person", "updated", "Gwen Abernathy-Reyes <gwen.abernathy@northgate-rpdc.example>",
         ("name Gwen Abernathy -> Gwen Abernathy-Reyes",)),
    ]
    (tmp_path / "again").mkdir()
    again = export(imported, form, tmp_path / "again")  # and the next export holds the edits
    assert import_roster(read_roster(again), engine=imported).changes == []
    with Session(imported) as session:
        exported = roster_from_db(session=session)
    assert "Gwen Abernathy-Reyes" in {p.name for p in exported.people}
    assert "orla.finch@prairiehill-rpdc.example" not in {a.person for a in exported.audiences}


def test_deactivated_rows_are_not_exported(imported, tmp_path):
    smaller = edit((EXAMPLES / "roster.yaml").read_text(), ("leads:\n  - uma.whitcombe@rde.example\n", "leads:\n"))
    (tmp_path / "smaller.yaml").write_text(smaller)
    import_roster(read_roster(tmp_path / "smaller.yaml"), engine=imported)
    with Session(imported) as session:
        exported = roster_from_db(session=session)
    assert exported == read_roster(tmp_path / "smaller.yaml")
    assert [r.position for r in exported.roles if r.role.value == "lead"] == [0]


def test_format_follows_the_output_name():
    assert format_of(None, None) == "yaml"
    assert format_of(Path("r.XLSX"), None) == "xlsx"
    assert format_of(Path("r.yml"), None) == "yaml"
    assert format_of(Path("sheets"), None) == "csv"
    assert format_of(Path("r.yaml"), "csv") == "csv"


# --- the command ---------------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cstbot.db'}")
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("db", "upgrade")[0] == 0
    return run


def test_the_command_round_trip(cli, tmp_path):
    code, out, err = cli("roster", "export")
    assert code == 1 and out == "" and "import one with `cstbot roster import FILE`" in err
    assert cli("roster", "import", str(EXAMPLES / "roster.yaml"))[0] == 0

    code, out, err = cli("roster", "export")  # YAML on standard output
    assert (code, err) == (0, "") and out.startswith("# The roster of Riverland Model Districts")
    (tmp_path / "out.yaml").write_text(out)
    for output in ("out.yaml", "sheets", "roster.xlsx"):
        if output != "out.yaml":
            code, said, err = cli("roster", "export", "--output", output)
            assert (code, err) == (0, "") and said.startswith("Exported the roster of Riverland Model Districts")
            assert "56 people, 6 teams, 25 districts, 13 roles, 10 audience members, 6 channels" in said
        code, said, err = cli("roster", "import", output)
        assert code == 0 and "No changes: the database already matches the file." in said
    assert sorted(p.name for p in (tmp_path / "sheets").iterdir())[:2] == ["audiences.csv", "channels.csv"]


def test_the_command_says_what_to_do(cli, tmp_path):
    cli("roster", "import", str(EXAMPLES / "roster.yaml"))
    code, out, err = cli("roster", "export", "--format", "xlsx")
    assert code == 1 and out == "" and err.strip() == (
        "cstbot: error: --format xlsx writes a file: give it with --output PATH")
    (tmp_path / "afile").write_text("")
    code, _, err = cli("roster", "export", "--format", "csv", "--output", "afile")
    assert code == 1 and "is a file: --format csv writes a directory of sheets" in err
    code, _, err = cli("roster", "export", "--output", "missing/dir/r.yaml")
    assert code == 1 and "cannot write missing/dir/r.yaml" in err and "Traceback" not in err
