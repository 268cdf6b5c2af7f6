"""Turn a `RawRoster` (from any file form) into a validated `Roster`, collecting every problem.

Each record is converted field by field; a bad field is reported and the record is kept as far as it can
be, so one run lists all the problems of a file. Cross-record rules (references, duplicates, the role
rules of the protocol) run on what could be converted.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from routing.directory import Role
from routing.vocabulary import EXPERTISE_AREAS, REGIONS, ZONES, canonical, unknown_message
from store.directory import ChannelPurpose
from store.roster.model import (
    AudienceSpec,
    Cell,
    ChannelSpec,
    DistrictSpec,
    Loc,
    MembershipSpec,
    PersonSpec,
    Problem,
    RawRoster,
    Record,
    RoleSpec,
    Roster,
    RosterError,
    TeamSpec,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,31}$")

# Words a roles sheet (or a YAML section name) may use for each network role.
ROLE_NAMES: dict[str, Role] = {
    "lead": Role.LEAD,
    "leads": Role.LEAD,
    "lead facilitator": Role.LEAD,
    "management": Role.MANAGEMENT,
    "management team": Role.MANAGEMENT,
    "state contact": Role.STATE_CONTACT,
    "state contacts": Role.STATE_CONTACT,
    "admin": Role.ADMIN,
    "admins": Role.ADMIN,
    "support": Role.SUPPORT,
    "support team": Role.SUPPORT,
}
ROLE_ORDER = (Role.LEAD, Role.MANAGEMENT, Role.STATE_CONTACT, Role.ADMIN, Role.SUPPORT)
MEMBER_ROLES: dict[str, Role] = {"facilitator": Role.FACILITATOR, "member": Role.MEMBER}

ROLE_TITLES = {
    Role.LEAD: "a lead facilitator",
    Role.MANAGEMENT: "on the management team",
    Role.STATE_CONTACT: "a state contact",
    Role.ADMIN: "an admin",
    Role.SUPPORT: "on the support team",
}
# The audiences of the summaries this roster may list (routing.protocol.AUDIENCE_KEYS), and the scope an entry
# names: none (learning services see the whole state), its center, or its area (one of region, zone, districts).
AUDIENCES: dict[str, tuple[str, ...]] = {
    "learning_services": (),
    "rpdc_directors": ("center",),
    "area_supervisors": ("region", "zone", "districts"),
}
SCOPE_FIELDS = ("center", "region", "zone", "districts")

MAX_TEXT = 200  # names, centers: the schema's column length


def name_key(name: str) -> str:
    """Team and district names match ignoring case, spacing and punctuation ('cadre-1' is 'Cadre 1')."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


