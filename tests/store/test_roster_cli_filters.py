"""`cstbot roster show --team/--district` (one team or one district of a big roster), and the import's progress
bar (on a terminal only)."""

from __future__ import annotations

import io

import pytest

from bench.rostergen import generate
from bot.cli.progress import ProgressBar
from tests.store.roster_helpers import BASE, edit
from tests.store.test_roster_cli import cli  # noqa: F401  (the fixture)


@pytest.fixture
def large(cli, tmp_path):  # noqa: F811
    path = tmp_path / "large.yaml"
    path.write_text(generate("large", districts=150))
    assert cli("db", "upgrade")[0] == 0
    assert cli("roster", "import", str(path))[0] == 0
    return path


def test_show_one_team(cli, large):  # noqa: F811
    code, out, err = cli("roster", "show", "--team", "riverland team-3")  # case and punctuation do not matter
    assert (code, err) == (0, "")
    assert "Only team Riverland Team 3 (without --team and --district: everything)." in out
    assert out.count("\n  Riverland Team") == 2  # the team, and the heading of its districts
    assert "Teams (1)" in out and "Districts (25)" in out and "facilitator: " in out
    assert "Lead facilitators" not in out and "Channels" not in out  # the network's sections are not the team's
    everything = cli("roster", "show")[1]
    assert len(out.splitlines()) * 4 < len(everything.splitlines())  # one team of six


def test_show_one_district_with_its_team_and_staff(cli, large):  # noqa: F811
    code, out, _ = cli("roster", "show", "--district", "CEDAR BLUFF R-3 (riverland)")
    assert code == 0
    assert "Only district Cedar Bluff R-3 (Riverland)" in out and "Districts (1)" in out
    assert "  Riverland Team 1 (Early, East)\n    facilitator: " in out  # who supports this district
    assert out.count("staff: ") == 3 and "People: 7" in out  # the team's 4 providers and the district's 3 staff
    code, out, _ = cli("roster", "show", "--team", "Riverland Team 1", "--district", "Cedar Bluff R-3 (Riverland)")
    assert code == 0 and "Only team Riverland Team 1, district Cedar Bluff R-3 (Riverland)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "Riverland Tem 3"], "unknown team 'Riverland Tem 3': did you mean 'Riverland Team 3'?"),
        (["--district", "Cedar Blufff R-3 (Riverland)"],
         "unknown district 'Cedar Blufff R-3 (Riverland)': did you mean 'Cedar Bluff R-3 (Riverland)'?"),
        (["--district", "Atlantis"], "unknown district 'Atlantis': no district has a name like it"),
        (["--team", "Riverland Team 2", "--district", "Cedar Bluff R-3 (Riverland)"],
         "district 'Cedar Bluff R-3 (Riverland)' is not on team 'Riverland Team 2'"),
    ],
)
def test_a_name_that_matches_nothing_is_a_one_line_error_with_the_closest(cli, large, args, message):  # noqa: F811
    code, out, err = cli("roster", "show", *args)
    assert code != 0 and out == "" and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()] and err.startswith(f"cstbot: error: {message}")


def test_an_inactive_team_is_shown_with_all(cli, tmp_path):  # noqa: F811
    path = tmp_path / "roster.yaml"
    xu = "  - {email: x@b.example, name: Xu}\n"
    path.write_text(edit(BASE, ("  - {email: staff@d.example", xu + "  - {email: staff@d.example"),
                         ("districts:", "  - {name: Team B, facilitator: x@b.example}\ndistricts:")))
    cli("db", "upgrade")
    assert cli("roster", "import", str(path))[0] == 0
    path.write_text(BASE)
    assert cli("roster", "import", str(path))[0] == 0  # Team B is gone: deactivated
    code, _, err = cli("roster", "show", "--team", "team b")
    assert code != 0 and "team 'Team B' is no longer in the roster (inactive): add --all to show it" in err
    code, out, _ = cli("roster", "show", "--team", "team b", "--all")
    assert code == 0 and "Team B (inactive)" in out and "facilitator: Xu <x@b.example>" in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_and_erases_itself():
    out = Terminal()
    with ProgressBar(["reading", "people", "saving"], out) as bar:
        bar("reading")
        bar("people", 50, 100)
        bar("saving")
    text = out.getvalue()
    assert "reading" in text and "people 50/100" in text and "saving" in text
    assert " 50% people" in text  # one step of three done, half of the second
    assert text.endswith("\r\x1b[K")  # erased: what the command prints next starts on a clean line


def test_the_progress_bar_is_quiet_when_not_a_terminal():
    out = io.StringIO()
    with ProgressBar(["reading"], out) as bar:
        bar("reading")
    assert out.getvalue() == ""


def test_an_import_on_a_terminal_shows_its_steps(cli, large, monkeypatch, capsys):  # noqa: F811
    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    code, out, _ = cli("roster", "import", str(large))
    assert code == 0 and "No changes" in out
    steps = [s for s in ("reading", "checking", "people", "district staff", "saving") if s in err.getvalue()]
    assert steps == ["reading", "checking", "people", "district staff", "saving"]


def test_show_walks_the_roster_once_not_once_per_team():
    """It walked every membership and district once per team (15.8 million entries for every US state)."""
    from bot.cli.roster import roster_view
    from tests.routing.scaled import counted, scaled_directory, walked

    small, large = counted(scaled_directory(1)), counted(scaled_directory(100))
    costs = [walked(lambda d=d: roster_view(d, [], include_inactive=False)) for d in (small, large)]
    assert costs[0] > 0 and costs[1] < 150 * costs[0], costs  # linear in the roster (it was quadratic)
    filtered = walked(lambda: roster_view(large, [], include_inactive=False, team="Team 1"))
    assert filtered < 150 * costs[0]
