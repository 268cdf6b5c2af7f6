"""A hand-made month of coaching interaction logs (March 2026), inserted row by row with store.models.

Teams A-D are active, E is not. A submitted on time, B late, C left its log open, D never started one.
Entries: A has three live ones (and a deleted one, and one in April), B two, C one (never counted in the
summary, still exported), with formula-looking text in C's entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from routing.protocol_file import load_protocol
from store import models
from store.db import session_scope

MONTH = "2026-03"
ON_TIME_AT = datetime(2026, 4, 3, 15, 0, tzinfo=UTC)  # due 2026-04-07 17:00 CDT (22:00 UTC)
LATE_AT = datetime(2026, 4, 9, 14, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Month:
    engine: Engine
    ids: dict[str, int]


@pytest.fixture(scope="session")
def protocol():
    return load_protocol()


def build_month(engine: Engine) -> dict[str, int]:
    ids: dict[str, int] = {}
    with session_scope(engine, write=True) as s:
        s.add(models.Meta(key="organization", value="Test Network"))
        people = {
            "fa": ("Ann Facil", "UFA000001"),
            "fb": ("Bob Facil", "UFB000001"),
            "fc": ("Cat Facil", "UFC000001"),
            "fd": ("Dan Facil", "UFD000001"),
            "mem": ("Mo Member", "UMEM00001"),
            "fe": ("Eve Former", "UFE000001"),
        }
        for key, (name, slack) in people.items():
            row = models.Person(name=name, email=f"{key}@example.org", slack_id=slack)
            s.add(row)
            s.flush()
            ids[key] = row.id
        for key in "ABCDE":
            row = models.Team(name=f"Team {key}", active=key != "E")
            s.add(row)
            s.flush()
            ids[key] = row.id
        for team, fac in (("A", "fa"), ("B", "fb"), ("C", "fc"), ("D", "fd"), ("E", "fe")):
            s.add(models.TeamMembership(team_id=ids[team], person_id=ids[fac], role="facilitator"))
        s.add(models.TeamMembership(team_id=ids["A"], person_id=ids["mem"], role="member"))
        for name, team in (("Dist One", "A"), ("Dist Two", "A"), ("Dist Three", "B"), ("Dist Four", "C"),
                           ("Dist Five", "D")):
            row = models.District(name=name, team_id=ids[team])
            s.add(row)
            s.flush()
            ids[name] = row.id
        s.add(models.Channel(purpose="summaries", channel_id="C0SUMMARY1"))
        s.add(models.Channel(purpose="minutes", channel_id="C0MINUTES1"))
        s.add(models.Channel(purpose="summaries", channel_id="C0OLDSUMM1", active=False))
        s.add(models.LogMonth(team_id=ids["A"], month=MONTH, status="submitted", submitted_at=ON_TIME_AT,
                              submitted_by=ids["fa"]))
        s.add(models.LogMonth(team_id=ids["B"], month=MONTH, status="submitted", submitted_at=LATE_AT,
                              submitted_by=ids["fb"]))
        s.add(models.LogMonth(team_id=ids["C"], month=MONTH, status="open"))

        def entry(key: str, team: str, district: str, day: date, minutes: int, kind: str, **kw) -> None:
            row = models.Interaction(
                team_id=ids[team], month=f"{day:%Y-%m}", district_id=ids[district], occurred_on=day,
                duration_minutes=minutes, interaction_type=kind, author_id=ids[kw.pop("author", "fa")], **kw,
            )
            s.add(row)
            s.flush()
            ids[key] = row.id

        entry("a1", "A", "Dist One", date(2026, 3, 2), 60, "planning", participants="Principal, 2 coaches",
              members_present=[ids["fa"], ids["mem"]], topics=["Data", "Learning Communities"],
              resources="DBDM worksheet", comments="Good start", author="mem")
        entry("a2", "A", "Dist One", date(2026, 3, 5), 30, "discussing_data", members_present=[ids["fa"]],
              topics=["data"], participants="Data team")
        entry("a3", "A", "Dist Two", date(2026, 3, 10), 90, "unsure", description="School board work session",
              topics=["Budget"], participants="Board")
        entry("a_deleted", "A", "Dist Two", date(2026, 3, 12), 45, "planning",
              deleted_at=datetime(2026, 3, 13, tzinfo=UTC))
        entry("a_april", "A", "Dist One", date(2026, 4, 1), 20, "planning")
        entry("b1", "B", "Dist Three", date(2026, 3, 3), 120, "feedback", topics=["Leadership"], author="fb",
              members_present=[ids["fb"]])
        entry("b2", "B", "Dist Three", date(2026, 3, 20), 60, "feedback", author="fb",
              topics=["Leadership", "Implementation", "Special Education", "leadership"])
        entry("c1", "C", "Dist Four", date(2026, 3, 4), 30, "sharing", author="fc",
              participants="=cmd|' /C calc'!A0", comments="@SUM(1,2)", resources="-2+3", description="",
              topics=["+Other"])
    return ids


@pytest.fixture
def month(engine) -> Month:
    return Month(engine, build_month(engine))
