"""The coaching log service without HTTP: what the facilitator's Home section shows, and button values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.coaching_log.service import home_sections, parse_team_month, why_not_manager
from routing.coaching_log import Entry
from store import coaching_log as repo
from store.roster import import_roster, parse_yaml
from tests.e2e.conftest import MONDAY_10AM, ROSTER, make_deps
from tests.standin import SlackStandIn

DECEMBER_3RD = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # Thursday: November's log is due Mon Dec 7


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("3:2026-11", (3, "2026-11")), ("3:2026-1", None), ("x:2026-11", None), ("", None), ("3", None)],
)
def test_a_buttons_team_and_month(value, parsed):
    assert parse_team_month(value) == parsed


@pytest.fixture
def deps(engine):
    import_roster(parse_yaml(ROSTER, source="roster.yaml"), engine=engine)
    with SlackStandIn() as slack:
        yield make_deps(engine, slack)


def sections(deps, slack_id, now):
    deps.clock = lambda: now
    with deps.session() as s:
        directory = deps.directories.get(session=s)
        return home_sections(deps, s, directory, directory.by_slack_id(slack_id)), directory


def add_entry(deps, directory, author, day):
    entry = Entry(district_id=1, occurred_on=day, duration_minutes=30, interaction_type="planning")
    with deps.session(write=True) as s:
        repo.add(session=s, team_id=1, author_id=directory.by_slack_id(author).id, entry=entry, now=MONDAY_10AM)


def test_the_facilitator_sees_last_month_until_it_is_in(deps):
    found, directory = sections(deps, "UFACA0001", DECEMBER_3RD)
    add_entry(deps, directory, "UMEMA0001", date(2026, 11, 13))
    found, _ = sections(deps, "UFACA0001", DECEMBER_3RD)
    (team,) = found
    assert team["team"] == "Team A" and team["manage"]
    assert [(m["month"], m["count"], m["mine"], m["submitted"]) for m in team["months"]] == [
        ("2026-11", 1, 0, False), ("2026-12", 0, 0, False)]
    with deps.session(write=True) as s:
        repo.submit(session=s, team_id=1, month="2026-11", person_id=directory.by_slack_id("UFACA0001").id,
                    now=DECEMBER_3RD)
    (team,), _ = sections(deps, "UFACA0001", DECEMBER_3RD)
    assert [m["month"] for m in team["months"]] == ["2026-12"]  # submitted on time: nothing left to do


def test_a_member_sees_only_this_month_and_cannot_manage(deps):
    (team,), directory = sections(deps, "UMEMA0001", DECEMBER_3RD)
    assert not team["manage"] and [m["month"] for m in team["months"]] == ["2026-12"]
    assert why_not_manager(deps, directory, directory.by_slack_id("UMEMA0001"), 1)
    assert why_not_manager(deps, directory, directory.by_slack_id("UFACA0001"), 1) is None
    assert why_not_manager(deps, directory, directory.by_slack_id("UFACB0001"), 1)
