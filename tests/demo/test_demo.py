"""`cstbot demo`: a month end to end against the local Slack stand-in, from a directory with nothing in it, under
either protocol file; and no word of one protocol shows under the other."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo.scenario import run_demo
from bot.demo.transcript import ACTIONS
from routing.protocol import Protocol
from routing.protocol_file import load_protocol

ROOT = Path(__file__).resolve().parents[2]
LINKED = ROOT / "examples" / "protocols" / "linked-teams.yaml"
# The Missouri words the issue names: under another protocol none may appear ("CST" as a word, not the time zone).
MISSOURI_WORDS = ("MMD", "DESE", "RPDC", "Collaborative Work", "CST")


@pytest.fixture
def empty_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env, no cstbot.db, no examples/: the demo finds its roster by itself
    for name in ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "CSTBOT_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def transcripts() -> dict[str, str]:
    """The month under each protocol (the linked-teams one selected as `--protocol` would)."""
    return {"missouri": "\n".join(run_demo(out=None).lines), "linked-teams": "\n".join(run_demo(
        out=None, protocol=LINKED).lines)}


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

    # The district question reaches the facilitator, goes up to the two leads (the first to take it owns it).
    avery = "→ DM to Avery Lindqvist (CST facilitator, Early East):"
    assert f"{avery} New district request for you from June Albright" in text
    assert "• Avery Lindqvist clicks Escalate on the card" in text
    assert "→ DM to Uma Whitcombe (lead facilitator): District request escalated to the lead facilitator tier" in text
    assert "… and the same to Esther Nakamura" in text and "• Uma Whitcombe clicks Take it on the card" in text
    answered = _after(lines, "→ DM to June Albright (district staff, Birchfield C-4): Uma Whitcombe answered")
    assert "Start with one grade's common assessment" in answered[1]

    # A DM to a member is sent on with the shortcut's one question, and the facilitator makes it a training request.
    assert "▢ Imani Castellanos sees the “Send to facilitator” modal" in text
    assert "✓ Sent as district request #2: it is with Bruno Okafor (CST facilitator)" in text
    assert "• Bruno Okafor clicks This is a training request" in text
    assert "1. Jonas Whitfield: expertise: Data (1 of 1); 0.3 FTE free" in text

    # The away facilitator's team goes to the leads, offered to both.
    assert "Carmen Delacroix (Developing East) is away until 15 Jan 2027" in text
    assert "is offered to Uma Whitcombe and Esther Nakamura (Lead facilitator), not ta" in text

    # Training: nobody on the team lists it; who in the network does; the team that does is asked first; the
    # state contact names one of their trainers and commits days of their allocation.
    assert "Nobody in Early East lists Early Childhood." in text and "• Kiona Redfeather, Early West" in text
    assert "[Ask other CST facilitators] [Reassign]" in text
    assert "1. Kiona Redfeather: expertise: Early Childhood (1 of 1)" in text  # Bruno's own person, on his card
    assert "→ DM to Dmitri Haldane (CST facilitator, Developing West): Can you offer a trainer?" in text  # then
    assert "→ DM to Zora Kimathi (DESE trainer-match contact): Can you offer a trainer?" in text
    matched = _after(lines, "→ DM to Opal Hensley (district staff, Alder Creek R-2): Good news: a trainer is matched")
    assert "Jasper Quill will provide the training" in matched[1]
    assert "Zora Kimathi, 2 of 110 days of Collaborative Work FTE committed for 2026-27, 108 left" in text

    # The coaching log: training is refused with the protocol's message, the reminder goes out, the month is in.
    refused = [line for line in lines if "✗ the form refuses it (type)" in line]
    assert len(refused) == 1 and "Training is not a coaching interaction" in refused[0]
    assert "DESE activity log" in refused[0]
    assert f"{avery} The Early East coaching log for November 2026 is due" in text
    assert "“Submitted”: ✓ Submitted Early East's log for November 2026: 3 interactions, on time." in text

    # The last resort: the district's center's RPDC director is told, with what was tried.
    assert "→ DM to Kendra Bishop (RPDC director, Lakeshore Center): MMD training request #5 needs Lakeshore" in text
    assert "• Other CST facilitators: asked Avery Lindqvist, Dmitri Haldane, Esther Nakamura, Felix Oyelaran" in text

    # The month's communication figures follow the summary, from the items' audit trail: both district requests
    # reached the facilitator tier and then the leads, who answered both; both training requests were matched.
    assert "(communication in November 2026, from the audit trail of the 4 items asked)" in text
    assert "(District request, Lead facilitator: 2 arrived, 2 answered there, 0 escalated by hand" in text
    assert "(training requests: 2 of 2 matched)" in text

    # The monthly loop: the lead's update up (reminder, one click, sent, acknowledged), the minutes down.
    assert "(2 reminders, one per lead facilitator; the button opens the form)" in text
    assert "• Uma Whitcombe clicks Write the update on the reminder" in text
    victor = "→ DM to Victor Ashdown (MMD management team): CST update · November 2026 from Uma Whitcombe"
    assert victor in text and "→ post in the updates channel: CST update · November 2026" in text
    assert "edited in place to show the new state: Victor Ashdown, the updates channel" in text
    assert "acknowledged by 1 of 3 MMD management team members." in text
    assert "→ post in the minutes channel: MMD management team minutes · meeting of Fri Dec 11, 2026" in text
    # Carmen is away until January: her copy waits for her first working morning back (working hours).
    assert "… and the same to Bruno Okafor, Dmitri Haldane, Esther Nakamura, Felix Oyelaran" in text
    shared = "→ DM to Gwen Abernathy (CST member, Early East): Avery Lindqvist shared the MMD management team's minutes"
    assert shared in text and "Minutes of Fri Dec 11, 2026: 2 of 6 facilitators have them" in text
    assert "(4 reminders, only to those who have not said Got it)" in text

    # Readable: mentions became names, a screenful per step, counts and the kept database at the end.
    assert not re.search(r"<@U|<!date", text)
    assert 200 <= len(lines) <= 400, len(lines)
    done = r"Done: 5 items routed, \d+ messages sent and \d+ edited in place, 3 coaching interactions logged\."
    assert re.search(done, text)
    assert f"The database is kept at {kept}" in text
    assert kept.stat().st_size > 0


def test_the_same_month_under_the_linked_teams_protocol(transcripts):
    text = transcripts["linked-teams"]
    assert "protocol: Statewide training system, linked teaming structure" in text
    assert "→ DM to Avery Lindqvist (lead regional trainer, Early East): New district request for you" in text
    assert "escalated to the State Implementation Team tier" in text and "clicks Take it" in text
    assert "Nobody in Early East lists Technology." in text and "• Jonas Whitfield, Early West" in text
    assert "[Ask other regions' lead trainers] [Reassign]" in text
    assert "state trainer allocation committed for 2026-27" in text
    assert "Trainings are recorded in the training registration system" in text
    assert "Implementation update · November 2026 from Uma Whitcombe for all State Implementation Teams" in text
    assert "State Leadership Team minutes · meeting of" in text
    assert "No trainer was found for request #5" in text  # this protocol has no last resort


def _words(protocol: Protocol) -> set[str]:
    """Every word a protocol file gives the texts: role labels, chains and tiers, stages, audiences, logs."""
    words = set(protocol.labels.values())
    words |= {c.label for c in protocol.chains.values()} | {t.label for c in protocol.chains.values() for t in c.tiers}
    if protocol.training is not None:
        training = protocol.training
        words |= {training.label, training.owner_label, training.allocation.label}
        words |= {s.label for s in training.sequence}
    words |= {a.label for a in protocol.audiences.values()} | {a.singular for a in protocol.audiences.values()}
    return words | {protocol.activity_log}


def _without_times(text: str) -> str:
    return re.sub(r"\b(AM|PM) C[SD]T\b", "", text)  # Central time, not the Coaching Support Team


@pytest.mark.parametrize(("name", "other"), [("linked-teams", "missouri"), ("missouri", "linked-teams")])
def test_no_word_of_the_other_protocol_shows(transcripts, name, other):
    protocols = {"missouri": load_protocol(), "linked-teams": load_protocol(LINKED)}
    mine, theirs = protocols[name], protocols[other]
    # The other protocol's own words: those its file has and this one's does not.
    foreign = sorted(w for w in _words(theirs) if w.lower() not in mine.text.lower())
    assert len(foreign) >= 10, foreign  # the check has words to look for
    text = _without_times(transcripts[name])
    found = [w for w in foreign if w.lower() in text.lower()]
    if name == "linked-teams":
        found += [w for w in MISSOURI_WORDS if re.search(rf"\b{re.escape(w)}\b", text)]
    assert found == [], f"the {name} demo shows {other}'s words: {found}"
    # The checker itself finds a planted word.
    assert [w for w in foreign if w.lower() in (text + " " + foreign[0]).lower()] == [foreign[0]]


def test_the_protocol_is_chosen_by_flag_then_environment(empty_dir, monkeypatch, capsys):
    chosen = []

    def fake_run(**kw):
        chosen.append(kw["protocol"])
        raise SystemExit(0)

    monkeypatch.setattr("bot.demo.scenario.run_demo", fake_run)
    for argv, env in ((["demo"], None), (["demo"], str(LINKED)), (["demo", "--protocol", "other.yaml"], str(LINKED))):
        if env:
            monkeypatch.setenv("CSTBOT_PROTOCOL", env)
        with pytest.raises(SystemExit):
            main(argv)
    assert chosen == [None, LINKED, Path("other.yaml")]


def test_a_protocol_file_with_problems_is_one_line(empty_dir, capsys):
    (empty_dir / "bad.yaml").write_text("version: x\n")
    assert main(["demo", "--quiet", "--protocol", str(empty_dir / "bad.yaml")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("cstbot demo: ") and "problem" in err


def test_the_json_transcript_is_one_event_per_line(empty_dir, capsys):
    assert main(["demo", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) > 50
    assert all({"step", "actor", "action", "recipients", "text"} <= set(e) for e in events)
    assert {e["action"] for e in events} <= set(ACTIONS)
    assert events[-1]["action"] == "done" and events[-1]["text"].startswith("Done: 5 items routed")

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
    minutes = find("dm", "MMD management team minutes · meeting of Fri Dec 11, 2026")
    # Five of the six facilitators: Carmen is away, so her copy waits for her first working morning back.
    assert len(minutes["recipients"]) == 5 and minutes["buttons"] == ["Got it", "Share with my team"]
    assert [e["actor"] for e in events if e["action"] == "does" and e["text"] == "clicks Got it"] == [
        "Avery Lindqvist", "Bruno Okafor"]
    team = find("dm", "Avery Lindqvist shared the MMD management team's minutes with Early East")
    assert team["recipients"] == ["Gwen Abernathy", "Hector Villanueva"]
    assert "Please hold March 2-20 for the site visits." in team["text"]
    # The issue 12 scenes are in the same events: the take, the conversion, the ledger, the director.
    find("does", "clicks Take it on the card", actor="Uma Whitcombe")
    find("does", "clicks This is a training request", actor="Bruno Okafor")
    find("dm", "needs Lakeshore Center: no trainer was found")


def test_a_missing_roster_is_one_line(empty_dir, capsys):
    assert main(["demo", "--quiet", "--roster", "nowhere.yaml"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "cstbot demo: nowhere.yaml not found: pass --roster FILE"