class _Checker:
    """Field converters that record a problem and return None when a value is unusable."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self._canonical: dict[tuple[str, str], str | None] = {}  # (kind, text) -> canonical name (each kind's
        # choices are the same throughout one roster)

    def error(self, loc: Loc, message: str) -> None:
        self.problems.append(Problem(loc, message))

    def warn(self, loc: Loc, message: str) -> None:
        self.warnings.append(Problem(loc, message))

    # --- scalars ------------------------------------------------------------------------------------------
    def text(self, cell: Cell, field: str, *, max_len: int = MAX_TEXT) -> str | None:
        value = cell.value
        if value.__class__ is str:  # most cells (every YAML scalar): the general path below, made short
            text = value.strip()
            if len(text) > max_len:
                self.error(cell.loc, f"{field} is longer than {max_len} characters")
                return None
            return text or None
        if value is None:
            return None
        if isinstance(value, list | dict):
            self.error(cell.loc, f"{field} must be a single value, not a {_kind(value)}")
            return None
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, datetime):
            value = value.date()
        text = (value.isoformat() if isinstance(value, date) else str(value)).strip()
        if not text:
            return None
        if len(text) > max_len:
            self.error(cell.loc, f"{field} is longer than {max_len} characters")
            return None
        return text

    def required(self, record: Record, field: str, what: str, **kw: Any) -> str | None:
        cell = record.get(field)
        value = self.text(cell, field, **kw)
        if value is None and _blank(cell):  # otherwise text() reported what is wrong with it
            self.error(record.loc, f"{what} has no {field}")
        return value

    def number(self, cell: Cell, field: str) -> float | None:
        """A share between 0 and 1 (FTE, fit)."""
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool | list | dict):
            self.error(cell.loc, f"{field} must be a number between 0 and 1")
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.error(cell.loc, f"{field} {str(value).strip()!r} is not a number")
            return None
        if not 0.0 <= number <= 1.0:
            self.error(cell.loc, f"{field} {number:g} is outside 0..1")
            return None
        return number

    def day(self, cell: Cell, field: str) -> date | None:
        value = cell.value
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = self.text(cell, field)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.error(cell.loc, f"{field} {text!r} is not a date (use YYYY-MM-DD)")
            return None

    def items(self, cell: Cell) -> list[Cell]:
        """A list: a YAML sequence, or text separated by ';' (a sheet cell)."""
        value = cell.value
        if value is None:
            return []
        if isinstance(value, list):
            out: list[Cell] = []
            for item in value:
                out.extend(self.items(item) if isinstance(item.value, str) else [item])
            return out
        if isinstance(value, str):
            return [Cell(part.strip(), cell.loc) for part in value.split(";") if part.strip()]
        return [cell]

    def vocabulary(self, cell: Cell, kind: str, choices: Iterable[str]) -> str | None:
        text = self.text(cell, kind)
        if text is None:
            return None
        try:  # a big roster names the same few areas and zones a hundred thousand times
            found = self._canonical[kind, text]
        except KeyError:
            found = self._canonical[kind, text] = canonical(text, tuple(choices))
        if found is None:
            self.error(cell.loc, unknown_message(kind, text, tuple(choices)))
        return found

    def expertise(self, cell: Cell) -> tuple[str, ...]:
        areas: list[str] = []
        for item in self.items(cell):
            area = self.vocabulary(item, "expertise area", EXPERTISE_AREAS)
            if area is not None and area not in areas:
                areas.append(area)
        return tuple(areas)


def _kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "mapping"


def _blank(cell: Cell) -> bool:
    return cell.value is None or (isinstance(cell.value, str) and not cell.value.strip())


def build(raw: RawRoster) -> Roster:
    """Validate a raw roster. Raises RosterError listing every problem (reader problems included)."""
    ck = _Checker()
    ck.problems.extend(raw.problems)
    organization = None
    if raw.organization is None:
        if not raw.problems:
            ck.error(raw.loc, "organization is missing")
    else:
        organization = ck.text(raw.organization, "organization")
        if organization is None and _blank(raw.organization):
            ck.error(raw.organization.loc, "organization is empty")

    people, refs, broken_refs = _people(ck, raw.records["people"])
    resolve = _Resolver(ck, refs, raw.people_section(), silent=broken_refs, all_silent="people" in raw.broken)
    teams, team_names, bad_team_cells = _teams(ck, raw.records["teams"])
    team_ref = _TeamRef(ck, team_names, bad_team_cells, silent="teams" in raw.broken)
    memberships, named = _memberships(ck, raw.records["members"], team_ref, resolve)
    districts = _districts(ck, raw.records["districts"], team_ref, resolve)
    roles = _roles(ck, raw.records["roles"], resolve)
    channels = _channels(ck, raw.records["channels"])
    audiences = _audiences(ck, raw.records["audiences"], resolve, districts)

    if "members" not in raw.broken:
        _facilitators(ck, teams, memberships, named)
    _role_rules(ck, memberships, districts, roles)
    _support_rules(ck, memberships, roles)
    _zone_warnings(ck, teams, districts)
    if teams and not any(r.role == Role.LEAD for r in roles):
        ck.warn(raw.loc, "no leads: facilitators' escalations have nowhere to go")

    if ck.problems:
        raise RosterError(raw.source, ck.problems)
    assert organization is not None
    return Roster(
        organization=organization,
        people=tuple(people),
        teams=tuple(teams),
        memberships=tuple(memberships),
        districts=tuple(districts),
        roles=tuple(
            sorted((r for r in roles if r.role != Role.SUPPORT), key=lambda r: (ROLE_ORDER.index(r.role), r.position))
        ),
        channels=tuple(channels),
        support=tuple(r for r in roles if r.role == Role.SUPPORT),
        audiences=tuple(audiences),
        source=raw.source,
        warnings=tuple(sorted(ck.warnings, key=lambda p: p.loc.sort_key)),
    )


# --- people ------------------------------------------------------------------------------------------------


def _people(ck: _Checker, records: list[Record]) -> tuple[list[PersonSpec], dict[str, PersonSpec], set[str]]:
    """The people; their references (email, Slack id) -> person; references of people with a problem
    (already reported, so a reference to them is not reported again)."""
    people: list[PersonSpec] = []
    refs: dict[str, PersonSpec] = {}  # email (lower-case) and slack id -> person
    broken: set[str] = set()
    for rec in records:
        name = ck.required(rec, "name", "person")
        email = ck.text(rec.get("email"), "email", max_len=320)
        if email is not None:
            email = email.lower()
            if not EMAIL.match(email):
                ck.error(rec.get("email").loc, f"email {email!r} is not an email address")
                email = None
        slack_id = ck.text(rec.get("slack_id"), "slack_id", max_len=32)
        if slack_id is not None and not SLACK_USER.match(slack_id):
            ck.error(rec.get("slack_id").loc, f"slack_id {slack_id!r} is not a Slack user id (U... or W...)")
            slack_id = None
        away = ck.day(rec.get("away_until"), "away_until")
        if email is None and slack_id is None:
            if _blank(rec.get("email")) and _blank(rec.get("slack_id")):
                who = f"person {name!r}" if name else "a person"
                ck.error(rec.loc, f"{who} needs an email or a slack_id")
            continue
        person = PersonSpec(name=name or "", email=email, slack_id=slack_id, away_until=away, loc=rec.loc)
        duplicate = False
        for field, value in (("email", email), ("slack_id", slack_id)):
            if value is None:
                continue
            if value in refs:
                ck.error(rec.get(field).loc, f"duplicate {field} {value!r} (also at {refs[value].loc.brief})")
                duplicate = True
        if duplicate or name is None:
            broken.update(v for v in (email, slack_id) if v is not None and v not in refs)
            continue
        for value in (email, slack_id):
            if value is not None:
                refs[value] = person
        people.append(person)
    return people, refs, broken


class _Resolver:
    """Person references: an email (any case) or a Slack user id, of someone listed under people."""

    def __init__(
        self, ck: _Checker, refs: dict[str, PersonSpec], section: str, *, silent: set[str], all_silent: bool
    ) -> None:
        self.ck, self.refs, self.section = ck, refs, section
        self.silent, self.all_silent = silent, all_silent

    def __call__(self, cell: Cell, field: str = "person") -> PersonSpec | None:
        text = self.ck.text(cell, field, max_len=320)
        if text is None:
            return None
        ref = text.lower() if "@" in text else text
        found = self.refs.get(ref)
        if found is None and not self.all_silent and ref not in self.silent:
            close = difflib.get_close_matches(ref, list(self.refs), n=1, cutoff=0.8)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.ck.error(cell.loc, f"{text!r} is not in {self.section}{hint}")
        return found


# --- teams and memberships -----------------------------------------------------------------------------


def _teams(ck: _Checker, records: list[Record]) -> tuple[list[TeamSpec], dict[str, TeamSpec], set[int]]:
    """The teams, by name key, and the name cells of rejected (duplicate) teams: in YAML their own
    facilitator and members point at that cell and are not reported again."""
    teams: list[TeamSpec] = []
    by_key: dict[str, TeamSpec] = {}
    rejected: set[int] = set()  # id() of the name cells
    for rec in records:
        name = ck.required(rec, "name", "team")
        zone = ck.vocabulary(rec.get("zone"), "zone", ZONES)
        region = ck.vocabulary(rec.get("region"), "region", REGIONS)
        if name is None:
            if "name" in rec.cells:
                rejected.add(id(rec.cells["name"]))
            continue
        team = TeamSpec(name=name, zone=zone, region=region, loc=rec.loc)
        if (other := by_key.get(name_key(name))) is not None:
            ck.error(rec.get("name").loc, f"duplicate team name {name!r} (also at {other.loc.brief})")
            rejected.add(id(rec.cells["name"]))
            continue
        by_key[name_key(name)] = team
        teams.append(team)
    return teams, by_key, rejected


class _TeamRef:
    """Team references by name (ignoring case and punctuation), with the closest name suggested."""

    def __init__(self, ck: _Checker, teams: dict[str, TeamSpec], rejected: set[int], *, silent: bool) -> None:
        self.ck, self.teams, self.rejected, self.silent = ck, teams, rejected, silent

    def rejected_team(self, cell: Cell) -> bool:
        """The cell is the name of a team that was itself reported (its YAML members point at it)."""
        return id(cell) in self.rejected

    def __call__(self, cell: Cell) -> TeamSpec | None:
        name = self.ck.text(cell, "team")
        if name is None:
            return None
        team = self.teams.get(name_key(name))
        if team is None and not self.silent:
            self.ck.error(cell.loc, unknown_message("team", name, [t.name for t in self.teams.values()]))
        return team


def _memberships(
    ck: _Checker, records: list[Record], team_ref: _TeamRef, resolve: _Resolver
) -> tuple[list[MembershipSpec], set[str]]:
    """The memberships, and the (keys of) teams that name a facilitator, even one with a problem."""
    out: list[MembershipSpec] = []
    named: set[str] = set()
    seen: dict[tuple[str, str], MembershipSpec] = {}
    for rec in records:
        team_cell = rec.get("team")
        if team_ref.rejected_team(team_cell):
            continue
        team = team_ref(team_cell)
        if team_cell.value is None:
            ck.error(rec.loc, "team member has no team")
        person_cell = rec.get("person")
        person = resolve(person_cell)
        if person_cell.value is None:
            ck.error(rec.loc, "team member has no person (an email or a Slack id)")
        role: Role | None = Role.MEMBER
        if not _blank(rec.get("role")):
            role = MEMBER_ROLES.get(ck.vocabulary(rec.get("role"), "team role", MEMBER_ROLES) or "")
        if role == Role.FACILITATOR and isinstance(team_cell.value, str):
            named.add(name_key(team_cell.value))
        expertise = ck.expertise(rec.get("expertise"))
        fte = ck.number(rec.get("fte"), "fte")
        available = ck.number(rec.get("fte_available"), "fte_available")
        if available is not None and available > (fte or 0.0):
            ck.error(rec.get("fte_available").loc, f"fte_available {available:g} is more than fte {fte or 0:g}")
        fit = ck.number(rec.get("fit"), "fit")
        center = ck.text(rec.get("home_center"), "home_center")
        if team is None or person is None or role is None:
            continue
        spec = MembershipSpec(
            team=team.name,
            person=person.key,
            role=role,
            expertise=expertise,
            fte=fte or 0.0,
            fte_available=available,
            home_center=center,
            fit=fit,
            loc=rec.loc,
        )
        key = (team.name, person.key)
        if (other := seen.get(key)) is not None:
            if other.role != role:
                ck.error(
                    rec.loc,
                    f"{person.key} is both facilitator and member of team {team.name!r} "
                    f"(also at {other.loc.brief}): a facilitator is not a member of their own team",
                )
            else:
                ck.error(rec.loc, f"{person.key} is listed twice in team {team.name!r} (also at {other.loc.brief})")
            continue
        seen[key] = spec
        out.append(spec)
    return out, named


def _facilitators(ck: _Checker, teams: list[TeamSpec], memberships: list[MembershipSpec], named: set[str]) -> None:
    """Every team has exactly one facilitator: the one person its members' questions go to."""
    by_team: dict[str, list[MembershipSpec]] = defaultdict(list)
    for m in memberships:
        if m.role == Role.FACILITATOR:
            by_team[m.team].append(m)
    for team in teams:
        found = by_team.get(team.name, [])
        if not found and name_key(team.name) not in named:
            ck.error(team.loc, f"team {team.name!r} has no facilitator")
        for extra in found[1:]:
            ck.error(
                extra.loc,
                f"team {team.name!r} has a second facilitator {extra.person} "
                f"(the first is {found[0].person}): a team has one facilitator",
            )


