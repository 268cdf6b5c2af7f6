"""`cstbot demo`: a month end to end against the local Slack stand-in, from a directory with nothing in it."""

from __future__ import annotations

import json
import re

import pytest

from bot.cli import main
from bot.demo.transcript import ACTIONS


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

    # The monthly loop: the lead's update up (reminder, one click, sent, acknowledged), the minutes down.
    assert "(2 reminders, one per lead facilitator; the button opens the form)" in text
    assert "• Uma Whitcombe clicks Write the update on the reminder" in text
    victor = "→ DM to Victor Ashdown (management team): CST update · November 2026 from Uma Whitcombe"
    assert victor in text and "→ post in the updates channel: CST update · November 2026" in text
    assert "edited in place to show the new state: Victor Ashdown, the updates channel" in text
    assert "acknowledged by 1 of 3 management team members." in text
    assert "→ post in the minutes channel: Management team minutes · meeting of Fri Dec 11, 2026" in text
    assert "… and the same to Bruno Okafor, Carmen Delacroix, Dmitri Haldane, Esther Nakamura, Felix Oyelaran" in text
    shared = "→ DM to Gwen Abernathy (CST member, Early East): Avery Lindqvist shared the management team's minutes"
    assert shared in text and "Minutes of Fri Dec 11, 2026: 2 of 6 facilitators have them" in text
    assert "(4 reminders, only to those who have not said Got it)" in text

    # Readable: mentions became names, a screenful per step, counts and the kept database at the end.
    assert not re.search(r"<@U|<!date", text)
    assert 120 <= len(lines) <= 320, len(lines)
    done = r"Done: 4 items routed, \d+ messages sent and \d+ edited in place, 3 coaching interactions logged\."
    assert re.search(done, text)
    assert f"The database is kept at {kept}" in text
    assert kept.stat().st_size > 0


def test_a_missing_roster_is_one_line(empty_dir, capsys):
    assert main(["demo", "--quiet", "--roster", "nowhere.yaml"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "cstbot demo: nowhere.yaml not found: pass --roster FILE"


def test_the_json_transcript_is_one_event_per_line(empty_dir, capsys):
    assert main(["demo", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) > 50
    assert all({"step", "actor", "action", "recipients", "text"} <= set(e) for e in events)
    assert {e["action"] for e in events} <= set(ACTIONS)
    assert events[-1]["action"] == "done" and events[-1]["text"].startswith("Done: 4 items routed")

    def find(action, text, **where):
        found = [e for e in events if e["action"] == action and text in e["text"]
                 and all(e.get(k) == v for k, v in where.items())]
        assert found, (action, text, where)
        return found[0]

    update = find("dm", "CST update · November 2026 from Uma Whitcombe")
    assert update["recipients"] == ["Victor Ashdown", "Xavier Lund", "Yolanda Price"] and update["actor"] is None
    assert "Two districts launched data teams" in update["text"] and "Requests" in update["text"]
    assert update["buttons"] == ["Acknowledge"]
    assert find("post", "CST update · November 2026")["recipients"] == ["the updates channel"]
    find("does", "clicks Acknowledge on the update", actor="Victor Ashdown")
    minutes = find("dm", "Management team minutes · meeting of Fri Dec 11, 2026")
    assert len(minutes["recipients"]) == 6 and minutes["buttons"] == ["Got it", "Share with my team"]
    assert [e["actor"] for e in events if e["action"] == "does" and e["text"] == "clicks Got it"] == [
        "Avery Lindqvist", "Bruno Okafor"]
    team = find("dm", "Avery Lindqvist shared the management team's minutes with Early East")
    assert team["recipients"] == ["Gwen Abernathy", "Hector Villanueva"]
    assert "Please hold March 2-20 for the site visits." in team["text"]
