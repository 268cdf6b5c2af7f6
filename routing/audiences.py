"""Who the monthly summary reaches, and which districts each audience member's copy opens with. Pure.

The protocol: coaching logs "will be compiled into MMD summaries for DESE Learning Services, RPDC Directors, and
Area Supervisors", and "Written data summaries shared with [them] will also be shared with CSTs". An RPDC
director's scope is the districts that name their center; an area supervisor's the districts of their region or
zone (a district's own, else its team's), or the districts the roster names. Learning services see the state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from routing.directory import AudienceMember, Directory, District, Role
from routing.protocol import AUDIENCE_KEYS

FACILITATORS, TEAMS = "facilitators", "teams"  # routing.protocol.SHARE_WITH


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


@dataclass(frozen=True, slots=True)
class Scope:
    """The districts an audience member's copy opens with."""

    label: str  # "Northgate Center", "the East region", "the New zone", "Alder Creek R-2 and Birchfield C-4"
    district_ids: tuple[int, ...]  # active districts, in id order
    team_ids: tuple[int, ...]  # the active teams serving them, in id order


@dataclass(frozen=True, slots=True)
class Reader:
    """One person or channel the summary is sent to. A person reached several ways gets one copy."""

    key: str  # a channel id, or the person's Slack user id ("" when they have none)
    label: str
    kinds: tuple[str, ...]  # "summaries", an audience key (AUDIENCE_KEYS), "facilitators", "members", "support"
    person_id: int | None = None
    team_ids: tuple[int, ...] = ()  # a facilitator's or member's teams (their copy says how their log counted)
    scopes: tuple[Scope, ...] = ()


def scope_of(directory: Directory, member: AudienceMember) -> Scope | None:
    """The districts of an audience member's center or area; None for whole-state audiences."""
    districts = [d for d in directory.districts.values() if d.active]
    if member.center:
        label, found = member.center, [d for d in districts if d.center and _key(d.center) == _key(member.center)]
    elif member.region:
        label, found = f"the {member.region} region", [d for d in districts if _area(directory, d, "region") ==
                                                         member.region]
    elif member.zone:
        label, found = f"the {member.zone} zone", [d for d in districts if _area(directory, d, "zone") == member.zone]
    elif member.districts:
        names = {_key(n) for n in member.districts}
        found = [d for d in districts if _key(d.name) in names]
        listed = [d.name for d in found] or list(member.districts)
        label = ", ".join(listed[:-1]) + f" and {listed[-1]}" if len(listed) > 1 else listed[0]
    else:
        return None
    found.sort(key=lambda d: d.id)
    teams = sorted({d.team_id for d in found if d.team_id is not None and _active_team(directory, d.team_id)})
    return Scope(label, tuple(d.id for d in found), tuple(teams))


def _area(directory: Directory, district: District, field: str) -> str | None:
    value = getattr(district, field)
    if value is None and district.team_id is not None and (team := directory.teams.get(district.team_id)):
        value = getattr(team, field)
    return value


def _active_team(directory: Directory, team_id: int) -> bool:
    team = directory.teams.get(team_id)
    return team is not None and team.active


def readers(directory: Directory, *, summaries: tuple[str, ...], audience_channels: dict[str, tuple[str, ...]],
            share_with: str = TEAMS) -> list[Reader]:
    """Everyone the month's summary goes to, each once: the summaries channels, each audience's channels, the
    audiences' members (with their scopes), every active team's facilitators, with `share_with` teams every
    member too, and the support team (on no team, their advisory resources span all teams)."""
    found: dict[str, Reader] = {}
    order: list[str] = []
    unreachable: list[Reader] = []

    def add(key: str, reader: Reader) -> None:
        if not key:
            if all(r.person_id != reader.person_id for r in unreachable):
                unreachable.append(reader)
            return
        old = found.get(key)
        if old is None:
            found[key] = reader
            order.append(key)
            return
        found[key] = Reader(key, old.label, tuple(dict.fromkeys(old.kinds + reader.kinds)), old.person_id,
                            tuple(dict.fromkeys(old.team_ids + reader.team_ids)),
                            tuple(dict.fromkeys(old.scopes + reader.scopes)))

    for c in dict.fromkeys(summaries):
        add(c, Reader(c, f"channel {c}", ("summaries",)))
    for audience in AUDIENCE_KEYS:
        for c in dict.fromkeys(audience_channels.get(audience, ())):
            add(c, Reader(c, f"channel {c}", (audience,)))
    for audience in AUDIENCE_KEYS:
        for member in directory.audience_members(audience):
            person = directory.people[member.person_id]
            scope = scope_of(directory, member)
            add(person.slack_id or "", Reader(person.slack_id or "", person.label, (audience,), person.id,
                                              scopes=(scope,) if scope else ()))
    teams_of: dict[int, list[int]] = {}
    for team in directory.active_teams():
        for person in directory.index.facilitators_of(team.id):
            teams_of.setdefault(person.id, []).append(team.id)
    for person_id, team_ids in teams_of.items():
        person = directory.people[person_id]
        add(person.slack_id or "", Reader(person.slack_id or "", person.label, ("facilitators",), person.id,
                                          tuple(team_ids)))
    if share_with == TEAMS:
        for team in directory.active_teams():
            for m in directory.team_memberships(team.id, role=Role.MEMBER):
                person = directory.people[m.person_id]
                if person.active:
                    add(person.slack_id or "", Reader(person.slack_id or "", person.label, ("members",), person.id,
                                                      (team.id,)))
    for person in directory.index.holders(Role.SUPPORT):
        add(person.slack_id or "", Reader(person.slack_id or "", person.label, ("support",), person.id))
    return [found[k] for k in order] + unreachable
