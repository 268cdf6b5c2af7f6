"""routing.communication on the hand-made month (tests/routing/communication_fixture.py): every figure exact."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from routing.calendar import business_hours_between
from routing.communication import communication, percentile
from routing.protocol_file import load_protocol
from tests.routing import communication_fixture as fx

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(scope="module")
def report():
    items, events = fx.rows()
    return communication(items, events, load_protocol(), label="March 2026", start="2026-03-01", end="2026-03-31",
                         team_names=fx.TEAMS, person_names=fx.PEOPLE)


@pytest.mark.parametrize(("key", "expected"), list(fx.EXPECTED_TIERS.items()), ids=lambda v: str(v))
def test_per_tier(report, key, expected):
    lines = {(t.chain, t.tier): t for t in report.tiers}
    assert fx.figures(lines[key]) == pytest.approx(expected)


@pytest.mark.parametrize(("team", "expected"), list(fx.EXPECTED_TEAMS.items()))
def test_per_team(report, team, expected):
    assert fx.figures({t.label: t for t in report.teams}[team]) == pytest.approx(expected)


def test_totals_redirects_and_training(report):
    assert report.items == fx.EXPECTED_ITEMS
    assert [t.label for t in report.teams] == list(fx.EXPECTED_TEAMS)  # natural order, "No team" last
    assert fx.figures(report.total) == pytest.approx(fx.EXPECTED_TOTAL)
    assert [(r.name, r.count) for r in report.redirects] == fx.EXPECTED_REDIRECTS
    assert report.redirected == 3
    assert {m.report: (m.opened, m.resolved, m.answered, m.withdrawn, m.open) for m in report.missing_reports} == \
        fx.EXPECTED_MISSING
    assert [m.label for m in report.missing_reports] == ["Coaching interaction logs", "CST updates"]
    t = report.training
    assert {s.name: (s.reached, s.matched, s.passed_by_hand, s.moved_on_by_deadline) for s in t.stages} == \
        fx.EXPECTED_STAGES
    assert (t.requests, t.matched, t.unmatched, t.withdrawn, t.open, t.median_days_to_match) == \
        pytest.approx(fx.EXPECTED_TRAINING)


def test_an_empty_period():
    report = communication([], [], load_protocol(), label="x", start="2026-03-01", end="2026-03-31",
                           team_names={}, person_names={})
    assert report.items == 0 and report.teams == [] and report.redirects == []
    assert fx.figures(report.total) == (0, 0, 0, 0, 0, 0, None, None, None)
    assert report.training.median_days_to_match is None


def _t(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (_t(16, 9), _t(16, 12), 3.0),  # the same business day
        (_t(20, 16), _t(23, 9), 2.0),  # Friday 16:00 to Monday 09:00: the weekend does not count
        (_t(20, 18), _t(21, 12), 0.0),  # after hours into Saturday
        (_t(16, 6), _t(16, 8, 30), 0.5),  # before opening counts from 08:00
        (_t(16, 12), _t(16, 9), 0.0),  # end before start
        (_t(6, 12), _t(9, 12), 9.0),  # across the DST change (March 8): wall-clock business hours
        (_t(22, 9, month=5), _t(26, 9, month=5), 9.0),  # Fri 22 May to Tue 26: Memorial Day (25th) is closed
    ],
)
def test_business_hours_between(start, end, hours):
    protocol = load_protocol()
    assert business_hours_between(start, end, CHICAGO, protocol.calendar.holidays) == pytest.approx(hours)
    assert protocol.calendar.business_hours(start, end) == pytest.approx(hours)


@pytest.mark.parametrize(("values", "pct", "expected"), [
    ([], 90, None), ([5.0], 90, 5.0), ([1, 2, 3, 4], 90, 4), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),
    ([4, 1, 3, 2], 50, 2),
])
def test_percentile_nearest_rank(values, pct, expected):
    assert percentile(values, pct) == expected
