"""The monthly loop's test network and fixture: the e2e roster plus a third team (Team C, whose facilitator has no
members), two more management team members (one without a Slack account) and the updates and minutes channels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import ROSTER, AppEnv, running_app

CHICAGO = ZoneInfo("America/Chicago")
UPDATES_CHANNEL, MINUTES_CHANNEL = "C0UPDATES1", "C0MINUTES1"
LEAD, LEAD2 = "ULEAD0001", "ULEAD0002"
MGMT, MGMT2 = "UMGMT0001", "UMGMT0002"
FAC_A, FAC_B, FAC_C = "UFACA0001", "UFACB0001", "UFACC0001"
MEM_A, MEM_A2, MEM_B = "UMEMA0001", "UMEMA0002", "UMEMB0001"


def _extend(roster: str) -> str:
    roster = roster.replace(
        "  - {email: loner@x.example, name: Lone Person, slack_id: ULONE0001}\n",
        "  - {email: loner@x.example, name: Lone Person, slack_id: ULONE0001}\n"
        "  - {email: fac.c@x.example, name: Cy Facilitator, slack_id: UFACC0001}\n"
        "  - {email: mgmt2@s.example, name: Moe Manager, slack_id: UMGMT0002}\n"
        "  - {email: mgmt3@s.example, name: Mo Offline}\n",
    )
    roster = roster.replace("\ndistricts:\n", "\n  - name: Team C\n    facilitator: fac.c@x.example\ndistricts:\n")
    roster = roster.replace("management_team: [mgmt@s.example]",
                            "management_team: [mgmt@s.example, mgmt2@s.example, mgmt3@s.example]")
    channels = f"  updates: [{UPDATES_CHANNEL}]\n  minutes: [{MINUTES_CHANNEL}]\n"
    roster = roster.replace("  summaries: [C0SUMMARY1]\n", "  summaries: [C0SUMMARY1]\n" + channels)
    assert roster.count("Team C") == 1 and UPDATES_CHANNEL in roster and "mgmt3" in roster
    return roster


LOOP_ROSTER = _extend(ROSTER)


def chicago(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO).astimezone(UTC)


@pytest.fixture
def loop_env(engine, slack) -> Iterator[AppEnv]:
    with running_app(engine, slack, LOOP_ROSTER) as env:
        yield env


def posts_to(env: AppEnv, channel: str) -> list:
    return [c for c in env.slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def updates_of(env: AppEnv, channel: str) -> list:
    """chat.update calls that edited a message in `channel` (a DM's channel is "D" + the user id)."""
    dm = "D" + channel if channel.startswith("U") else channel
    return [c for c in env.slack.calls_to("chat.update") if c.args.get("channel") == dm]
