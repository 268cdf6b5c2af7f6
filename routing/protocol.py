"""The communication protocol as data: the frozen `Protocol` a protocol file is validated into, and the
`ProtocolBook` of every version items started under. `routing.protocol_file` reads and validates the file
(its format is documented there and in docs/protocol-file.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from zoneinfo import ZoneInfo

from routing import vocabulary
from routing.calendar import BusinessCalendar
from routing.directory import Role
from routing.errors import ProtocolError
from routing.hours import Delivery
from routing.matching import DEFAULT_WEIGHTS
from routing.model import ItemKind

MAX_VERSION_LENGTH = 50  # protocol_snapshot.version / item.protocol_version columns

DEFAULT_ROLE_LABELS: Mapping[Role, str] = {
    Role.DISTRICT_STAFF: "District staff",
    Role.MEMBER: "Team member",
    Role.FACILITATOR: "Team facilitator",
    Role.LEAD: "Lead facilitator",
    Role.MANAGEMENT: "Management team",
    Role.STATE_CONTACT: "State contact",
    Role.ADMIN: "Admin",
    Role.SUPPORT: "Support team member",
}

# Who the monthly summaries are for (CST Implementation Guide, "CST Coaching Interaction Log": "DESE Learning
# Services, RPDC Directors, and Area Supervisors"). The roster lists the people (`audiences:`); the protocol file
# says what each audience is called.
AUDIENCE_KEYS = ("learning_services", "rpdc_directors", "area_supervisors")


SHARE_WITH = ("facilitators", "teams")  # reporting.summary.share_with


@dataclass(frozen=True, slots=True)
class Audience:
    key: str
    label: str  # "RPDC directors"
    singular: str  # "RPDC director"


DEFAULT_AUDIENCES: Mapping[str, Audience] = MappingProxyType(
    {
        "learning_services": Audience("learning_services", "Learning services", "Learning services"),
        "rpdc_directors": Audience("rpdc_directors", "Regional center directors", "Regional center director"),
        "area_supervisors": Audience("area_supervisors", "Area supervisors", "Area supervisor"),
    }
)


@dataclass(frozen=True, slots=True)
class Allocation:
    """What the state stage's trainers are committed against (Missouri: "allocated Collaborative Work FTE")."""

    label: str = "FTE allocation"
    days_per_fte: float = 220.0  # working days in one full-time year: 0.5 FTE allocated = 110 days to commit


class ResolverName(StrEnum):
    TEAM_FACILITATOR = "team_facilitator"
    TEAM_MEMBERS = "team_members"
    OTHER_TEAM_FACILITATORS = "other_team_facilitators"
    STATE_CONTACTS = "state_contacts"
    ROLE = "role"


@dataclass(frozen=True, slots=True)
class ResolverSpec:
    """Who a tier or stage means: a named resolver, or `role` holders."""

    name: ResolverName
    role: Role | None = None

    def describe(self, labels: Mapping[Role, str]) -> str:
        if self.name is ResolverName.ROLE and self.role is not None:
            return labels.get(self.role, self.role.value)
        return self.name.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    label: str
    resolver: ResolverSpec
    deadline_days: int
    remind_before_hours: float


@dataclass(frozen=True)
class Chain:
    """A chain of tiers. `tiers` is flattened: a chain that continues up another (`then`) includes its tiers."""

    kind: ItemKind
    label: str
    entry: Mapping[Role, str]
    tiers: tuple[Tier, ...]

    def index(self, name: str) -> int:
        for i, tier in enumerate(self.tiers):
            if tier.name == name:
                return i
        raise KeyError(name)

    def tier(self, name: str) -> Tier:
        return self.tiers[self.index(name)]


class StageMode(StrEnum):
    PICK = "pick"  # the owner picks one of the ranked candidates, or passes
    OFFERS = "offers"  # everyone resolved is asked at once; the first offer wins
    REFERRAL = "referral"  # the last resort: the owner brings in an outside provider (RPDC)


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    label: str
    mode: StageMode
    resolver: ResolverSpec | None  # None for the referral stage
    deadline_days: int
    remind_before_hours: float
    notify: str | None = None  # the last resort: the audience (AUDIENCE_KEYS) whose member for the district is told


@dataclass(frozen=True)
class Training:
    label: str
    owner_label: str
    owners: tuple[ResolverSpec, ...]  # the first resolver with someone available owns the request
    stages: tuple[Stage, ...]  # pick and offers stages, in order
    last_resort: Stage | None = None  # mode referral: the owner brings in an outside provider (RPDC)
    allocation: Allocation = field(default_factory=Allocation)

    @property
    def sequence(self) -> tuple[Stage, ...]:
        """Every stage in order, the last resort (if any) last."""
        return (*self.stages, self.last_resort) if self.last_resort else self.stages

    def index(self, name: str) -> int:
        """The position of stage `name` in `sequence`."""
        for i, stage in enumerate(self.sequence):
            if stage.name == name:
                return i
        raise KeyError(name)

    def stage(self, name: str) -> Stage:
        return self.sequence[self.index(name)]


