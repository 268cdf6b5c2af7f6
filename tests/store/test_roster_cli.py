"""`cstbot roster import` and `cstbot roster show` through bot.cli.main, on a temporary SQLite file."""

from __future__ import annotations

import pytest

from bot.cli import main
from tests.store.roster_helpers import BASE, EXAMPLES, edit


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run `cstbot ...` with DATABASE_URL on a temp file and no Slack token; returns (code, out, err)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cstbot.db'}")
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def schema(tmp_path):
    """The schema, created from the models (test_import_then_show goes through `cstbot db upgrade`)."""
    from sqlmodel import SQLModel

    import store.models  # noqa: F401
    from store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'cstbot.db'}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()


@pytest.fixture
def roster_file(tmp_path):
    path = tmp_path / "roster.yaml"
    path.write_text(BASE)
    return path


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cstbot: error: "), err
    return lines[0]


@pytest.mark.parametrize("command", [["roster", "show"], ["roster", "import", "ROSTER"]])
def test_missing_schema_is_a_one_line_error(cli, roster_file, tmp_path, command):
    code, out, err = cli(*[str(roster_file) if a == "ROSTER" else a for a in command])
    assert code != 0 and out == ""
    assert "run `cstbot db upgrade` first" in _one_error_line(err)
    assert not (tmp_path / "cstbot.db").exists()  # no empty database left behind

    (tmp_path / "cstbot.db").touch()  # a database without the tables
    code, _, err = cli(*[str(roster_file) if a == "ROSTER" else a for a in command])
    assert code != 0 and "run `cstbot db upgrade` first" in _one_error_line(err)


@pytest.mark.parametrize(
    ("name", "message"),
    [("nope.yaml", "no such file or directory"), ("roster.json", "use a .yaml/.yml file, an .xlsx workbook")],
)
def test_bad_paths_are_one_line_errors(cli, tmp_path, name, message):
    if name.endswith(".json"):
        (tmp_path / name).write_text("{}")
    code, out, err = cli("roster", "import", str(tmp_path / name))
    assert code != 0 and out == "" and message in _one_error_line(err)


def test_import_then_show(cli, roster_file):
    assert cli("db", "upgrade")[0] == 0
    code, out, err = cli("roster", "import", str(roster_file))
    assert (code, err) == (0, "")
    assert out.startswith(f"Imported {roster_file} (Test Network).")
    assert "people                 6         0             0             0" in out
    assert "Mem Two <mem2@a.example>: no slack_id in the file and no Slack lookup" in out
    assert "Set SLACK_BOT_TOKEN" in out

    code, out, _ = cli("roster", "import", str(roster_file))
    assert code == 0 and "No changes: the database already matches the file." in out

    code, out, err = cli("roster", "show")
    assert (code, err) == (0, "")
    assert "Organization: Test Network" in out
    assert "  Team A (Developing, East)" in out
    assert "facilitator: Fa Cilitator <fac@a.example> [UFAC00001]" in out
    assert (
        "member: Mem Ber <mem@a.example> [UMEM00001]; expertise Data, Leadership; FTE 0.5; center North Center" in out
    )
    assert "- District One (Developing, East); center North Center" in out
    assert "staff: Staff Person <staff@d.example> [USTF00001]" in out
    assert "State Contact <cw@s.example> [USTC00001]; expertise Special Education; FTE 1" in out
    assert "summaries: C0SUMMARY1" in out
    assert out.rstrip().endswith("People without a Slack id (1)\n  - Mem Two <mem2@a.example>")