# --- districts -------------------------------------------------------------------------------------------


def _districts(ck: _Checker, records: list[Record], team_ref: _TeamRef, resolve: _Resolver) -> list[DistrictSpec]:
    out: list[DistrictSpec] = []
    by_key: dict[str, DistrictSpec] = {}
    for rec in records:
        name = ck.required(rec, "name", "district")
        team = team_ref(rec.get("team"))
        zone = ck.vocabulary(rec.get("zone"), "zone", ZONES)
        region = ck.vocabulary(rec.get("region"), "region", REGIONS)
        center = ck.text(rec.get("center"), "center")
        staff: list[str] = []
        for item in ck.items(rec.get("staff")):
            person = resolve(item, "staff")
            if person is None:
                continue
            if person.key in staff:
                ck.error(item.loc, f"{person.key} is listed twice as staff of district {name!r}")
                continue
            staff.append(person.key)
        if name is None:
            continue
        if (other := by_key.get(name_key(name))) is not None:
            ck.error(rec.get("name").loc, f"duplicate district name {name!r} (also at {other.loc.brief})")
            continue
        district = DistrictSpec(
            name=name,
            team=team.name if team else None,
            zone=zone,
            region=region,
            center=center,
            staff=tuple(staff),
            loc=rec.loc,
        )
        if rec.get("team").value is None:
            ck.warn(rec.loc, f"district {name!r} has no team: its staff's questions have no facilitator")
        by_key[name_key(name)] = district
        out.append(district)
    return out


