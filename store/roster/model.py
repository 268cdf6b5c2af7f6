"""The roster's two intermediate forms, shared by YAML, CSV and XLSX.

1. `RawRoster`: what a reader produced, still untyped. Records are grouped by the sheet names (`people`,
   `teams`, `members`, `districts`, `roles`, `channels`); the YAML reader flattens its nested form into the
   same records, so validation is written once. Every value carries its `Loc`.
2. `Roster`: validated, canonical values (expertise, zones, regions, roles), people referred to by their
   key (email, else Slack id). Locations never take part in equality, so a roster read from YAML equals
   the same roster read from CSV or XLSX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from routing.directory import Role
from routing.errors import CstbotError

# Sheet order: also the order problems are listed in for CSV and XLSX.
SHEETS: tuple[str, ...] = ("meta", "people", "teams", "members", "districts", "roles", "channels", "audiences")
# Sheets a CSV folder or workbook may leave out (newer than the first rosters): missing means empty.
OPTIONAL_SHEETS: frozenset[str] = frozenset({"audiences"})


@dataclass(frozen=True, slots=True)
class Loc:
    """Where a value came from: a line of a YAML file, or a row of a sheet (CSV file or XLSX worksheet)."""

    source: str  # the file as the user named it (for CSV: the sheet's own file)
    form: str = "yaml"  # "yaml" | "csv" | "xlsx"
    line: int | None = None  # YAML, 1-based
    column: int | None = None  # YAML, 1-based; syntax errors only
    sheet: str | None = None
    row: int | None = None  # 1-based, as a spreadsheet numbers it (the header is row 1)

    def __str__(self) -> str:
        if self.form == "yaml":
            if self.line is None:
                return self.source
            return f"{self.source}:{self.line}" + (f":{self.column}" if self.column is not None else "")
        where = self.source if self.form == "csv" else f"{self.source} [{self.sheet}]"
        return where if self.row is None else f"{where} row {self.row}"

    @property
    def brief(self) -> str:
        """A short back-reference for a message about another place: 'line 12', 'members row 4'."""
        if self.form == "yaml":
            return f"line {self.line}" if self.line is not None else self.source
        return f"{self.sheet} row {self.row}" if self.row is not None else str(self.sheet)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        sheet = SHEETS.index(self.sheet) if self.sheet in SHEETS else -1
        return (sheet, self.line or self.row or 0, self.column or 0)


@dataclass(frozen=True, slots=True)
class Problem:
    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


class RosterError(CstbotError):
    """A roster file with problems. Lists every problem, in file order; nothing was written."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: p.loc.sort_key)
        count = len(self.problems)
        head = f"{source}: {count} problem{'' if count == 1 else 's'}, nothing imported"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


# --- raw records -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One value as read: text, a number or date (XLSX), None, a list of cells (YAML) or a mapping (YAML)."""

    value: Any
    loc: Loc


@dataclass(slots=True)
class Record:
    loc: Loc
    cells: dict[str, Cell] = field(default_factory=dict)

    def get(self, name: str) -> Cell:
        return self.cells.get(name) or Cell(None, self.loc)


@dataclass(slots=True)
class RawRoster:
    source: str
    form: str
    organization: Cell | None = None
    records: dict[str, list[Record]] = field(default_factory=lambda: {s: [] for s in SHEETS if s != "meta"})
    problems: list[Problem] = field(default_factory=list)
    # Sheets that could not be read (missing, or missing a column): references into them are not
    # reported again as unknown.
    broken: set[str] = field(default_factory=set)

    @property
    def loc(self) -> Loc:
        return Loc(self.source, form=self.form)

    def people_section(self) -> str:
        """How to name the list of people in a message ("... is not in people:")."""
        return {"yaml": "people:", "csv": "people.csv"}.get(self.form, "the people sheet")


# --- validated roster ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonSpec:
    name: str
    email: str | None  # lower-case
    slack_id: str | None
    away_until: date | None = None
    loc: Loc = field(default=Loc("<roster>"), compare=False, repr=False)

    @property
    def key(self) -> str:
        """How the rest of the roster refers to this person."""
        return self.email or self.slack_id or ""

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else f"{self.name} ({self.slack_id})"


@dataclass(frozen=True, slots=True)
class TeamSpec:
    name: str
    zone: str | None = None
    region: str | None = None
    loc: Loc = field(default=Loc("<roster>"), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class MembershipSpec:
    team: str  # TeamSpec.name
    person: str  # PersonSpec.key
    role: Role  # Role.FACILITATOR or Role.MEMBER
    expertise: tuple[str, ...] = ()
    fte: float = 0.0
    fte_available: float | None = None
    home_center: str | None = None
    fit: float | None = None
    loc: Loc = field(default=Loc("<roster>"), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DistrictSpec:
    name: str
    team: str | None  # TeamSpec.name
    zone: str | None = None
    region: str | None = None
    center: str | None = None
    staff: tuple[str, ...] = ()  # PersonSpec.key
    loc: Loc = field(default=Loc("<roster>"), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RoleSpec:
    role: Role  # one of routing.directory.NETWORK_ROLES
    person: str  # PersonSpec.key
    position: int  # order among the holders of the role (the first lead is asked first)
    expertise: tuple[str, ...] = ()
    fte: float = 0.0
    home_center: str | None = None
    fte_available: float | None = None  # the support team only
    trainers: tuple[str, ...] = ()  # state contacts only: PersonSpec.key of the trainers they can assign
    loc: Loc = field(default=Loc("<roster>"), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AudienceSpec:
    """A member of an audience of the summaries (`audiences:`): someone in learning services, an RPDC director and
    their center, an area supervisor and their area (a region, a zone, or named districts)."""

    audience: str  # routing.protocol.AUDIENCE_KEYS
    person: str  # PersonSpec.key
    position: int  # order within the audience
    center: str | None = None  # rpdc_directors
    region: str | None = None  # area_supervisors: one of region, zone, districts
    zone: str | None = None
    districts: tuple[str, ...] = ()
    loc: Loc = field(default=Loc("<roster>"), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    purpose: str
    channel_id: str
    loc: Loc = field(default=Loc("<roster>"), compare=False, repr=False)


@dataclass(frozen=True)
class Roster:
    """A validated roster: the whole organisation as one file describes it."""

    organization: str
    people: tuple[PersonSpec, ...] = ()
    teams: tuple[TeamSpec, ...] = ()
    memberships: tuple[MembershipSpec, ...] = ()
    districts: tuple[DistrictSpec, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    channels: tuple[ChannelSpec, ...] = ()
    support: tuple[RoleSpec, ...] = ()  # the support team (role SUPPORT): on no team
    audiences: tuple[AudienceSpec, ...] = ()
    source: str = field(default="<roster>", compare=False)
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
