"""Issue 9, point 7: every `cstbot` command fails in one line saying what went wrong and what to do, with a
non-zero exit code and no traceback (`cstbot db upgrade` on a bad SQLite path printed 80 lines)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot import cli

BAD_PATH = "sqlite:////nonexistent/dir/x.db"
REFUSED = "postgresql+psycopg://postgres@127.0.0.1:1/x"  # nothing listens on port 1: refused at once

COMMANDS = [
    ["db", "upgrade"],
    ["roster", "show"],
    ["trainers"],
    ["export", "logs", "--month", "2026-10"],
    ["roster", "try", "--me", "U1"],
    ["summary", "--month", "2026-10"],
]
URLS = {
    "missing folder": (BAD_PATH, ("/nonexistent/dir",)),
    "server refused": (REFUSED, ("database", "Connection refused")),
    "unknown scheme": ("bogus://x", ("DATABASE_URL", "sqlite:///")),
    "not a URL": ("not a url", ("DATABASE_URL", "sqlite:///")),
}


def one_line_error(err: str, *words: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("cstbot: error: ") and "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_db_upgrade_on_a_folder_that_does_not_exist_says_so_in_one_line():
    """As the issue found it: the real command, in its own process."""
    env = {**os.environ, "DATABASE_URL": BAD_PATH}
    run = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode != 0
    line = one_line_error(run.stderr, "/nonexistent/dir", "does not exist", "DATABASE_URL")
    assert "create it" in line
    assert run.stdout == ""


@pytest.mark.parametrize("case", list(URLS))
@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_commands_on_a_bad_database_url_fail_in_one_line(monkeypatch, capsys, argv, case):
    url, words = URLS[case]
    monkeypatch.setenv("DATABASE_URL", url)
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code != 0
    one_line_error(err, *words)


def test_an_unexpected_failure_is_one_line_and_its_traceback_only_with_verbose(monkeypatch, capsys, tmp_path):
    from store import migrate

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")

    def broken(url, revision="head"):
        raise RuntimeError("the disk said no\nsecond line")

    monkeypatch.setattr(migrate, "upgrade", broken)
    assert cli.main(["db", "upgrade"]) == 1
    line = one_line_error(capsys.readouterr().err, "unexpected RuntimeError: the disk said no", "-v")
    assert "second line" not in line
    assert cli.main(["-v", "db", "upgrade"]) == 1
    assert "Traceback" in capsys.readouterr().err  # asked for: the details are there