@dataclass(frozen=True, slots=True)
class InteractionType:
    key: str
    label: str
    requires_description: bool = False


@dataclass(frozen=True, slots=True)
class NotCoaching:
    """An activity that is not a coaching interaction, and what to tell someone who tries to log it."""

    key: str
    label: str
    message: str


@dataclass(frozen=True, slots=True)
class StudentDataPattern:
    """Free text matching `pattern` looks like student personal data (FERPA): the log form refuses it unless
    the person confirms it holds none. `what` names it in the message ("a student ID number")."""

    name: str
    pattern: str
    what: str


# Shipped defaults, used when the protocol file has no `interactions.student_data` list.
DEFAULT_STUDENT_DATA = (
    StudentDataPattern(
        "student_id",
        r"(?i)\b(?:student|stu|mosis|state)\s*(?:id|#|number|no\.?)\s*[:#]?\s*\d{4,}|\b\d{9,10}\b",
        "a student ID number",
    ),
    StudentDataPattern(
        "date_of_birth",
        r"(?i)\b(?:dob|d\.o\.b\.?|date of birth|birth\s?date|born(?:\s+on)?)\b"
        r"\W{0,3}\w{0,10}\W{0,3}\d{1,4}[/.-]\d{1,2}",
        "a date of birth",
    ),
    StudentDataPattern(
        "student_name",
        # "student" then two capitalised words, except the usual program names ("Student Data Team")
        r"\b[Ss]tudents?\b[\s:,-]+(?:named\s+)?"
        r"(?!(?:Data|Success|Support|Services|Learning|Achievement|Council|Government|Growth|Voice|Engagement"
        r"|Information|Outcomes|Leadership|Teacher|Assistance|Handbook|Services|Body|Plan)\b)"
        r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?\s+[A-Z][a-z]+",
        "a student's full name",
    ),
)


@dataclass(frozen=True, slots=True)
class Reporting:
    log_due_days: int  # monthly coaching interaction log: business days after month end
    log_remind_days_before: int
    lead_update_due_days: int  # monthly lead facilitator update to the management team
    lead_update_label: str = "monthly update"  # what the protocol calls it ("CST update")
    # A report still missing this many business days after its due day becomes a compliance item one tier up the
    # chain (routing.compliance): a team's log goes to the lead facilitator, a lead's update to the management team.
    log_escalate_after_days: int = 3
    lead_update_escalate_after_days: int = 3
    # Who on the CSTs gets the monthly summary ("Written data summaries shared with [the audiences] will also be
    # shared with CSTs"): every facilitator, or every team member too.
    summary_share_with: str = "teams"  # SHARE_WITH


