"""The communication protocol as data: a YAML file, validated into a frozen `Protocol`.

The shipped default is `routing/protocols/missouri-cst.yaml` (the "CST Implementation Guide",
section "CST Communication Protocol"); `examples/protocols/linked-teams.yaml`
is another state's chain on the same engine. The format, in short (see the shipped file for every key):

    version: "missouri-cst-2017.1"      # recorded on every item; bump it when you change anything
    name, source                       # free text
    timezone: America/Chicago
    calendar: {country: US, subdivision: MO, business_hours: {start: "08:00", end: "17:00"}, closed: [dates]}
    labels: {facilitator: CST facilitator, lead: Lead facilitator, ...}     # display names of roles
    defaults: {remind_before_hours: 4}
    chains:                            # question, update, district (and compliance: optional)
      question:
        label: Question
        entry: {member: facilitator, facilitator: lead, lead: management}    # asker role -> first tier
        tiers:
          - {name: facilitator, resolver: team_facilitator, deadline_days: 2}
          - {name: lead, role: lead, deadline_days: 2, remind_before_hours: 4}
          - {name: management, role: management, deadline_days: 5}
      district:
        entry: {district_staff: facilitator}
        tiers: [{name: facilitator, resolver: team_facilitator, deadline_days: 1}]
        then: {chain: question, tier: lead}  # continue up another chain from one of its tiers
    training:
      owner: {label: CST facilitator, resolvers: [team_facilitator, {role: lead}]}
      stages:                          # mode: pick (owner picks a ranked candidate) | offers (first offer wins)
        - {name: own_team, mode: pick, resolver: team_members, deadline_days: 3}
        - {name: other_teams, mode: offers, resolver: other_team_facilitators, deadline_days: 3}
        - {name: state, mode: offers, resolver: state_contacts, deadline_days: 5}
      last_resort: {name: rpdc, label: RPDC, deadline_days: 10, notify: rpdc_directors}  # optional
      allocation: {label: Collaborative Work FTE, days_per_fte: 220}  # what state contacts commit against
    matching: {weights: {expertise: 4, fte: 2, location: 1, fit: 2}}
    no_route: {contacts: [{role: lead}, {role: admin}]}
    interactions: {types: [{key, label, requires_description}], not_coaching: [{key, label, message}],
                   student_data: [{name, pattern, what}],    # FERPA screen of log free text; default: shipped
                   activity_log: DESE activity log system}   # where what is not coaching is recorded
    audiences: {learning_services: DESE Learning Services,    # what the summaries' audiences are called
                rpdc_directors: {label: RPDC directors, singular: RPDC director}, area_supervisors: ...}

    topics: {standards: default, expertise: default}                          # or lists
    reporting: {log: {due_business_days_after_month_end: 5, remind_business_days_before: 2,
                      escalate_after_days: 3},       # still missing 3 business days after: the lead's item
                lead_update: {due_business_days_after_month_end: 10, label: CST update,
                              escalate_after_days: 3},  # the management team's item
                summary: {share_with: teams}}     # or facilitators: which CST people get the monthly summary
    delivery: {working_hours: true, spread_minutes: 20, at_once: [urgent]}  # pushes wait for working hours

A report still missing `escalate_after_days` after its due day becomes a compliance item (routing.compliance)
routed on `chains.compliance` when the file has one (its `entry` must name the facilitator and lead tiers: where a
team's log and a lead's update go), else on the question chain under the label "Missing report".

Resolvers: `team_facilitator` (the item's team's facilitator), `team_members` (everyone on the item's team,
and the support team, whose advisory resources span all teams),
`other_team_facilitators`, `state_contacts` (state trainer-match contacts listing the request's expertise, all
of them when none does), and `{role: ROLE}` (holders of a network role in roster order). Every problem in a
file is reported at once, with its path: "chains.question.tiers[1].role: unknown role 'leed': did you mean 'lead'?".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import yaml

from routing import vocabulary
from routing.calendar import BusinessCalendar, HolidayCalendar
from routing.directory import Role
from routing.errors import ProtocolError
from routing.hours import DEFAULT_SPREAD_MINUTES, URGENCIES, Delivery
from routing.matching import DEFAULT_WEIGHTS
from routing.model import ItemKind
from routing.protocol import (
    AUDIENCE_KEYS,
    DEFAULT_AUDIENCES,
    DEFAULT_ROLE_LABELS,
    DEFAULT_STUDENT_DATA,
    MAX_VERSION_LENGTH,
    SHARE_WITH,
    Allocation,
    Audience,
    Chain,
    InteractionType,
    NotCoaching,
    Protocol,
    Reporting,
    ResolverName,
    ResolverSpec,
    Stage,
    StageMode,
    StudentDataPattern,
    Tier,
    Training,
)

DEFAULT_PROTOCOL = "missouri-cst.yaml"
DEFAULT_ESCALATE_AFTER_DAYS = 3  # reporting.*.escalate_after_days
# A month's reports are checked during the month after it: every month has at least this many business days.
LATEST_ESCALATION_DAY = 15
COMPLIANCE_LABEL = "Missing report"  # a compliance item's kind, when the file has no `chains.compliance`


# --- loading --------------------------------------------------------------------------------------------------


def default_protocol_text() -> tuple[str, str]:
    """The shipped default protocol: (text, source)."""
    ref = resources.files("routing.protocols").joinpath(DEFAULT_PROTOCOL)
    return ref.read_text(encoding="utf-8"), f"routing/protocols/{DEFAULT_PROTOCOL}"


def load_protocol(path: str | Path | None = None) -> Protocol:
    """Load and validate a protocol file; None loads the shipped default."""
    if path is None:
        text, source = default_protocol_text()
        return parse_protocol(text, source)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    return parse_protocol(text, str(path))


def parse_protocol(text: str, source: str) -> Protocol:
    """Parse and validate protocol text. Raises ProtocolError listing every problem found."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProtocolError(source, [f"{where}: not valid YAML: {problem}"]) from None
    parser = _Parser(source, text)
    protocol = parser.protocol(data)
    if parser.problems or protocol is None:
        raise ProtocolError(source, parser.problems or ["the file is empty"])
    return protocol