# --- network roles and channels ------------------------------------------------------------------------


def _roles(ck: _Checker, records: list[Record], resolve: _Resolver) -> list[RoleSpec]:
    out: list[RoleSpec] = []
    seen: dict[tuple[Role, str], RoleSpec] = {}
    positions: dict[Role, int] = defaultdict(int)
    for rec in records:
        role: Role | None = None
        text = ck.text(rec.get("role"), "role")
        if text is None:
            ck.error(rec.loc, "role is missing (lead, management, state_contact or admin)")
        else:
            role = ROLE_NAMES.get(re.sub(r"[^a-z]+", " ", text.lower()).strip())
            if role is None:
                ck.error(rec.get("role").loc, unknown_message("role", text, [r.value for r in ROLE_ORDER]))
        person_cell = rec.get("person")
        person = resolve(person_cell)
        if person_cell.value is None:
            ck.error(rec.loc, "role has no person (an email or a Slack id)")
        expertise = ck.expertise(rec.get("expertise"))
        fte = ck.number(rec.get("fte"), "fte")
        center = ck.text(rec.get("home_center"), "home_center")
        available = _support_fte(ck, rec, role, fte)
        trainers = _trainers(ck, rec, role, person, resolve)
        if role is None or person is None:
            continue
        if (other := seen.get((role, person.key))) is not None:
            ck.error(rec.loc, f"{person.key} is listed twice as {role.value} (also at {other.loc.brief})")
            continue
        spec = RoleSpec(
            role=role,
            person=person.key,
            position=positions[role],
            expertise=expertise,
            fte=fte or 0.0,
            home_center=center,
            fte_available=available,
            trainers=trainers,
            loc=rec.loc,
        )
        positions[role] += 1
        seen[(role, person.key)] = spec
        out.append(spec)
    return out


