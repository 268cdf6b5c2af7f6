"""`cstbot demo`: a month end to end against the local Slack stand-in, from a directory with nothing in it."""

from __future__ import annotations

import re

import pytest

from bot.cli import main


@pytest.fixture
def empty_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env, no cstbot.db, no examples/: the demo finds its roster by itself
    for name in ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _after(lines: list[str], start: str) -> list[str]:
    """The lines from the first one containing `start` to the end."""
    index = next(i for i, line in enumerate(lines) if start in line)
    return lines[index:]


def test_a_month_end_to_end(empty_dir, capsys):
    kept = empty_dir / "kept" / "demo.db"
    assert main(["demo", "--keep", str(kept)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    text = "\n".join(lines)

    # The district question reaches the facilitator, goes up to the lead, and the answer comes back.
    avery = "→ DM to Avery Lindqvist (CST facilitator, Early East):"
    assert f"{avery} New district request for you from June Albright" in text
    assert "• Avery Lindqvist clicks Escalate on the card" in text
    assert "→ DM to Uma Whitcombe (lead facilitator): District request escalated to you from Avery Lindqvist" in text
    answered = _after(lines, "→ DM to June Albright (district staff, Birchfield C-4): Uma Whitcombe answered")
    assert "Start with one grade's common assessment" in answered[1]

    # A DM to a member is sent on to the facilitator with the shortcut.
    assert "↩ only Imani Castellanos sees: ✓ Sent to Bruno Okafor" in text
    tobias = "→ DM to Tobias Kern (district staff, Dunmore Valley R-3):"
    assert f"{tobias} Your request is now with your CST facilitator, Bruno Okafor" in text

    # The away facilitator's team goes to the lead.
    assert "Carmen Delacroix (Developing East) is away until 15 Jan 2027" in text
    assert "→ DM to Uma Whitcombe (lead facilitator): District request for you: the usual recipient is away" in text

    # Training: own team, the other facilitators, the deadline sweep, the state contact, matched.
    assert "… and the same to Dmitri Haldane, Esther Nakamura, Felix Oyelaran" in text
    assert "(the scheduler's deadline sweep: 1 item moved on)" in text
    assert "→ DM to Zora Kimathi (DESE trainer-match contact): Can you offer a trainer?" in text
    matched = _after(lines, "→ DM to Opal Hensley (district staff, Alder Creek R-2): Good news: a trainer is matched")
    assert "Zora Kimathi will provide the training" in matched[1]

    # The coaching log: training is refused with the protocol's message, the reminder goes out, the month is in.
    refused = [line for line in lines if "✗ the form refuses it (type)" in line]
    assert len(refused) == 1 and "Training is not a coaching interaction" in refused[0]
    assert "DESE activity log" in refused[0]
    assert f"{avery} The Early East coaching log for November 2026 is due" in text
    assert "“Submitted”: ✓ Submitted Early East's log for November 2026: 3 interactions, on time." in text

    # Readable: mentions became names, a screenful per step, counts and the kept database at the end.
    assert not re.search(r"<@U|<!date", text)
    assert 120 <= len(lines) <= 250, len(lines)
    done = r"Done: 4 items routed, \d+ messages sent and \d+ edited in place, 3 coaching interactions logged\."
    assert re.search(done, text)
    assert f"The database is kept at {kept}" in text
    assert kept.stat().st_size > 0


def test_a_missing_roster_is_one_line(empty_dir, capsys):
    assert main(["demo", "--quiet", "--roster", "nowhere.yaml"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "cstbot demo: nowhere.yaml not found: pass --roster FILE"