# --- the parser -----------------------------------------------------------------------------------------------

_ROLE_NAMES = tuple(r.value for r in Role)
_CHAIN_KINDS = tuple(k.value for k in ItemKind if k is not ItemKind.TRAINING)
_PLAIN_RESOLVERS = tuple(r.value for r in ResolverName if r is not ResolverName.ROLE)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


class _Parser:
    """Reads the YAML tree, collecting every problem with its path instead of stopping at the first."""

    def __init__(self, source: str, text: str):
        self.source = source
        self.text = text
        self.problems: list[str] = []
        self.labels: dict[Role, str] = dict(DEFAULT_ROLE_LABELS)
        self.remind_default = 4.0
        self.school_year_start = (7, 1)
        self.activity_log = "the activity log"

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}" if path else message)

    # --- primitives ---------------------------------------------------------------------------------------

    def mapping(
        self,
        node: Any,
        path: str,
        *,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
        open_keys: bool = False,
    ) -> dict:
        """`node` as a dict, reporting a non-mapping, unknown keys (unless open_keys) and missing required keys."""
        required, optional = tuple(required), tuple(optional)
        if node is None and not required:
            return {}
        if not isinstance(node, dict):
            self.add(path, f"must be a mapping (key: value lines), got {_kind(node)}")
            return {}
        allowed = required + optional
        for key in node:
            if not open_keys and str(key) not in allowed:
                self.add(_join(path, str(key)), vocabulary.unknown_message("key", str(key), allowed))
        for key in required:
            if key not in node:
                self.add(_join(path, key), "missing")
        return node

    def sequence(self, node: Any, path: str, *, allow_empty: bool = False) -> list:
        if not isinstance(node, list):
            self.add(path, f"must be a list, got {_kind(node)}")
            return []
        if not node and not allow_empty:
            self.add(path, "must not be empty")
        return node

    def string(self, node: Any, path: str, *, default: str | None = None) -> str:
        if node is None and default is not None:
            return default
        if not isinstance(node, str) or not node.strip():
            hint = " (quote it)" if isinstance(node, int | float) else ""
            self.add(path, f"must be a non-empty string, got {_kind(node)}{hint}")
            return default or ""
        return node.strip()

    def integer(self, node: Any, path: str, *, minimum: int, what: str) -> int:
        if isinstance(node, bool) or not isinstance(node, int) or node < minimum:
            self.add(path, f"must be a whole number >= {minimum} ({what}), got {node!r}")
            return minimum
        return node

    def number(self, node: Any, path: str, *, minimum: float, default: float) -> float:
        if node is None:
            return default
        if isinstance(node, bool) or not isinstance(node, int | float) or node < minimum:
            self.add(path, f"must be a number >= {minimum:g}, got {node!r}")
            return default
        return float(node)

    def role(self, node: Any, path: str) -> Role | None:
        if not isinstance(node, str):
            self.add(path, f"must be a role name, got {_kind(node)}")
            return None
        try:
            return Role(node)
        except ValueError:
            self.add(path, vocabulary.unknown_message("role", node, _ROLE_NAMES))
            return None

    def clock(self, node: Any, path: str, default: time) -> time:
        if node is None:
            return default
        if isinstance(node, int) and not isinstance(node, bool):  # YAML 1.1 reads 8:00 as 480 (minutes)
            node = f"{node // 60:02d}:{node % 60:02d}"
        try:
            return time.fromisoformat(str(node))
        except ValueError:
            self.add(path, f'must be a time of day such as "08:00", got {node!r}')
            return default

    def resolver(self, node: Any, path: str) -> ResolverSpec | None:
        if isinstance(node, dict):
            spec = self.mapping(node, path, required=("role",))
            role = self.role(spec.get("role"), _join(path, "role")) if "role" in spec else None
            return ResolverSpec(ResolverName.ROLE, role) if role else None
        if isinstance(node, str):
            if node in _PLAIN_RESOLVERS:
                return ResolverSpec(ResolverName(node))
            if node in _ROLE_NAMES:
                self.add(path, f"unknown resolver {node!r}: write {{role: {node}}} for holders of that role")
                return None
            self.add(path, vocabulary.unknown_message("resolver", node, (*_PLAIN_RESOLVERS, "{role: ...}")))
            return None
        self.add(path, f"must be a resolver name or {{role: ...}}, got {_kind(node)}")
        return None

    def tier_resolver(self, node: dict, path: str) -> ResolverSpec | None:
        """A tier names its people with `resolver: NAME` or the shorthand `role: ROLE`."""
        if "resolver" in node and "role" in node:
            self.add(path, "give either `resolver` or `role`, not both")
            return None
        if "role" in node:
            role = self.role(node["role"], _join(path, "role"))
            return ResolverSpec(ResolverName.ROLE, role) if role else None
        if "resolver" in node:
            return self.resolver(node["resolver"], _join(path, "resolver"))
        self.add(_join(path, "resolver"), "missing: who this tier is (a resolver such as team_facilitator, or role:)")
        return None

    def label_for(self, spec: ResolverSpec | None, name: str) -> str:
        if spec is not None and spec.role is not None:
            return self.labels[spec.role]
        if spec is not None and spec.name is ResolverName.TEAM_FACILITATOR:
            return self.labels[Role.FACILITATOR]
        return name.replace("_", " ").capitalize()

    def deadline(self, node: dict, path: str) -> tuple[int, float]:
        if "deadline_days" not in node:
            self.add(
                _join(path, "deadline_days"),
                "missing: how many business days this step has before it moves on (a deadline is required)",
            )
            days = 1
        else:
            days = self.integer(node["deadline_days"], _join(path, "deadline_days"), minimum=1, what="business days")
        hours = self.number(
            node.get("remind_before_hours"), _join(path, "remind_before_hours"), minimum=0, default=self.remind_default
        )
        return days, hours

    # --- sections ---------------------------------------------------------------------------------------------

    def protocol(self, data: Any) -> Protocol | None:
        if data is None:
            return None
        root = self.mapping(
            data,
            "",
            required=("version", "name", "timezone", "chains", "interactions", "reporting"),
            optional=(
                "source",
                "description",
                "calendar",
                "labels",
                "defaults",
                "training",
                "matching",
                "no_route",
                "topics",
                "audiences",
                "delivery",
            ),
        )
        if not root:
            return None
        version = self.string(root.get("version"), "version")
        if len(version) > MAX_VERSION_LENGTH:
            self.add("version", f"must be at most {MAX_VERSION_LENGTH} characters")
        name = self.string(root.get("name"), "name")
        tz = self.timezone(root.get("timezone"))
        calendar = self.calendar(root.get("calendar"), tz)
        self.read_labels(root.get("labels"))
        defaults = self.mapping(root.get("defaults"), "defaults", optional=("remind_before_hours",))
        self.remind_default = self.number(
            defaults.get("remind_before_hours"), "defaults.remind_before_hours", minimum=0, default=4.0
        )
        chains = self.chains(root.get("chains"))
        training = self.training(root["training"]) if "training" in root else None
        types, not_coaching = self.interactions(root.get("interactions"))
        standards, expertise = self.topics(root.get("topics"))
        reporting = self.reporting(root.get("reporting"))
        weights = self.matching(root.get("matching"))
        contacts = self.no_route(root.get("no_route"))
        audiences = self.audiences(root.get("audiences"))
        delivery = self.delivery(root.get("delivery"))
        notify = training.last_resort.notify if training is not None and training.last_resort else None
        if notify is not None and notify not in AUDIENCE_KEYS:
            self.add("training.last_resort.notify", vocabulary.unknown_message("audience", notify, AUDIENCE_KEYS))
        if self.problems:
            return None
        return Protocol(
            version=version,
            name=name,
            source=self.source,
            text=self.text,
            timezone=tz,
            calendar=calendar,
            labels=MappingProxyType(dict(self.labels)),
            chains=MappingProxyType(chains),
            training=training,
            interaction_types=types,
            not_coaching=not_coaching,
            standards=standards,
            expertise=expertise,
            reporting=reporting,
            student_data=self.student_data,
            matching_weights=MappingProxyType(weights),
            no_route_contacts=contacts,
            description=str(root.get("description") or root.get("source") or ""),
            school_year_start=self.school_year_start,
            audiences=MappingProxyType(audiences),
            activity_log=self.activity_log,
            delivery=delivery,
        )

    def timezone(self, node: Any) -> ZoneInfo:
        name = self.string(node, "timezone", default=None)
        try:
            return ZoneInfo(name) if name else ZoneInfo("UTC")
        except (ZoneInfoNotFoundError, ValueError):
            self.add("timezone", f"unknown time zone {name!r} (use an IANA name such as America/Chicago)")
            return ZoneInfo("UTC")

    def calendar(self, node: Any, tz: ZoneInfo) -> BusinessCalendar:
        spec = self.mapping(
            node, "calendar", optional=("country", "subdivision", "business_hours", "closed", "school_year_start")
        )
        country = self.string(spec.get("country"), "calendar.country", default="US")
        subdivision = spec.get("subdivision")
        if subdivision is not None:
            subdivision = self.string(subdivision, "calendar.subdivision")
        try:
            holidays_lib.country_holidays(country, subdiv=subdivision, years=2000)
        except (NotImplementedError, KeyError, ValueError) as exc:
            self.add("calendar", f"unknown holiday calendar {country}/{subdivision}: {exc}")
        hours = self.mapping(spec.get("business_hours"), "calendar.business_hours", optional=("start", "end"))
        start = self.clock(hours.get("start"), "calendar.business_hours.start", time(8, 0))
        end = self.clock(hours.get("end"), "calendar.business_hours.end", time(17, 0))
        if start >= end:
            self.add("calendar.business_hours", f"start ({start}) must be before end ({end})")
        closed: set[date] = set()
        for i, day in enumerate(self.sequence(spec.get("closed", []), "calendar.closed", allow_empty=True)):
            if isinstance(day, date) and not isinstance(day, datetime):
                closed.add(day)
            else:
                self.add(_join("calendar.closed", i), f"must be a date (YYYY-MM-DD), got {day!r}")
        self.school_year_start = self.month_day(spec.get("school_year_start", "07-01"), "calendar.school_year_start")
        return BusinessCalendar(tz, HolidayCalendar(country, subdivision, frozenset(closed)), start, end)

    def month_day(self, node: Any, path: str) -> tuple[int, int]:
        """A "MM-DD" day of the year (a school year's first day), e.g. "07-01"."""
        try:
            month, day = (int(x) for x in str(node).split("-"))
            date(2001, month, day)  # not a leap year: February 29 cannot start a year
        except ValueError:
            self.add(path, f"must be a month and day as \"MM-DD\", e.g. \"07-01\", got {node!r}")
            return (7, 1)
        return (month, day)

    def read_labels(self, node: Any) -> None:
        spec = self.mapping(node, "labels", optional=_ROLE_NAMES)
        for key, value in spec.items():
            if str(key) in _ROLE_NAMES:
                self.labels[Role(key)] = self.string(value, _join("labels", str(key)))

    def chains(self, node: Any) -> dict[ItemKind, Chain]:
        spec = self.mapping(node, "chains", optional=_CHAIN_KINDS)
        bodies: dict[str, tuple[str, dict, tuple[Tier, ...]]] = {}
        for kind in _CHAIN_KINDS:
            if kind in spec:
                path = _join("chains", kind)
                body = self.mapping(spec[kind], path, required=("entry", "tiers"), optional=("label", "then"))
                label = self.string(body.get("label"), _join(path, "label"), default=kind.capitalize())
                bodies[kind] = (label, body, self.tiers(body.get("tiers"), _join(path, "tiers")))
        links = self.links(bodies)
        self.check_cycles(links)
        chains: dict[ItemKind, Chain] = {}
        for kind, (label, body, _tiers) in bodies.items():
            path = _join("chains", kind)
            flat = self.flatten(kind, bodies, links, path)
            entry = self.entry(body.get("entry"), _join(path, "entry"), flat)
            chains[ItemKind(kind)] = Chain(ItemKind(kind), label, MappingProxyType(entry), flat)
        self.compliance_chain(chains, "compliance" in spec)
        return chains

    def compliance_chain(self, chains: dict[ItemKind, Chain], given: bool) -> None:
        """Where a missing report goes: `chains.compliance` when the file has one (its entry must name where a
        facilitator's and a lead's report go), else the question chain under the label "Missing report"."""
        compliance = chains.get(ItemKind.COMPLIANCE)
        if compliance is not None:
            for role in (Role.FACILITATOR, Role.LEAD):
                if role not in compliance.entry:
                    self.add("chains.compliance.entry",
                             f"must say where a missing report owed by a {role.value} goes ({role.value}: TIER)")
            return
        question = chains.get(ItemKind.QUESTION)
        if question is not None and not given:
            chains[ItemKind.COMPLIANCE] = Chain(ItemKind.COMPLIANCE, COMPLIANCE_LABEL, question.entry, question.tiers)

    def tiers(self, node: Any, path: str) -> tuple[Tier, ...]:
        tiers = []
        for i, item in enumerate(self.sequence(node, path)):
            tpath = _join(path, i)
            spec = self.mapping(
                item,
                tpath,
                required=("name",),
                optional=("label", "resolver", "role", "deadline_days", "remind_before_hours"),
            )
            if not spec:
                continue
            name = self.string(spec.get("name"), _join(tpath, "name"))
            resolver = self.tier_resolver(spec, tpath)
            days, hours = self.deadline(spec, tpath)
            label = self.string(spec.get("label"), _join(tpath, "label"), default=self.label_for(resolver, name))
            # A tier with a bad resolver is kept (the problem is recorded, no Protocol is built) so that links
            # and cycles are still checked against every tier name.
            tiers.append(Tier(name, label, resolver or ResolverSpec(ResolverName.ROLE), days, hours))
        return tuple(tiers)

    def links(self, bodies: Mapping[str, tuple[str, dict, tuple[Tier, ...]]]) -> dict[str, tuple[str, int]]:
        """Each chain's valid `then`: (the chain it continues, the index of the tier it continues at)."""
        links: dict[str, tuple[str, int]] = {}
        for kind, (_label, body, _tiers) in bodies.items():
            if body.get("then") is None:
                continue
            path = _join(_join("chains", kind), "then")
            then = self.mapping(body["then"], path, required=("chain", "tier"))
            target, tier_name = then.get("chain"), then.get("tier")
            if target not in bodies:
                if target is not None:
                    self.add(_join(path, "chain"), vocabulary.unknown_message("chain", str(target), tuple(bodies)))
                continue
            names = [t.name for t in bodies[target][2]]
            if tier_name not in names:
                if tier_name is not None:
                    message = vocabulary.unknown_message("tier", str(tier_name), names)
                    self.add(_join(path, "tier"), f"{message} (in chain {target!r})")
                continue
            links[kind] = (target, names.index(tier_name))
        return links

    def check_cycles(self, links: Mapping[str, tuple[str, int]]) -> None:
        reported: set[frozenset[str]] = set()
        for kind in links:
            visited = [kind]
            current = kind
            while current in links:
                current = links[current][0]
                if current in visited:
                    loop = visited[visited.index(current) :]
                    if frozenset(loop) not in reported:
                        reported.add(frozenset(loop))
                        where = _join(_join("chains", loop[-1]), "then")
                        self.add(where, f"the chain cycles: {' -> '.join([*loop, current])}")
                    break
                visited.append(current)

    def flatten(
        self,
        kind: str,
        bodies: Mapping[str, tuple[str, dict, tuple[Tier, ...]]],
        links: Mapping[str, tuple[str, int]],
        path: str,
    ) -> tuple[Tier, ...]:
        """A chain's own tiers, then (via `then`) the tiers of the chain it continues up."""
        flat = list(bodies[kind][2])
        visited = {kind}
        current = kind
        while current in links:
            current, start = links[current]
            if current in visited:
                break  # reported by check_cycles
            visited.add(current)
            flat.extend(bodies[current][2][start:])
        seen: set[str] = set()
        for tier in flat:
            if tier.name in seen:
                self.add(path, f"tier {tier.name!r} appears twice: a chain must not revisit a tier (it would cycle)")
            seen.add(tier.name)
        return tuple(flat)

    def entry(self, node: Any, path: str, tiers: tuple[Tier, ...]) -> dict[Role, str]:
        spec = self.mapping(node, path, open_keys=True)
        if isinstance(node, dict) and not node:
            self.add(path, "must map at least one asker role to the tier it starts at")
        names = [t.name for t in tiers]
        entry: dict[Role, str] = {}
        for key, value in spec.items():
            role = self.role(str(key), _join(path, str(key)))
            if role is None:
                continue
            if value not in names:
                if names:
                    self.add(_join(path, str(key)), vocabulary.unknown_message("tier", str(value), names))
                continue
            entry[role] = value
        return entry

    def training(self, node: Any) -> Training | None:
        spec = self.mapping(
            node, "training", required=("owner", "stages"), optional=("label", "last_resort", "allocation")
        )
        if not spec:
            return None
        label = self.string(spec.get("label"), "training.label", default="Training request")
        owner = self.mapping(spec.get("owner"), "training.owner", required=("resolvers",), optional=("label",))
        owners = tuple(
            r
            for i, item in enumerate(self.sequence(owner.get("resolvers"), "training.owner.resolvers"))
            if (r := self.resolver(item, _join("training.owner.resolvers", i))) is not None
        )
        owner_label = self.string(owner.get("label"), "training.owner.label", default=self.labels[Role.FACILITATOR])
        stages = [
            self.stage(item, _join("training.stages", i))
            for i, item in enumerate(self.sequence(spec.get("stages"), "training.stages"))
        ]
        kept = tuple(s for s in stages if s is not None)
        last = self.last_resort(spec["last_resort"]) if "last_resort" in spec else None
        names = [s.name for s in (*kept, *([last] if last else []))]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.add("training", f"stage {name!r} appears twice: stage names must be unique")
        return Training(label, owner_label, owners, kept, last, self.allocation(spec.get("allocation")))

    def allocation(self, node: Any) -> Allocation:
        """`training.allocation`: what the state stage commits trainers against, {label, days_per_fte}."""
        spec = self.mapping(node, "training.allocation", optional=("label", "days_per_fte"))
        default = Allocation()
        label = self.string(spec.get("label"), "training.allocation.label", default=default.label)
        days = self.number(spec.get("days_per_fte"), "training.allocation.days_per_fte", minimum=1,
                           default=default.days_per_fte)
        return Allocation(label, days)

    def stage(self, node: Any, path: str) -> Stage | None:
        spec = self.mapping(
            node,
            path,
            required=("name", "mode"),
            optional=("label", "resolver", "role", "deadline_days", "remind_before_hours"),
        )
        if not spec:
            return None
        name = self.string(spec.get("name"), _join(path, "name"))
        mode_name = spec.get("mode")
        modes = (StageMode.PICK.value, StageMode.OFFERS.value)
        if mode_name not in modes:
            hint = " (the last resort is its own section, `last_resort`)" if mode_name == StageMode.REFERRAL else ""
            self.add(_join(path, "mode"), vocabulary.unknown_message("mode", str(mode_name), modes) + hint)
            return None
        resolver = self.tier_resolver(spec, path)
        days, hours = self.deadline(spec, path)
        label = self.string(spec.get("label"), _join(path, "label"), default=self.label_for(resolver, name))
        return Stage(name, label, StageMode(mode_name), resolver, days, hours) if resolver else None

    def last_resort(self, node: Any) -> Stage | None:
        path = "training.last_resort"
        spec = self.mapping(
            node, path, required=("name", "label"), optional=("deadline_days", "remind_before_hours", "notify")
        )
        if not spec:
            return None
        name = self.string(spec.get("name"), _join(path, "name"))
        label = self.string(spec.get("label"), _join(path, "label"))
        days, hours = self.deadline(spec, path)
        notify = self.string(spec["notify"], _join(path, "notify")) if spec.get("notify") is not None else None
        return Stage(name, label, StageMode.REFERRAL, None, days, hours, notify)

    def interactions(self, node: Any) -> tuple[tuple[InteractionType, ...], tuple[NotCoaching, ...]]:
        spec = self.mapping(
            node, "interactions", required=("types",), optional=("not_coaching", "student_data", "activity_log")
        )
        self.student_data = self.student_data_patterns(spec.get("student_data"))
        self.activity_log = self.string(
            spec.get("activity_log"), "interactions.activity_log", default=self.activity_log
        )
        types: list[InteractionType] = []
        for i, item in enumerate(self.sequence(spec.get("types"), "interactions.types")):
            path = _join("interactions.types", i)
            t = self.mapping(item, path, required=("key", "label"), optional=("requires_description",))
            if t:
                required = t.get("requires_description", False)
                if not isinstance(required, bool):
                    self.add(_join(path, "requires_description"), f"must be true or false, got {required!r}")
                types.append(
                    InteractionType(
                        self.string(t.get("key"), _join(path, "key")),
                        self.string(t.get("label"), _join(path, "label")),
                        required is True,
                    )
                )
        nots: list[NotCoaching] = []
        for i, item in enumerate(
            self.sequence(spec.get("not_coaching", []), "interactions.not_coaching", allow_empty=True)
        ):
            path = _join("interactions.not_coaching", i)
            n = self.mapping(item, path, required=("key", "label", "message"))
            if n:
                nots.append(
                    NotCoaching(
                        self.string(n.get("key"), _join(path, "key")),
                        self.string(n.get("label"), _join(path, "label")),
                        self.string(n.get("message"), _join(path, "message")),
                    )
                )
        keys = [t.key for t in types] + [n.key for n in nots]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            self.add("interactions", f"key {key!r} is used twice")
        return tuple(types), tuple(nots)

    def student_data_patterns(self, node: Any) -> tuple[StudentDataPattern, ...]:
        """`interactions.student_data`: [{name, pattern, what}]; absent = the shipped defaults; [] = none."""
        if node is None:
            return DEFAULT_STUDENT_DATA
        found: list[StudentDataPattern] = []
        for i, item in enumerate(self.sequence(node, "interactions.student_data", allow_empty=True)):
            path = _join("interactions.student_data", i)
            p = self.mapping(item, path, required=("name", "pattern", "what"))
            if not p:
                continue
            pattern = self.string(p.get("pattern"), _join(path, "pattern"))
            try:
                re.compile(pattern)
            except re.error as exc:
                self.add(_join(path, "pattern"), f"not a valid regular expression: {exc}")
                continue
            found.append(StudentDataPattern(self.string(p.get("name"), _join(path, "name")), pattern,
                                            self.string(p.get("what"), _join(path, "what"))))
        return tuple(found)

    def vocabulary_list(self, node: Any, path: str, default: tuple[str, ...]) -> tuple[str, ...]:
        if node is None or node == "default":
            return default
        items = tuple(self.string(v, _join(path, i)) for i, v in enumerate(self.sequence(node, path)))
        keys = [vocabulary.normalized(v) for v in items]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                self.add(_join(path, i), f"{items[i]!r} is listed twice")
        return items

    def topics(self, node: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
        spec = self.mapping(node, "topics", optional=("standards", "expertise"))
        return (
            self.vocabulary_list(spec.get("standards"), "topics.standards", vocabulary.STANDARDS),
            self.vocabulary_list(spec.get("expertise"), "topics.expertise", vocabulary.EXPERTISE_AREAS),
        )

    def reporting(self, node: Any) -> Reporting:
        spec = self.mapping(node, "reporting", required=("log", "lead_update"), optional=("summary",))
        log = self.mapping(
            spec.get("log"),
            "reporting.log",
            required=("due_business_days_after_month_end",),
            optional=("remind_business_days_before", "escalate_after_days"),
        )
        lead = self.mapping(
            spec.get("lead_update"), "reporting.lead_update", required=("due_business_days_after_month_end",),
            optional=("label", "escalate_after_days"),
        )
        days = "business days after month end"
        summary = self.mapping(spec.get("summary"), "reporting.summary", optional=("share_with",))
        share_with = str(summary.get("share_with", "teams"))
        if share_with not in SHARE_WITH:
            self.add("reporting.summary.share_with", vocabulary.unknown_message("value", share_with, SHARE_WITH))
            share_with = "teams"
        reporting = Reporting(
            summary_share_with=share_with,
            log_due_days=self.integer(
                log.get("due_business_days_after_month_end", 0),
                "reporting.log.due_business_days_after_month_end",
                minimum=0,
                what=days,
            ),
            log_remind_days_before=self.integer(
                log.get("remind_business_days_before", 0),
                "reporting.log.remind_business_days_before",
                minimum=0,
                what="business days",
            ),
            lead_update_due_days=self.integer(
                lead.get("due_business_days_after_month_end", 0),
                "reporting.lead_update.due_business_days_after_month_end",
                minimum=0,
                what=days,
            ),
            lead_update_label=self.string(lead.get("label"), "reporting.lead_update.label", default="monthly update"),
            log_escalate_after_days=self.integer(
                log.get("escalate_after_days", DEFAULT_ESCALATE_AFTER_DAYS), "reporting.log.escalate_after_days",
                minimum=0, what="business days",
            ),
            lead_update_escalate_after_days=self.integer(
                lead.get("escalate_after_days", DEFAULT_ESCALATE_AFTER_DAYS),
                "reporting.lead_update.escalate_after_days",
                minimum=0, what="business days",
            ),
        )
        for key, due, after in (("log", reporting.log_due_days, reporting.log_escalate_after_days),
                                ("lead_update", reporting.lead_update_due_days,
                                 reporting.lead_update_escalate_after_days)):
            if due + after + 1 > LATEST_ESCALATION_DAY:
                self.add(f"reporting.{key}.escalate_after_days",
                         f"the due day ({due}) plus {after} is too late: a missing report must become a compliance "
                         f"item within {LATEST_ESCALATION_DAY} business days of month end (the bot checks a "
                         "month's reports during the month after)")
        return reporting

    def matching(self, node: Any) -> dict[str, float]:
        spec = self.mapping(node, "matching", optional=("weights",))
        given = self.mapping(spec.get("weights"), "matching.weights", optional=tuple(DEFAULT_WEIGHTS))
        weights = dict(DEFAULT_WEIGHTS)
        for key in DEFAULT_WEIGHTS:
            if key in given:
                weights[key] = self.number(given[key], _join("matching.weights", key), minimum=0, default=weights[key])
        if sum(weights.values()) <= 0:
            self.add("matching.weights", "at least one weight must be above 0")
        return weights

    def audiences(self, node: Any) -> dict[str, Audience]:
        """`audiences`: what each audience of the summaries is called; a name, or {label, singular}."""
        spec = self.mapping(node, "audiences", optional=AUDIENCE_KEYS)
        found = dict(DEFAULT_AUDIENCES)
        for key, value in spec.items():
            path = _join("audiences", str(key))
            if isinstance(value, dict):
                entry = self.mapping(value, path, required=("label",), optional=("singular",))
                label = self.string(entry.get("label"), _join(path, "label"))
                singular = self.string(entry.get("singular"), _join(path, "singular"), default=label)
            else:
                label = singular = self.string(value, path)
            found[str(key)] = Audience(str(key), label, singular)
        return found

    def delivery(self, node: Any) -> Delivery:
        """`delivery`: pushes wait for each person's working hours (`working_hours`, default true), arrive over
        the first `spread_minutes` of the morning, and a new item of an `at_once` urgency goes at once."""
        spec = self.mapping(node, "delivery", optional=("working_hours", "spread_minutes", "at_once"))
        working = spec.get("working_hours", True)
        if not isinstance(working, bool):
            self.add("delivery.working_hours", f"must be true or false, got {_kind(working)}")
            working = True
        minutes = self.integer(spec.get("spread_minutes", DEFAULT_SPREAD_MINUTES), "delivery.spread_minutes",
                               minimum=0, what="minutes")
        if minutes > 120:
            self.add("delivery.spread_minutes", f"must be at most 120 (two hours), got {minutes}")
        urgencies = []
        for i, value in enumerate(self.sequence(spec.get("at_once", ["urgent"]), "delivery.at_once",
                                                allow_empty=True)):
            if value not in URGENCIES:
                self.add(_join("delivery.at_once", i), vocabulary.unknown_message("urgency", str(value), URGENCIES))
            else:
                urgencies.append(value)
        return Delivery(working_hours=working, spread_minutes=minutes, at_once=frozenset(urgencies))

    def no_route(self, node: Any) -> tuple[ResolverSpec, ...]:
        spec = self.mapping(node, "no_route", optional=("contacts",))
        items = spec.get("contacts", [{"role": "admin"}])
        return tuple(
            r
            for i, item in enumerate(self.sequence(items, "no_route.contacts"))
            if (r := self.resolver(item, _join("no_route.contacts", i))) is not None
        )


def _kind(node: Any) -> str:
    if node is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: f"{node!r}", bool: f"{node!r}"}.get(type(node), f"{node!r}")
