"""The Slack message stays readable and within Slack's limits however many teams report."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.reports.summary import MESSAGE_BUDGET, render_message
from routing.audiences import readers
from routing.directory import Directory, Membership, NetworkRole, Person, Role, Team
from store.summary import MISSING, ON_TIME, Submission, Summary, Tally, TeamLine, TopicCount

CHICAGO = ZoneInfo("America/Chicago")


def summary(teams: int) -> Summary:
    lines, subs, totals = [], [], Tally()
    for i in range(teams):
        tally = Tally()
        tally.add("planning", 3, 180)
        tally.add("feedback", 1, 45)
        totals.add("planning", 3, 180)
        totals.add("feedback", 1, 45)
        lines.append(TeamLine(i, f"Zone team <{i}> & co", (f"Facilitator {i}",), tally))
        subs.append(Submission(i, f"Zone team <{i}> & co", (f"Facilitator {i}",), ON_TIME if i % 3 else MISSING,
                               "submitted" if i % 3 else "open", None, None, 4))
    return Summary(
        month="2026-03", organization="All States", due_at=datetime(2026, 4, 7, 17, tzinfo=CHICAGO),
        types=(("planning", "Planning"), ("feedback", "Providing feedback")), teams=lines, districts=[],
        totals=totals, standards=[TopicCount("Data", "standard", 7)], expertise=[], other_topics=[],
        topics_by_team={}, submissions=subs,
    )


def test_small_summary_lists_every_team():
    text = render_message(summary(3))
    assert len(text) <= MESSAGE_BUDGET
    assert "*By team*" in text and "• *Zone team &lt;2&gt; &amp; co*: 4 interactions, 3.8 h" in text
    assert "Districts, topics and submission times are in the workbook below" in text


def test_long_summary_keeps_totals_and_points_to_the_workbook():
    text = render_message(summary(870))
    assert len(text) <= MESSAGE_BUDGET
    assert "*By team*" not in text
    assert "*3480* interactions, *3262.5* hours, 870 teams" in text
    assert "• Planning: 2610 (2610.0 h)" in text
    assert ":white_check_mark: On time (580)\n" in text  # counted; the names that need action are listed
    assert ":x: Not submitted (290): Zone team &lt;0&gt; &amp; co, Zone team &lt;3&gt; &amp; co" in text
    assert " and 265 more" in text
    assert "Every team and district, the topics and the submissions are in the workbook below" in text


def test_facilitators_get_their_teams_status():
    text = render_message(summary(870), team_ids=[3, 4])
    assert "_Your team Zone team &lt;3&gt; &amp; co: log submitted" not in text  # 3 % 3 == 0: missing
    assert "_Your team Zone team &lt;3&gt; &amp; co: log not submitted yet, so it is not counted here._" in text
    assert "_Your team Zone team &lt;4&gt; &amp; co: log submitted on time. Thank you!_" in text
    assert len(text) <= MESSAGE_BUDGET


def test_recipients_channels_then_facilitators_once():
    people = [Person(1, "Pat", slack_id="UPAT"), Person(2, "Quinn"), Person(3, "Gone", slack_id="UGONE", active=False)]
    teams = [Team(10, "T1"), Team(11, "T2"), Team(12, "T3"), Team(13, "Old", active=False)]
    memberships = [
        Membership(1, 10, Role.FACILITATOR), Membership(1, 11, Role.FACILITATOR),
        Membership(2, 12, Role.FACILITATOR), Membership(3, 13, Role.FACILITATOR),
    ]
    directory = Directory.build(people=people, teams=teams, memberships=memberships)
    got = readers(directory, summaries=("C1", "C1", "C2"), audience_channels={})
    assert [(r.key, r.label, r.kinds, r.team_ids) for r in got] == [
        ("C1", "channel C1", ("summaries",), ()),
        ("C2", "channel C2", ("summaries",), ()),
        ("UPAT", "Pat", ("facilitators",), (10, 11)),
        ("", "Quinn", ("facilitators",), (12,)),  # no Slack id: reported, not sent
    ]


def test_the_support_team_gets_the_summary_like_the_teams():
    people = [Person(1, "Pat", slack_id="UPAT"), Person(4, "Sue Port", slack_id="USUP"), Person(5, "Ina")]
    directory = Directory.build(
        people=people, teams=[Team(10, "T1")], memberships=[Membership(1, 10, Role.FACILITATOR)],
        network_roles=[NetworkRole(4, Role.SUPPORT, frozenset({"Early Childhood"})), NetworkRole(5, Role.SUPPORT)],
    )
    got = readers(directory, summaries=(), audience_channels={})
    assert [(r.key, r.label, r.kinds) for r in got] == [
        ("UPAT", "Pat", ("facilitators",)),
        ("USUP", "Sue Port", ("support",)),
        ("", "Ina", ("support",)),
    ]