def _support_fte(ck: _Checker, rec: Record, role: Role | None, fte: float | None) -> float | None:
    """`fte_available` of a support team entry (the unassigned share of its FTE, at most the FTE)."""
    cell = rec.get("fte_available")
    available = ck.number(cell, "fte_available")
    if available is None:
        return None
    if role is not None and role != Role.SUPPORT:
        ck.error(cell.loc, "fte_available is for support team entries only (a team member's is on the team)")
        return None
    if available > (fte or 0.0):
        ck.error(cell.loc, f"fte_available {available:g} is more than fte {fte or 0:g}")
        return None
    return available


def _trainers(
    ck: _Checker, rec: Record, role: Role | None, person: PersonSpec | None, resolve: _Resolver
) -> tuple[str, ...]:
    """`trainers` of a state contact: people listed under people:, whom the contact can assign (besides
    themselves, whom they can always offer)."""
    cell = rec.get("trainers")
    items = ck.items(cell)
    if not items:
        return ()
    if role is not None and role != Role.STATE_CONTACT:
        ck.error(cell.loc, "trainers are for state contacts only (whom a state contact can assign)")
        return ()
    found: list[str] = []
    for item in items:
        trainer = resolve(item, "trainer")
        if trainer is None:
            continue
        if person is not None and trainer.key == person.key:
            ck.warn(item.loc, f"{trainer.key} lists themself as a trainer: a state contact can always offer themself")
            continue
        if trainer.key in found:
            ck.error(item.loc, f"{trainer.key} is listed twice as a trainer")
            continue
        found.append(trainer.key)
    return tuple(found)


