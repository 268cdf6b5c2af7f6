"""Who in the whole network lists an expertise: for a training request its own team cannot meet (internal).

The CST Implementation Guide's trainer match goes "within the CST", then "across CST facilitators", then to the
state. Knowing who lists the expertise elsewhere lets the card say so plainly ("Nobody in Team North lists
Special Education"; "Emery Member, Team South") and lets the other-facilitators stage ask first the facilitators
whose teams can actually meet the need.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from routing.directory import Directory, Role
from routing.vocabulary import normalized


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """Someone outside the request's team who lists one of its topics, and where they are."""

    person_id: int
    name: str
    where: str  # "Team South", or the role's label ("CST support team member", "DESE trainer-match contact")
    topics: tuple[str, ...] = ()  # the request's topics they list
    team_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "name": self.name, "where": self.where, "topics": list(self.topics),
                "team_id": self.team_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Elsewhere:
        return cls(data["person_id"], data["name"], data["where"], tuple(data.get("topics", ())), data.get("team_id"))


def _listed(expertise: Iterable[str], topics: tuple[str, ...]) -> tuple[str, ...]:
    keys = {normalized(e) for e in expertise}
    return tuple(t for t in topics if normalized(t) in keys)


def who_lists(
    directory: Directory,
    topics: Iterable[str],
    on: date,
    *,
    exclude_team: int | None,
    labels: Mapping[Role, str],
    exclude: Iterable[int] = (),
) -> tuple[Elsewhere, ...]:
    """Everyone available on `on` outside `exclude_team` who lists one of `topics`: the other teams' people (team by
    team, roster order), then the support team, then the state contacts. Nobody when no topic is given."""
    topics = tuple(topics)
    if not topics:
        return ()
    skip = set(exclude)
    found: dict[int, Elsewhere] = {}

    def add(person_id: int, expertise: Iterable[str], where: str, team_id: int | None) -> None:
        person = directory.person(person_id)
        if person is None or not person.is_available(on) or person_id in skip or person_id in found:
            return
        if listed := _listed(expertise, topics):
            found[person_id] = Elsewhere(person_id, person.label, where, listed, team_id)

    index = directory.index  # from the expertise index: the teams that list a topic, not every team
    listed = sorted({e for topic in topics for e in index.listing.get(normalized(topic), ())}, key=lambda e: e[0])
    for _, m in listed:
        if m.team_id != exclude_team:
            add(m.person_id, m.expertise, directory.teams[m.team_id].name, m.team_id)
    for role in (Role.SUPPORT, Role.STATE_CONTACT):
        for person in directory.index.holders(role):
            network_role = directory.index.network_role(person.id, role)
            if network_role is not None:
                add(person.id, network_role.expertise, labels.get(role, role.value), None)
    return tuple(found.values())


def teams_listing(
    directory: Directory, topics: Iterable[str], on: date, *, exclude_team: int | None
) -> tuple[int, ...]:
    """The other active teams with someone available on `on` who lists one of `topics`, in roster order."""
    teams: dict[int, None] = {}
    for e in who_lists(directory, topics, on, exclude_team=exclude_team, labels={}):
        if e.team_id is not None:
            teams.setdefault(e.team_id)
    return tuple(teams)
