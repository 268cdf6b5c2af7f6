"""Resolvers: who a tier or stage of the protocol means for one item, on one day.

A protocol file names people only through these ("team_facilitator", "{role: lead}", ...), so a state with a
different structure writes a different file, not different code. Every resolution says why nobody was found
(a vacant team, everyone away) so the engine can put it in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from routing.directory import Directory, Person, Role
from routing.matching import Profile, rank_candidates
from routing.protocol import ResolverName, ResolverSpec


@dataclass(frozen=True, slots=True)
class Scope:
    """What resolvers need to know about an item."""

    asker_id: int
    team_id: int | None = None
    district_id: int | None = None
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolution:
    """The available people (in order) and, when some or all are missing, why."""

    people: tuple[int, ...]
    unavailable: tuple[str, ...] = ()  # "Pat Lee is away until 2024-06-10"
    empty_reason: str = ""  # why the resolver found nobody at all ("team 'Cadre 3' has no facilitator")

    @property
    def why_nobody(self) -> str:
        reasons = [r for r in (self.empty_reason, *self.unavailable) if r]
        return "; ".join(reasons) or "nobody is listed"


_Found = tuple[tuple[Person, ...], str]  # (people in order, why there are none)


def _team_label(directory: Directory, team_id: int) -> str:
    team = directory.teams.get(team_id)
    return f"team {team.name!r}" if team else f"team {team_id}"


def _no_team_reason(directory: Directory, scope: Scope) -> str:
    district = directory.districts.get(scope.district_id) if scope.district_id is not None else None
    if district is not None:
        return f"district {district.name!r} has no team"
    return "the item has no team"


def _team_facilitator(directory: Directory, scope: Scope) -> _Found:
    if scope.team_id is None:
        return (), _no_team_reason(directory, scope)
    team = directory.teams.get(scope.team_id)
    if team is None or not team.active:
        return (), f"{_team_label(directory, scope.team_id)} is not active"
    people = directory.index.facilitators_of(scope.team_id)
    return people, "" if people else f"{_team_label(directory, scope.team_id)} has no active facilitator"


def _team_members(directory: Directory, scope: Scope) -> _Found:
    """The team's people, then the support team ("advisory resources that span across all teams")."""
    if scope.team_id is None:
        return (), _no_team_reason(directory, scope)
    team = (m.person_id for m in directory.index.team_memberships(scope.team_id))
    people = _people(directory, (*team, *(p.id for p in directory.index.holders(Role.SUPPORT))))
    return people, "" if people else f"{_team_label(directory, scope.team_id)} has nobody on it"


def _other_team_facilitators(directory: Directory, scope: Scope) -> _Found:
    people = _people(
        directory,
        (
            p.id
            for t in directory.active_teams()
            if t.id != scope.team_id
            for p in directory.index.facilitators_of(t.id)
        ),
    )
    return people, "" if people else "no other team has an active facilitator"


def _state_contacts(directory: Directory, scope: Scope) -> _Found:
    """State contacts, those listing the request's expertise first (all of them if nobody lists it)."""
    holders = directory.index.holders(Role.STATE_CONTACT)
    if not holders:
        return (), f"nobody holds the role {Role.STATE_CONTACT.value!r}"
    roles = [r for p in holders if (r := directory.index.network_role(p.id, Role.STATE_CONTACT)) is not None]
    ranked = rank_candidates(directory, (Profile.of(r) for r in roles), topics=scope.topics)
    relevant = [c.person_id for c in ranked if c.expertise_matched]
    ids = relevant or [c.person_id for c in ranked]
    return _people(directory, ids), ""


def _role_holders(role: Role) -> Callable[[Directory, Scope], _Found]:
    def resolve(directory: Directory, scope: Scope) -> _Found:
        people = directory.index.holders(role)
        return people, "" if people else f"nobody holds the role {role.value!r}"

    return resolve


def _people(directory: Directory, ids: Iterable[int]) -> tuple[Person, ...]:
    seen: dict[int, Person] = {}
    for pid in ids:
        person = directory.person(pid)
        if person is not None and person.active and pid not in seen:
            seen[pid] = person
    return tuple(seen.values())


RESOLVERS: dict[ResolverName, Callable[[Directory, Scope], _Found]] = {
    ResolverName.TEAM_FACILITATOR: _team_facilitator,
    ResolverName.TEAM_MEMBERS: _team_members,
    ResolverName.OTHER_TEAM_FACILITATORS: _other_team_facilitators,
    ResolverName.STATE_CONTACTS: _state_contacts,
}


def listed(spec: ResolverSpec, directory: Directory, scope: Scope) -> _Found:
    """Everyone the resolver names (available or not), and why there is nobody when the list is empty."""
    if spec.name is ResolverName.ROLE:
        assert spec.role is not None
        return _role_holders(spec.role)(directory, scope)
    return RESOLVERS[spec.name](directory, scope)


def resolve(
    spec: ResolverSpec, directory: Directory, scope: Scope, on: date, *, exclude: Iterable[int] = ()
) -> Resolution:
    """The people available on `on` (local date), excluding `exclude` (the asker, the owner...)."""
    people, empty_reason = listed(spec, directory, scope)
    excluded = set(exclude)
    available: list[int] = []
    unavailable: list[str] = []
    for person in people:
        if person.id in excluded:
            continue
        if person.is_available(on):
            available.append(person.id)
        else:
            unavailable.append(_unavailable_reason(person))
    if not available and not unavailable and people and not empty_reason:
        empty_reason = "only the person who asked holds it"
    return Resolution(tuple(available), tuple(unavailable), empty_reason)


def resolve_first(
    specs: Iterable[ResolverSpec], directory: Directory, scope: Scope, on: date, *, exclude: Iterable[int] = ()
) -> tuple[Resolution, tuple[tuple[ResolverSpec, Resolution], ...]]:
    """The first resolution with someone available, and the empty ones tried before it."""
    tried: list[tuple[ResolverSpec, Resolution]] = []
    exclude = tuple(exclude)
    for spec in specs:
        found = resolve(spec, directory, scope, on, exclude=exclude)
        if found.people:
            return found, tuple(tried)
        tried.append((spec, found))
    return Resolution(()), tuple(tried)


def _unavailable_reason(person: Person) -> str:
    if not person.active:
        return f"{person.label} is inactive"
    return f"{person.label} is away until {person.away_until.isoformat()}"


def profiles(
    directory: Directory, people: Iterable[int], team_id: int | None, *, support_note: str | None = None
) -> tuple[Profile, ...]:
    """Matching profiles for `people`: their membership of `team_id` (or any team), else their support-team role
    (its reason led by `support_note`), else their state-contact role."""
    result: list[Profile] = []
    for pid in people:
        memberships = directory.index.memberships_of(pid)
        chosen = next((m for m in memberships if m.team_id == team_id), memberships[0] if memberships else None)
        if chosen is not None:
            result.append(Profile.of(chosen))
        elif (role := directory.index.network_role(pid, Role.SUPPORT)) is not None:
            result.append(Profile.of(role, note=support_note))
        elif (role := directory.index.network_role(pid, Role.STATE_CONTACT)) is not None:
            result.append(Profile.of(role))
        else:
            result.append(Profile(pid))
    return tuple(result)
