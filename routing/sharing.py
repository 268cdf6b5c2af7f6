"""Sharing reports and notices with the network (`/cst share`), as pure rules: who may share, and who each
audience is.

Source: CST Implementation Guide: "Written data summaries shared with DESE Learning Services, RPDC Directors,
and Area Supervisors will also be shared with CSTs"; "Data analysis and reports conducted as part of the MMD
evaluation will be shared with CSTs"; the lead facilitator evaluates "the effectiveness of internal communication
methods". The management team, the state contacts and the lead facilitators are the ones who hold such reports.
Nothing here reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Iterable

from routing.directory import Directory, Person, Role
from routing.protocol import AUDIENCE_KEYS

SHARERS = (Role.MANAGEMENT, Role.STATE_CONTACT, Role.LEAD)
# The audiences a share may reach, in the order the form lists them. The three of the summaries (AUDIENCE_KEYS:
# the roster's `audiences:`) sit between the CSTs and the management team.
FACILITATORS, MEMBERS, MANAGEMENT = "facilitators", "members", "management"
AUDIENCES = (FACILITATORS, MEMBERS, *AUDIENCE_KEYS, MANAGEMENT)
MAX_TITLE = 150  # a Block Kit header
MAX_TEXT = 3000  # one Slack text input (and one section of a message)


def can_share(directory: Directory, person_id: int) -> bool:
    return any(directory.index.network_role(person_id, role) is not None for role in SHARERS)


def _active(directory: Directory, ids: Iterable[int]) -> list[Person]:
    people = (directory.people.get(i) for i in ids)
    return [p for p in people if p is not None and p.active]


def audience_people(directory: Directory, audience: str) -> tuple[Person, ...]:
    """The active people an audience is made of, each once, in roster order."""
    if audience == FACILITATORS:
        ids = [p.id for t in directory.active_teams() for p in directory.index.facilitators_of(t.id)]
    elif audience == MEMBERS:
        ids = [m.person_id for t in directory.active_teams()
               for m in directory.index.team_memberships(t.id, role=Role.MEMBER)]
    elif audience == MANAGEMENT:
        ids = [p.id for p in directory.index.holders(Role.MANAGEMENT)]
    elif audience in AUDIENCE_KEYS:
        ids = [a.person_id for a in directory.audience_members(audience)]
    else:
        return ()
    return tuple({p.id: p for p in _active(directory, ids)}.values())


def recipients(directory: Directory, audiences: Iterable[str], *, sender_id: int) -> tuple[Person, ...]:
    """Everyone the chosen audiences reach, once each (someone in two audiences gets one message), in the order
    of AUDIENCES; the sender is left out (they wrote it)."""
    chosen = set(audiences)
    seen: dict[int, Person] = {}
    for audience in AUDIENCES:
        if audience in chosen:
            for person in audience_people(directory, audience):
                if person.id != sender_id:
                    seen.setdefault(person.id, person)
    return tuple(seen.values())
