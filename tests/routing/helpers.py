"""A small organisation and helpers shared by the routing tests (fixtures are in conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from routing.directory import AudienceMember, Directory, District, Membership, NetworkRole, Person, Role, Team
from routing.engine import decide
from routing.model import Decision, Event, EventKind, ItemKind, ItemState
from routing.protocol import Protocol
from routing.protocol_file import load_protocol

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_FILES = {
    "missouri": None,  # the shipped default
    "linked-teams": ROOT / "examples" / "protocols" / "linked-teams.yaml",
}
CT = ZoneInfo("America/Chicago")

# Monday 2024-04-08 10:00 Chicago: a plain business morning, no holiday that week in Missouri or Mississippi.
MONDAY = datetime(2024, 4, 8, 10, 0, tzinfo=CT)

# People, by id. Team A (Cadre 1) is complete, team B (Cadre 2) has a facilitator and a member, team C (Cadre 3)
# has no facilitator. Districts: Sikeston (team A), Bismarck (team C), Nowhere (no team).
FAY, MO, NIA, OTTO, BEA, LEE, LOU, MIA, SAM, SUE, ADA, DEE, DAN, NOBODY, RAY, CAL, SUP, TIM, DOT = range(1, 20)
TEAM_A, TEAM_B, TEAM_C = 100, 101, 102
SIKESTON, BISMARCK, NOWHERE = 200, 201, 202

NAMES = {
    FAY: "Fay Facilitator",
    MO: "Mo Member",
    NIA: "Nia Member",
    OTTO: "Otto Facilitator",
    BEA: "Bea Member",
    LEE: "Lee Lead",
    LOU: "Lou Lead",
    MIA: "Mia Management",
    SAM: "Sam State",
    SUE: "Sue State",
    ADA: "Ada Admin",
    DEE: "Dee District",
    DAN: "Dan District",
    NOBODY: "Nobody Anywhere",
    RAY: "Ray District",
    CAL: "Cal Member",
    SUP: "Sue Port",  # the support team: on no team
    TIM: "Tim Trainer",  # a trainer the state contact SAM can assign
    DOT: "Dot Director",  # the RPDC director of Southeast RPDC (roster audiences.rpdc_directors)
}


@cache
def protocol_named(name: str) -> Protocol:
    """A protocol by its PROTOCOL_FILES key, parsed once (a Protocol is immutable, so sharing it is safe)."""
    return load_protocol(PROTOCOL_FILES[name])


def person(pid: int, **kw) -> Person:
    return Person(pid, NAMES[pid], email=f"{NAMES[pid].split()[0].lower()}@example.org", slack_id=f"U{pid:03d}", **kw)


def org(*, away: dict[int, date] | None = None, drop: tuple[int, ...] = (), tz: dict[int, str] | None = None
        ) -> Directory:
    """The test organisation; `away` marks people away until a date, `drop` removes people entirely, `tz` gives
    people a Slack time zone (the others have none: the protocol's)."""
    away, tz = away or {}, tz or {}
    people = [replace(person(pid), away_until=away.get(pid), tz=tz.get(pid)) for pid in NAMES if pid not in drop]
    memberships = [
        Membership(FAY, TEAM_A, Role.FACILITATOR, frozenset({"Data"}), 0.5, None, "Southeast RPDC", 0.8),
        Membership(MO, TEAM_A, Role.MEMBER, frozenset({"Data", "Leadership"}), 0.5, 0.5, "Central RPDC", 0.9),
        Membership(NIA, TEAM_A, Role.MEMBER, frozenset({"Assessment"}), 0.2, None, "Southeast RPDC", None),
        Membership(OTTO, TEAM_B, Role.FACILITATOR, frozenset({"Technology"}), 0.5),
        Membership(BEA, TEAM_B, Role.MEMBER, frozenset({"Leadership"}), 0.3),
        Membership(CAL, TEAM_C, Role.MEMBER, frozenset({"Data"}), 0.3),
    ]
    roles = [
        NetworkRole(LEE, Role.LEAD),
        NetworkRole(LOU, Role.LEAD),
        NetworkRole(MIA, Role.MANAGEMENT),
        NetworkRole(SAM, Role.STATE_CONTACT, frozenset({"Data"}), 0.4, trainers=(TIM,)),
        NetworkRole(SUE, Role.STATE_CONTACT, frozenset({"Technology"}), 0.4),
        NetworkRole(ADA, Role.ADMIN),
        NetworkRole(
            SUP, Role.SUPPORT, frozenset({"Special Education", "Observation rubric"}), 0.5, "Central RPDC",
            fte_available=0.2,
        ),
    ]
    return Directory.build(
        people=people,
        teams=[Team(TEAM_A, "Cadre 1"), Team(TEAM_B, "Cadre 2"), Team(TEAM_C, "Cadre 3")],
        districts=[
            District(SIKESTON, "Sikeston R-6", TEAM_A, center="Southeast RPDC", staff=(DEE,)),
            District(BISMARCK, "Bismarck R-V", TEAM_C, center="Southeast RPDC", staff=(DAN,)),
            District(NOWHERE, "Nowhere C-1", None, staff=(RAY,)),
        ],
        memberships=[m for m in memberships if m.person_id not in drop],
        network_roles=[r for r in roles if r.person_id not in drop],
        organization="Test network",
        audiences=[AudienceMember("rpdc_directors", DOT, "Southeast RPDC")],
    )


def ask(
    directory: Directory,
    protocol: Protocol,
    asker: int,
    kind: ItemKind = ItemKind.QUESTION,
    at: datetime = MONDAY,
    **kw,
) -> Decision:
    return decide(
        None, Event(EventKind.ASKED, asker, at, item_kind=kind, text="Please help", **kw), directory, protocol
    )


def act(
    state: ItemState, directory: Directory, protocol: Protocol, kind: EventKind, actor: int | None, at=None, **kw
) -> Decision:
    return decide(state, Event(kind, actor, at or MONDAY, **kw), directory, protocol)


def tier_of(protocol: Protocol, kind: ItemKind, role: Role) -> str:
    """The tier an asker with `role` enters `kind`'s chain at."""
    return protocol.chains[kind].entry[role]


def next_tier(protocol: Protocol, kind: ItemKind, tier: str) -> str:
    chain = protocol.chains[kind]
    return chain.tiers[chain.index(tier) + 1].name