def _audiences(
    ck: _Checker, records: list[Record], resolve: _Resolver, districts: list[DistrictSpec]
) -> list[AudienceSpec]:
    """`audiences:` entries: a known audience, someone listed under people:, and its scope: an RPDC director's
    center (one that a district names), an area supervisor's region, zone or districts (one of the three; a
    region or zone from the vocabulary, districts the roster lists), each matched ignoring case and punctuation
    and, when unknown, named with the closest valid one. A person may be in several audiences."""
    centers: dict[str, str] = {}
    for d in districts:
        if d.center:
            centers.setdefault(name_key(d.center), d.center)
    district_names = {name_key(d.name): d.name for d in districts}
    out: list[AudienceSpec] = []
    seen: dict[tuple, AudienceSpec] = {}
    positions: dict[str, int] = defaultdict(int)
    unknown: set[int] = set()  # audience cells reported once (a YAML audience's entries share its name's cell)
    for rec in records:
        cell = rec.get("audience")
        audience = None if id(cell) in unknown else ck.vocabulary(cell, "audience", AUDIENCES)
        if audience is None:
            unknown.add(id(cell))
        if _blank(rec.get("audience")):
            ck.error(rec.loc, f"audience entry has no audience ({', '.join(AUDIENCES)})")
        person = resolve(rec.get("person"))
        if _blank(rec.get("person")):
            ck.error(rec.loc, "audience entry has no person (an email or a Slack id)")
        given = [f for f in SCOPE_FIELDS if not _blank(rec.get(f))]
        scope: dict[str, Any] = {}
        ok = audience is not None
        if audience is not None:
            allowed = AUDIENCES[audience]
            needs = ("the center it directs (center:)" if allowed == ("center",)
                     else "its area: one of region:, zone: or districts:" if allowed
                     else "no scope: they see the whole state")
            for f in given:
                if f not in allowed:
                    ck.error(rec.get(f).loc, f"an entry of {audience} has no {f} ({needs})")
                    ok = False
            mine = [f for f in given if f in allowed]
            if allowed and not mine:
                if ok:
                    ck.error(rec.loc, f"an entry of {audience} needs {needs}")
                ok = False
            elif len(mine) > 1:
                ck.error(rec.loc, f"an entry of {audience} names one of {', '.join(allowed)}, not "
                                  f"{' and '.join(mine)}")
                ok = False
            elif mine:
                value = _scope(ck, rec, mine[0], centers, district_names)
                ok = ok and value is not None
                scope[mine[0]] = value
        if not ok or audience is None or person is None:
            continue
        key = (audience, person.key, tuple(sorted((k, str(v)) for k, v in scope.items())))
        if (other := seen.get(key)) is not None:
            ck.error(rec.loc, f"{person.key} is listed twice in {audience} (also at {other.loc.brief})")
            continue
        spec = AudienceSpec(audience=audience, person=person.key, position=positions[audience],
                            center=scope.get("center"), region=scope.get("region"), zone=scope.get("zone"),
                            districts=tuple(scope.get("districts") or ()), loc=rec.loc)
        positions[audience] += 1
        seen[key] = spec
        out.append(spec)
    return out


def _scope(
    ck: _Checker, rec: Record, field: str, centers: dict[str, str], district_names: dict[str, str]
) -> Any:
    """An audience entry's scope value, canonical, or None (reported) when it names nothing the roster knows."""
    cell = rec.get(field)
    if field == "region":
        return ck.vocabulary(cell, "region", REGIONS)
    if field == "zone":
        return ck.vocabulary(cell, "zone", ZONES)
    if field == "center":
        center = ck.text(cell, "center")
        if center is None:
            return None
        if name_key(center) not in centers:
            ck.error(cell.loc, f"{unknown_message('center', center, sorted(centers.values()))} "
                               "(the centers the districts name)")
            return None
        return centers[name_key(center)]
    found: list[str] = []
    bad = False
    for item in ck.items(cell):
        name = ck.text(item, "district")
        if name is None:
            continue
        district = district_names.get(name_key(name))
        if district is None:
            close = difflib.get_close_matches(name_key(name), list(district_names), n=1, cutoff=0.6)
            hint = f"did you mean {district_names[close[0]]!r}?" if close else "not in districts:"
            ck.error(item.loc, f"unknown district {name!r}: {hint}")
            bad = True
        elif district in found:
            ck.error(item.loc, f"district {district!r} is listed twice")
            bad = True
        else:
            found.append(district)
    return None if bad or not found else tuple(found)