@dataclass(frozen=True)
class Protocol:
    version: str
    name: str
    source: str  # where the text came from (a path, "<snapshot>")
    text: str  # the file as written: the shell stores it by version
    timezone: ZoneInfo
    calendar: BusinessCalendar
    labels: Mapping[Role, str]
    chains: Mapping[ItemKind, Chain]
    training: Training | None
    interaction_types: tuple[InteractionType, ...]
    not_coaching: tuple[NotCoaching, ...]
    standards: tuple[str, ...]
    expertise: tuple[str, ...]
    reporting: Reporting
    matching_weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType(dict(DEFAULT_WEIGHTS)))
    student_data: tuple[StudentDataPattern, ...] = DEFAULT_STUDENT_DATA
    no_route_contacts: tuple[ResolverSpec, ...] = ()
    description: str = ""
    school_year_start: tuple[int, int] = (7, 1)  # (month, day) a school year begins: July 1 unless the file says
    audiences: Mapping[str, Audience] = field(default_factory=lambda: DEFAULT_AUDIENCES)
    activity_log: str = "the activity log"  # where what is not coaching (training) is recorded
    delivery: Delivery = field(default_factory=Delivery)  # working hours, the morning spread, what goes at once

    def audience(self, key: str) -> Audience:
        return self.audiences.get(key) or DEFAULT_AUDIENCES[key]

    def school_year(self, day: date) -> tuple[date, date]:
        """The first and last day of the school year `day` falls in."""
        month, dom = self.school_year_start
        start = date(day.year if (day.month, day.day) >= (month, dom) else day.year - 1, month, dom)
        return start, date(start.year + 1, month, dom) - timedelta(days=1)

    def school_year_label(self, day: date) -> str:
        """"2026-27" for the school year `day` falls in (one calendar year when it starts on January 1)."""
        start, end = self.school_year(day)
        return str(start.year) if start.year == end.year else f"{start.year}-{end.year % 100:02d}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def label(self, role: Role) -> str:
        return self.labels.get(role, DEFAULT_ROLE_LABELS[role])

    def words(self) -> dict[str, str]:
        """The protocol's own words for texts that are not about one item (reminders, forms, help): role labels
        by role name ("member": "CST member"), the activity log's name, and the summaries' audiences."""
        found = {role.value: self.label(role) for role in Role}
        audiences = [vocabulary.in_sentence(self.audience(key).label) for key in AUDIENCE_KEYS]
        found["activity_log"] = self.activity_log
        found["lead_update"] = self.reporting.lead_update_label
        found["protocol"] = self.name
        found["summary_audiences"] = ", ".join(audiences[:-1]) + f" and {audiences[-1]}"
        return found

    def kind_label(self, kind: ItemKind) -> str:
        if kind is ItemKind.TRAINING and self.training is not None:
            return self.training.label
        chain = self.chains.get(kind)
        return chain.label if chain else kind.value

    @cached_property
    def topics(self) -> tuple[str, ...]:
        """Standards then expertise areas, without duplicates (e.g. 'Data' is both)."""
        seen = {vocabulary.normalized(t) for t in self.standards}
        return self.standards + tuple(e for e in self.expertise if vocabulary.normalized(e) not in seen)

    @cached_property
    def _topic_index(self) -> Mapping[str, str]:
        index: dict[str, str] = {}
        for topic in self.topics:
            index.setdefault(vocabulary.normalized(topic), topic)
        return index

    def canonical_topic(self, name: str) -> str | None:
        """The topic `name` means ('data' -> 'Data'), or None."""
        return self._topic_index.get(vocabulary.normalized(name))

    @cached_property
    def _step_labels(self) -> Mapping[tuple[ItemKind, str], str]:
        labels = {(kind, t.name): t.label for kind, chain in self.chains.items() for t in chain.tiers}
        if self.training is not None:
            labels.update({(ItemKind.TRAINING, s.name): s.label for s in self.training.sequence})
        return labels

    def step_label(self, kind: ItemKind, name: str) -> str:
        """The display label of a tier (chains) or stage (training); the name itself if unknown."""
        return self._step_labels.get((kind, name), name)

    def interaction(self, key: str) -> InteractionType | None:
        return next((t for t in self.interaction_types if t.key == key), None)

    def not_coaching_activity(self, key_or_label: str) -> NotCoaching | None:
        wanted = vocabulary.normalized(key_or_label)
        return next(
            (n for n in self.not_coaching if wanted in (vocabulary.normalized(n.key), vocabulary.normalized(n.label))),
            None,
        )

    def log_due_at(self, month: str | date) -> datetime:
        """When the monthly coaching interaction log for `month` is due (end of that business day, UTC)."""
        return self.calendar.after_month_end(month, self.reporting.log_due_days)

    def log_reminder_at(self, month: str | date) -> datetime:
        days = max(0, self.reporting.log_due_days - self.reporting.log_remind_days_before)
        return self.calendar.after_month_end(month, days)

    def lead_update_due_at(self, month: str | date) -> datetime:
        return self.calendar.after_month_end(month, self.reporting.lead_update_due_days)

    def log_escalate_at(self, month: str | date) -> datetime:
        """When a team's log for `month` still missing becomes a compliance item: the start of the business day
        after the `log_escalate_after_days`-th business day past the due day (UTC)."""
        return self.calendar.morning_after_month_end(
            month, self.reporting.log_due_days + self.reporting.log_escalate_after_days + 1)

    def lead_update_escalate_at(self, month: str | date) -> datetime:
        """The same for a lead's monthly update (`lead_update_escalate_after_days`)."""
        return self.calendar.morning_after_month_end(
            month, self.reporting.lead_update_due_days + self.reporting.lead_update_escalate_after_days + 1)


class ProtocolBook:
    """Every protocol version items may have started under, and the current one.

    The shell keeps each version's text (table protocol_snapshot) and builds the book at start:
    `ProtocolBook(current, [parse_protocol(text, "<snapshot>") for text in stored])`.
    """

    def __init__(self, current: Protocol, others: Iterable[Protocol] = ()):
        self.current = current
        self._by_version: dict[str, Protocol] = {p.version: p for p in others}
        known = self._by_version.get(current.version)
        if known is not None and known.digest != current.digest:
            raise ProtocolError(
                current.source,
                [
                    f"version: {current.version!r} is already recorded with different content ({known.source}): "
                    "change `version` whenever you change the protocol"
                ],
            )
        self._by_version[current.version] = current

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self._by_version)

    def get(self, version: str) -> Protocol:
        try:
            return self._by_version[version]
        except KeyError:
            raise ProtocolError(
                "protocol book", [f"version: unknown protocol version {version!r} (known: {', '.join(self.versions)})"]
            ) from None

    def __contains__(self, version: object) -> bool:
        return version in self._by_version