def test_show_hides_inactive_rows_unless_all(schema, cli, roster_file):
    cli("roster", "import", str(roster_file))
    roster_file.write_text(
        edit(
            BASE,
            ("  - {email: mem2@a.example, name: Mem Two}\n", ""),
            ("      - {person: mem2@a.example, expertise: [special education], fte: 0.25, fit: 0.5}\n", ""),
        )
    )
    code, out, _ = cli("roster", "import", str(roster_file))
    assert code == 0
    assert "  - person Mem Two <mem2@a.example>" in out and "  - membership Mem Two" in out
    assert "Mem Two" not in cli("roster", "show")[1]
    out = cli("roster", "show", "--all")[1]
    assert "member: Mem Two <mem2@a.example> [no Slack id] (inactive); expertise Special Education" in out
    assert "(membership inactive)" in out


def test_a_bad_file_lists_every_problem_and_writes_nothing(schema, cli, roster_file):
    roster_file.write_text(edit(BASE, ("[Leadership, Data]", "[Leadershp, Data]"), ("fte: 0.25,", "fte: 3,")))
    code, out, err = cli("roster", "import", str(roster_file))
    assert code != 0 and out == "" and "Traceback" not in err
    assert err.splitlines() == [
        f"cstbot: error: {roster_file}: 2 problems, nothing imported",
        f"  {roster_file}:15: unknown expertise area 'Leadershp': did you mean 'Leadership'?",
        f"  {roster_file}:16: fte 3 is outside 0..1",
    ]
    assert "Organization: (not set: import a roster)" in cli("roster", "show")[1]


def test_yaml_syntax_error_shows_line_and_column(cli, roster_file):
    roster_file.write_text("organization: [x\npeople: []\n")
    code, _, err = cli("roster", "import", str(roster_file))
    assert code != 0
    assert err.splitlines()[1].startswith(f"  {roster_file}:2:7: YAML syntax error")


def test_dry_run_lists_changes_and_writes_nothing(schema, cli, roster_file):
    code, out, _ = cli("roster", "import", "--dry-run", str(roster_file))
    assert code == 0
    assert out.startswith(f"Dry run of {roster_file} (Test Network): nothing was written.")
    assert "  + team Team A" in out and "  + person Fa Cilitator <fac@a.example>" in out
    assert "Organization: (not set: import a roster)" in cli("roster", "show")[1]


def test_every_example_form_imports(schema, cli):
    code, out, _ = cli("roster", "import", str(EXAMPLES / "roster.yaml"))
    assert code == 0 and "people                56" in out
    for path in (EXAMPLES / "roster.xlsx", EXAMPLES / "roster" / "people.csv"):
        code, out, _ = cli("roster", "import", str(path))
        assert code == 0 and "No changes" in out


def test_lookup_by_email_through_slack(schema, cli, roster_file, monkeypatch):
    standin = pytest.importorskip("tests.standin")
    with standin.SlackStandIn() as slack:
        slack.users_by_email["mem2@a.example"] = "UMEM00002"
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", slack.base_url)
        code, out, _ = cli("roster", "import", str(roster_file))
        assert code == 0 and "Looked up 1 person in Slack by email." in out and "Unresolved" not in out
        assert [c.args["email"] for c in slack.calls_to("users.lookupByEmail")] == ["mem2@a.example"]
        assert slack.calls_to("users.lookupByEmail")[0].token == "xoxb-test"
        assert "Mem Ber <mem@a.example> [UMEM00001]" in cli("roster", "show")[1]

        # A stored id is never looked up again; a Slack error is reported and the import goes on.
        slack.clear()
        roster_file.write_text(
            edit(
                BASE,
                (
                    "{email: cw@s.example, name: State Contact, slack_id: USTC00001}",
                    "{email: cw2@s.example, name: New Contact}",
                ),
                ("{person: cw@s.example,", "{person: cw2@s.example,"),
            )
        )
        slack.error_next("users.lookupByEmail", "invalid_auth")
        code, out, _ = cli("roster", "import", str(roster_file))
        assert code == 0
        assert [c.args["email"] for c in slack.calls_to("users.lookupByEmail")] == ["cw2@s.example"]
        assert "New Contact <cw2@s.example>: Slack lookup failed: invalid_auth" in out
        assert "  - person State Contact <cw@s.example>" in out  # the old contact was deactivated
