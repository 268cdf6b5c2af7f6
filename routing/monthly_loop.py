"""The protocol's monthly loop as pure rules: who sends the CST update up, who shares minutes down, and who
acknowledges and passes them on.

Source: CST Implementation Guide, "CST Communication Protocol": "Lead facilitator(s) will provide monthly CST
updates to the management team." "Management Team meeting minutes are shared with the CST facilitators." "The
CST facilitator is the conduit of information." Nothing here reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from routing.directory import Directory, Person, Role, Team
from routing.protocol import Protocol

# Facilitators who have not said *Got it* are reminded once, this many business days after the minutes went out.
MINUTES_REMINDER_BUSINESS_DAYS = 2
MAX_TEXT = 3000  # one Slack text input (and one section of a message)
MAX_NOTE = 1000  # a facilitator's note to their team


def is_lead(directory: Directory, person_id: int) -> bool:
    return directory.index.network_role(person_id, Role.LEAD) is not None


def is_management(directory: Directory, person_id: int) -> bool:
    return directory.index.network_role(person_id, Role.MANAGEMENT) is not None


def leads(directory: Directory) -> tuple[Person, ...]:
    """Who sends the monthly CST update: the active lead facilitators, in roster order."""
    return directory.index.holders(Role.LEAD)


def update_readers(directory: Directory) -> tuple[Person, ...]:
    """Who receives (and acknowledges) the CST update: the active management team."""
    return directory.index.holders(Role.MANAGEMENT)


def minutes_readers(directory: Directory) -> tuple[Person, ...]:
    """Who receives the management team's minutes: every active facilitator of an active team, once each."""
    seen: dict[int, Person] = {}
    for team in directory.active_teams():
        for person in directory.index.facilitators_of(team.id):
            seen.setdefault(person.id, person)
    return tuple(seen.values())


def conduit_teams(directory: Directory, person_id: int) -> tuple[Team, ...]:
    """The active teams this person facilitates: where *Share with my team* passes minutes on to."""
    return tuple(
        directory.teams[m.team_id]
        for m in directory.index.memberships_of(person_id)
        if m.role is Role.FACILITATOR and m.team_id in directory.teams
    )


def team_audience(directory: Directory, team_id: int) -> tuple[Person, ...]:
    """The team's active members (not its facilitators: they have the minutes already), in roster order."""
    people = []
    for m in directory.index.team_memberships(team_id, role=Role.MEMBER):
        person = directory.people.get(m.person_id)
        if person is not None and person.active:
            people.append(person)
    return tuple(people)


@dataclass(frozen=True, slots=True)
class SentUpdate:
    """A lead's update as far as the rules care: who sent it and whether it speaks for every lead."""

    lead_id: int
    for_all: bool


def update_covers(sent: Iterable[SentUpdate], lead_id: int) -> bool:
    """Whether the month's update is in for this lead: their own, or one another lead sent for all leads."""
    return any(u.lead_id == lead_id or u.for_all for u in sent)


def minutes_reminder_at(protocol: Protocol, sent_at: datetime) -> datetime:
    """When facilitators who have not confirmed the minutes are reminded (aware UTC)."""
    return protocol.calendar.deadline(sent_at, MINUTES_REMINDER_BUSINESS_DAYS)
