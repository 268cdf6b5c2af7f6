"""`cstbot export logs` and `cstbot summary [--post]` through bot.cli.main, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from bot.cli import main
from store.export import HEADERS
from tests.reports.conftest import MONTH
from tests.standin import SlackStandIn


@pytest.fixture
def cli(month, tmp_path, monkeypatch, capsys):
    """Run `cstbot ...` against the hand-made month; returns (code, out, err)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", month.engine.url.render_as_string(hide_password=False))
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "CSTBOT_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cstbot: error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "logs", "--month", "2026-13"], "--month: '2026-13' is not a month: use YYYY-MM"),
        (["export", "logs", "--from", "2026-03-10", "--to", "2026-03-01"], "--from 2026-03-10 is after --to"),
        (["export", "logs", "--from", "2026-03-01"], "--to is missing"),
        (["export", "logs", "--from", "2026-02-30", "--to", "2026-03-01"], "--from: '2026-02-30' is not a date"),
        (["export", "logs"], "say which entries: --month YYYY-MM, or --from"),
        (["export", "logs", "--month", "2026-03", "--from", "2026-03-01", "--to", "2026-03-02"], "not both"),
        (["export", "logs", "--month", "2026-03", "--format", "xlsx"], "--format xlsx needs --output FILE"),
        (["export", "logs", "--month", "2026-03", "--team", "Tem B"], "unknown team 'Tem B': did you mean 'Team B'?"),
        (["export", "logs", "--month", "2026-03", "--output", "nowhere/x.csv"], "cannot write nowhere/x.csv"),
        (["summary", "--month", "2026-13"], "--month: '2026-13' is not a month"),
        (["summary", "--month", "2026-03", "--force"], "--force only makes sense with --post"),
        (["summary", "--month", "2026-03", "--post"], "SLACK_BOT_TOKEN is not set"),
    ],
)
def test_bad_input_is_one_line(cli, argv, message):
    code, out, err = cli(*argv)
    assert code != 0 and out == ""
    assert message in one_error_line(err)