def _channels(ck: _Checker, records: list[Record]) -> list[ChannelSpec]:
    out: list[ChannelSpec] = []
    seen: dict[tuple[str, str], ChannelSpec] = {}
    purposes = [p.value for p in ChannelPurpose]
    for rec in records:
        purpose = ck.vocabulary(rec.get("purpose"), "channel purpose", purposes)
        if rec.get("purpose").value is None:
            ck.error(rec.loc, "channel has no purpose")
        channel = ck.text(rec.get("channel"), "channel", max_len=32)
        if channel is None:
            ck.error(rec.loc, "channel has no channel id")
        elif not SLACK_CHANNEL.match(channel):
            ck.error(rec.get("channel").loc, f"channel {channel!r} is not a Slack channel id (C... or G...)")
            channel = None
        if purpose is None or channel is None:
            continue
        if (other := seen.get((purpose, channel))) is not None:
            ck.error(rec.loc, f"channel {channel} is listed twice for {purpose} (also at {other.loc.brief})")
            continue
        spec = ChannelSpec(purpose=purpose, channel_id=channel, loc=rec.loc)
        seen[(purpose, channel)] = spec
        out.append(spec)
    return out


# --- the protocol's role rules ---------------------------------------------------------------------------


def _role_rules(
    ck: _Checker, memberships: list[MembershipSpec], districts: list[DistrictSpec], roles: list[RoleSpec]
) -> None:
    """Who may hold what, so every question has exactly one next tier.

    1. District staff hold no CST or network role: they are the CST's clients.
    2. A facilitator is not also a member of the same team (checked where memberships are read).
    3. A member belongs to one team, so their questions have one facilitator.
    4. A lead facilitator may facilitate a team but is not a plain member of one.
    """
    staff_at: dict[str, DistrictSpec] = {}
    for d in districts:
        for key in d.staff:
            staff_at.setdefault(key, d)
    leads = {r.person: r for r in roles if r.role == Role.LEAD}
    member_of: dict[str, MembershipSpec] = {}
    for m in memberships:
        if m.person in staff_at:
            d = staff_at[m.person]
            ck.error(
                m.loc,
                f"{m.person} is staff of district {d.name!r} ({d.loc.brief}) and {m.role.value} of team "
                f"{m.team!r}: district staff may not hold a CST or network role",
            )
        if m.role != Role.MEMBER:
            continue
        if (first := member_of.get(m.person)) is not None:
            ck.error(
                m.loc,
                f"{m.person} is a member of team {first.team!r} ({first.loc.brief}) and of team {m.team!r}: "
                "a member belongs to one team, so their questions have one facilitator",
            )
        else:
            member_of[m.person] = m
        if m.person in leads:
            ck.error(
                m.loc,
                f"{m.person} is a lead facilitator ({leads[m.person].loc.brief}) and a member of team "
                f"{m.team!r}: a lead may facilitate a team but not be a plain member",
            )
    for r in roles:
        if r.person in staff_at:
            d = staff_at[r.person]
            ck.error(
                r.loc,
                f"{r.person} is staff of district {d.name!r} ({d.loc.brief}) and {ROLE_TITLES[r.role]}: "
                "district staff may not hold a CST or network role",
            )


def _support_rules(ck: _Checker, memberships: list[MembershipSpec], roles: list[RoleSpec]) -> None:
    """The support team belongs to no team: its advisory resources span all teams."""
    on_team = {m.person: m for m in memberships}
    for r in roles:
        if r.role == Role.SUPPORT and (m := on_team.get(r.person)) is not None:
            ck.error(
                r.loc,
                f"{r.person} is on the support team and {m.role.value} of team {m.team!r} ({m.loc.brief}): "
                "the support team belongs to no team (it is a candidate for every team)",
            )


def _zone_warnings(ck: _Checker, teams: list[TeamSpec], districts: list[DistrictSpec]) -> None:
    by_name = {t.name: t for t in teams}
    for d in districts:
        team = by_name.get(d.team or "")
        if team is None:
            continue
        for field in ("zone", "region"):
            mine, theirs = getattr(d, field), getattr(team, field)
            if mine and theirs and mine != theirs:
                ck.warn(d.loc, f"district {d.name!r} is in {field} {mine} but team {team.name!r} works {theirs}")