def test_missing_schema_is_one_line(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    code, out, err = cli("export", "logs", "--month", "2026-03")
    assert code != 0 and "run `cstbot db upgrade` first" in one_error_line(err)


def test_export_csv_to_stdout(cli, month):
    code, out, err = cli("export", "logs", "--month", MONTH)
    assert (code, err) == (0, "")
    parsed = list(csv.reader(io.StringIO(out, newline="")))
    assert tuple(parsed[0]) == HEADERS
    assert [r[-1] for r in parsed[1:]] == [str(month.ids[k]) for k in ("a1", "b1", "c1", "a2", "a3", "b2")]
    code, out, _ = cli("export", "logs", "--month", MONTH, "--team", "team b", "--submitted-only")
    assert [r[-1] for r in csv.reader(io.StringIO(out))][1:] == [str(month.ids["b1"]), str(month.ids["b2"])]


def test_export_to_files(cli, month, tmp_path):
    code, out, err = cli("export", "logs", "--from", "2026-03-01", "--to", "2026-04-30", "--output", "all.xlsx")
    assert (code, err) == (0, "")
    assert out.strip() == "exported 7 entries (2026-03-01 to 2026-04-30) to all.xlsx"
    sheet = load_workbook(tmp_path / "all.xlsx", read_only=True).active
    assert len(list(sheet.iter_rows(values_only=True))) == 8
    code, out, _ = cli("export", "logs", "--month", MONTH, "--format", "csv", "-o", "march.csv")
    assert code == 0 and out.strip() == f"exported 6 entries ({MONTH}) to march.csv"
    raw = (tmp_path / "march.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == 7 and "'=cmd|' /C calc'!A0" in rows[3]
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_summary_prints(cli, tmp_path):
    code, out, err = cli("summary", "--month", MONTH, "--xlsx", "s.xlsx", "--chart", "s.png")
    assert (code, err) == (0, "")
    assert "Totals: 5 interactions, 6.0 hours, 2 teams reporting, 3 districts served." in out
    assert "wrote s.xlsx" in out and "wrote s.png" in out
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


# --- posting ---------------------------------------------------------------------------------------------

FACILITATORS = ("UFA000001", "UFB000001", "UFC000001", "UFD000001")  # teams A-D; E is inactive


@pytest.fixture
def slack(cli, monkeypatch):
    with SlackStandIn() as standin:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", standin.base_url)
        yield standin


def test_post_to_channels_facilitators_and_members_once(cli, slack):
    code, out, err = cli("summary", "--month", MONTH, "--post")
    assert (code, err) == (0, ""), err
    posts = slack.calls_to("chat.postMessage")
    # the active summaries channel, every facilitator, every team member (share_with: teams, the default)
    assert [c.args["channel"] for c in posts] == ["C0SUMMARY1", *FACILITATORS, "UMEM00001"]
    text = posts[0].args["text"]
    assert text.startswith("*Coaching interaction summary, March 2026* (Test Network)")
    assert "*5* interactions, *6.0* hours" in text and "*By team*" in text
    assert ":white_check_mark: On time (1): Team A" in text and ":x: Not submitted (2): Team C, Team D" in text
    assert "_Your team" not in text
    by_channel = {c.args["channel"]: c.args["text"] for c in posts}
    assert "_Your team Team B: log submitted after the due date._" in by_channel["UFB000001"]
    assert "_Your team Team C: log not submitted yet" in by_channel["UFC000001"]
    completes = slack.calls_to("files.completeUploadExternal")
    # Files go to the message's channel: the DM's D... id for a person (Slack refuses user ids there).
    assert [c.args["channel_id"] for c in completes] == ["C0SUMMARY1", *("D" + u for u in FACILITATORS), "DUMEM00001"]
    for c in completes:
        assert [f["title"] for f in c.args["files"]] == [
            "Coaching interaction summary, March 2026 (workbook)",
            "Coaching interactions by type per team, March 2026",
        ]
    uploads = slack.calls_to("upload")
    assert len(uploads) == 12
    assert uploads[0].args["content"][:2] == b"PK" and uploads[1].args["content"][:4] == b"\x89PNG"
    names = [c.args["filename"] for c in slack.calls_to("files.getUploadURLExternal")]
    assert names[:2] == ["coaching-summary-2026-03.xlsx", "coaching-summary-2026-03.png"]
    assert out.count("posted to ") == 6

    slack.clear()
    code, out, err = cli("summary", "--month", MONTH, "--post")
    assert (code, err) == (0, "")
    assert slack.calls == []  # nothing posted twice
    assert out.count("already posted to ") == 6 and "(--force posts again)" in out

    code, out, err = cli("summary", "--month", MONTH, "--post", "--force")  # a new revision, to everyone again
    assert code == 0 and len(slack.calls_to("chat.postMessage")) == 6


def test_failures_are_one_line_each_and_what_slack_may_take_later_stays_queued(cli, slack, month):
    slack.error_next("chat.postMessage", "not_in_channel")  # the channel, first in line: refused for good
    # then Ann's files (the channel's are not sent without their message): Slack may have shared them: looked
    # up in the history (not there), shared again
    slack.error_next("files.completeUploadExternal", "internal_error")
    code, out, err = cli("summary", "--month", MONTH, "--post")
    assert code == 1
    assert err.strip().splitlines() == [
        "cstbot: error: not posted to channel C0SUMMARY1: chat.postMessage: Slack refused chat.postMessage: "
        "not_in_channel; files.upload: not sent: the message it follows failed",
    ]
    assert [line for line in out.splitlines() if "posted to" in line] == [
        "posted to Ann Facil", "posted to Bob Facil", "posted to Cat Facil", "posted to Dan Facil",
        "posted to Mo Member"]
    assert len(slack.calls_to("files.completeUploadExternal")) == 6  # five shares and the one that failed
    assert len(slack.calls_to("conversations.history")) == 1

    slack.clear()
    code, out, err = cli("summary", "--month", MONTH, "--post")  # the worker's job now: nothing sent twice
    assert (code, err) == (0, "") and not slack.calls_to("chat.postMessage")


def test_facilitator_without_slack_id_is_reported(cli, slack, month):
    from sqlalchemy import update

    from store import models
    from store.db import session_scope

    with session_scope(month.engine, write=True) as s:
        s.execute(update(models.Person).where(models.Person.id == month.ids["fd"]).values(slack_id=None))
    code, out, err = cli("summary", "--month", MONTH, "--post")
    assert code == 1
    assert one_error_line(err) == "cstbot: error: not posted to Dan Facil: no Slack user id in the roster"
    assert len(slack.calls_to("chat.postMessage")) == 5
