"""The routing engine's vocabulary: items, events, effects and decisions. Plain frozen dataclasses, JSON-safe.

`decide(state, event, ...)` (routing.engine) returns a `Decision`: the item's new `ItemState` and the effects the
shell must carry out in the same transaction (outbox rows for `Notify`, the item's deadline columns for
`SetDeadline`/`ClearDeadline`, an `item_event` row for `Audit`, a ledger row for `Commit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from routing.matching import Candidate
from routing.network import Elsewhere


class ItemKind(StrEnum):
    QUESTION = "question"
    UPDATE = "update"  # updates and other relevant information: same chain as questions by default
    DISTRICT = "district"  # a district request (from district staff, or redirected by a member)
    TRAINING = "training"  # a district request for training: trainer matching
    # A monthly report still missing some business days after it was due (a team's coaching log, a lead's CST
    # update): the scheduler opens it, routed up the chain from the person who owes the report
    # (routing.compliance); it closes by itself when the report comes in.
    COMPLIANCE = "compliance"


class Status(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"  # an owner answered (or acknowledged an update)
    MATCHED = "matched"  # a trainer was matched
    UNMATCHED = "unmatched"  # every matching stage passed without a match and the protocol has no last resort
    WITHDRAWN = "withdrawn"  # the asker (or an admin) took it back
    RESOLVED = "resolved"  # a compliance item whose report came in: it closed by itself
    UNROUTABLE = "unroutable"  # nobody could own it: the asker was told whom to contact instead
    CLOSED = "closed"  # closed outside the protocol (by the shell, e.g. an admin clean-up); never set by the engine

    @property
    def is_open(self) -> bool:
        return self is Status.OPEN


class EventKind(StrEnum):
    ASKED = "asked"  # creates an item; Event.item_kind says which
    REDIRECTED = "redirected"  # a member passes on a district request they received directly; creates an item
    ANSWERED = "answered"  # the owner answers (closes)
    ESCALATED = "escalated"  # the owner sends it to the next tier (training: passes the current stage)
    REASSIGNED = "reassigned"  # the owner hands it to someone else at the same tier (target_id)
    DECLINED = "declined"  # an asked person cannot offer a trainer (the training owner declining = pass)
    OFFERED = "offered"  # an asked person offers a trainer (candidate_id, default themselves): first offer wins
    MATCHED = "matched"  # the owner picks a ranked candidate (candidate_id)
    DEADLINE_PASSED = "deadline_passed"  # sent by the scheduler at or after deadline_at
    REMINDER_DUE = "reminder_due"  # sent by the scheduler at or after remind_at
    WITHDRAWN = "withdrawn"  # the asker takes it back
    TAKEN = "taken"  # a holder of a shared tier takes the item: the first one owns it
    CONVERTED = "converted"  # the owner makes a question or district request a training request (topics)
    REPORT_MISSING = "report_missing"  # the scheduler: a report is still missing; creates a compliance item
    REPORT_IN = "report_in"  # the report a compliance item is about came in (submitted, sent): it closes


class AuditKind(StrEnum):
    CREATED = "created"
    REDIRECTED = "redirected"
    ASSIGNED = "assigned"
    SKIPPED = "skipped"
    ESCALATED = "escalated"
    REASSIGNED = "reassigned"
    ANSWERED = "answered"
    REMINDED = "reminded"
    OVERDUE = "overdue"
    STAGE = "stage"
    DECLINED = "declined"
    OFFERED = "offered"
    LATE_OFFER = "late_offer"
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    WITHDRAWN = "withdrawn"
    UNROUTABLE = "unroutable"
    SHARED = "shared"
    TAKEN = "taken"
    CONVERTED = "converted"
    RESOLVED = "resolved"  # a compliance item closed by itself: its report came in


class Notice(StrEnum):
    """Every notice the engine emits. The template of the same name renders it.

    Every context holds the COMMON_CONTEXT keys, plus the keys NOTICE_CONTEXT lists for the notice:

    - item_assigned (new owner): reason (created | redirected | escalated | overdue | reassigned | vacancy |
      converted), from_owner_name, redirected_by_name
    - item_shared (each holder of a tier held by several people; nobody owns it until one takes it): the same keys
      as item_assigned, and holder_names
    - item_reassigned_away (previous owner, after a reassignment): to_owner_name, reason
    - escalated_overdue (previous owner, the item moved up unanswered): to_owner_name, to_tier_label
    - asker_status (asker, whenever the item moves): step (received | escalated | reassigned | stage), note
    - answer_to_asker (asker): answer, answered_by_name
    - answer_to_chain (earlier owners of the item): answer, answered_by_name
    - redirect_to_district_person (district person whose request a member passed on): redirected_by_name
    - redirect_to_member (the member who passed it on): (common keys only)
    - reminder (owner; at a trainer-offer stage each asked person who has not answered; an item nobody has taken
      yet: each holder): role (owner | asked | holder)
    - overdue (owner at the last tier, deadline passed: still theirs): previous_deadline_at
    - admin_alert (every admin): problem (overdue_last_tier | unroutable), detail
    - no_route (asker, nobody can own it): reason, contacts (list of {id, name, label})
    - training_candidates (owner, at a pick stage): candidates (list of Candidate.to_dict(): only people who list
      one of the topics), elsewhere (when there are none: who in the network does, Elsewhere.to_dict()), team_name
    - training_stage (owner, at an offer stage): asked_names
    - offer_request (each asked person): district_center
    - offer_won (the person whose offer won): trainer_name
    - offer_released (asked people no longer needed, late offerers): why (matched | late | withdrawn | answered |
      unmatched), trainer_name
    - match_to_requester / match_to_trainer / match_to_owner: trainer_id, trainer_name, matched_by_name
    - rpdc_referral (owner, last resort): center (the card says who was told: state.referred_to)
    - referral_told (the last resort's audience for the district's center, e.g. its RPDC director): center, history
      (what was tried, one line per stage)
    - no_match (asker and owner, no stage matched and no last resort): stages_tried (labels)
    - item_withdrawn (owner and asked people): withdrawn_by_name
    """

    ITEM_ASSIGNED = "item_assigned"
    ITEM_SHARED = "item_shared"
    ITEM_REASSIGNED_AWAY = "item_reassigned_away"
    ESCALATED_OVERDUE = "escalated_overdue"
    ASKER_STATUS = "asker_status"
    ANSWER_TO_ASKER = "answer_to_asker"
    ANSWER_TO_CHAIN = "answer_to_chain"
    REDIRECT_TO_DISTRICT_PERSON = "redirect_to_district_person"
    REDIRECT_TO_MEMBER = "redirect_to_member"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    ADMIN_ALERT = "admin_alert"
    NO_ROUTE = "no_route"
    TRAINING_CANDIDATES = "training_candidates"
    TRAINING_STAGE = "training_stage"
    OFFER_REQUEST = "offer_request"
    OFFER_WON = "offer_won"
    OFFER_RELEASED = "offer_released"
    MATCH_TO_REQUESTER = "match_to_requester"
    MATCH_TO_TRAINER = "match_to_trainer"
    MATCH_TO_OWNER = "match_to_owner"
    RPDC_REFERRAL = "rpdc_referral"
    REFERRAL_TOLD = "referral_told"
    NO_MATCH = "no_match"
    ITEM_WITHDRAWN = "item_withdrawn"


# Keys in every notice's context. item_id is the state's id (None while the item is being created: the shell
# fills it in once the row exists). Datetimes are ISO strings; names are display labels from the directory.
COMMON_CONTEXT: tuple[str, ...] = (
    "item_id",
    "item_kind",
    "kind_label",
    "status",
    "text",
    "topics",
    "urgency",
    "asker_id",
    "asker_name",
    "owner_id",
    "owner_name",
    "tier",
    "tier_label",
    "district_name",
    "deadline_at",
    "protocol_version",
)

_MATCH_KEYS = ("trainer_id", "trainer_name", "matched_by_name")

NOTICE_CONTEXT: Mapping[Notice, tuple[str, ...]] = {
    Notice.ITEM_ASSIGNED: ("reason", "from_owner_name", "redirected_by_name"),
    Notice.ITEM_SHARED: ("reason", "from_owner_name", "redirected_by_name", "holder_names"),
    Notice.ITEM_REASSIGNED_AWAY: ("to_owner_name", "reason"),
    Notice.ESCALATED_OVERDUE: ("to_owner_name", "to_tier_label"),
    Notice.ASKER_STATUS: ("step", "note"),
    Notice.ANSWER_TO_ASKER: ("answer", "answered_by_name"),
    Notice.ANSWER_TO_CHAIN: ("answer", "answered_by_name"),
    Notice.REDIRECT_TO_DISTRICT_PERSON: ("redirected_by_name",),
    Notice.REDIRECT_TO_MEMBER: (),
    Notice.REMINDER: ("role",),
    Notice.OVERDUE: ("previous_deadline_at",),
    Notice.ADMIN_ALERT: ("problem", "detail"),
    Notice.NO_ROUTE: ("reason", "contacts"),
    Notice.TRAINING_CANDIDATES: ("candidates", "elsewhere", "team_name"),
    Notice.TRAINING_STAGE: ("asked_names",),
    Notice.OFFER_REQUEST: ("district_center",),
    Notice.OFFER_WON: ("trainer_name",),
    Notice.OFFER_RELEASED: ("why", "trainer_name"),
    Notice.MATCH_TO_REQUESTER: _MATCH_KEYS,
    Notice.MATCH_TO_TRAINER: _MATCH_KEYS,
    Notice.MATCH_TO_OWNER: _MATCH_KEYS,
    Notice.RPDC_REFERRAL: ("center",),
    Notice.REFERRAL_TOLD: ("center", "history"),
    Notice.NO_MATCH: ("stages_tried",),
    Notice.ITEM_WITHDRAWN: ("withdrawn_by_name",),
}


@dataclass(frozen=True, slots=True)
class Ask:
    """A person asked to offer a trainer, and at which stage."""

    person_id: int
    stage: str


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer of a trainer: who offered, whom, when. The first offer on an open item wins. A state contact's offer
    commits `days` of their allocation; `over_allocation` says they confirmed going past what remained."""

    person_id: int
    candidate_id: int
    at: datetime
    days: float | None = None
    over_allocation: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"person_id": self.person_id, "candidate_id": self.candidate_id, "at": _iso(self.at)}
        if self.days is not None:
            data["days"] = self.days
            data["over_allocation"] = self.over_allocation
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Offer:
        return cls(data["person_id"], data["candidate_id"], datetime.fromisoformat(data["at"]), data.get("days"),
                   bool(data.get("over_allocation", False)))


@dataclass(frozen=True, slots=True)
class Suggestion:
    """For a facilitator asked to offer a trainer: their own team's people who list the expertise, ranked."""

    person_id: int  # the facilitator asked
    candidates: tuple[Candidate, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "candidates": [c.to_dict() for c in self.candidates]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Suggestion:
        return cls(data["person_id"], tuple(Candidate.from_dict(c) for c in data.get("candidates", ())))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


DATETIME_FIELDS = ("deadline_at", "remind_at", "opened_at", "closed_at", "report_due_at")


@dataclass(frozen=True, slots=True)
class ItemState:
    """Everything the engine knows about one item. The shell stores it (`to_dict()`) in `item.state`."""

    kind: ItemKind
    status: Status
    protocol_version: str
    asker_id: int
    id: int | None = None
    owner_id: int | None = None
    tier: str | None = None  # the current tier (chains) or stage (training)
    team_id: int | None = None
    district_id: int | None = None
    topics: tuple[str, ...] = ()
    text: str = ""
    urgency: str = "normal"
    deadline_at: datetime | None = None
    remind_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    history: tuple[str, ...] = ()  # tiers/stages entered, in order
    owners: tuple[int, ...] = ()  # every owner so far, in order (the last is owner_id)
    skipped: tuple[str, ...] = ()  # tiers/stages passed over because nobody was available
    redirected_by: int | None = None
    asked: tuple[Ask, ...] = ()
    candidates: tuple[Candidate, ...] = ()  # ranked, at the current pick stage
    offers: tuple[Offer, ...] = ()
    declined: tuple[int, ...] = ()
    trainer_id: int | None = None
    answer: str = ""
    answered_by: int | None = None
    # Where it stands, for every text about it: received | escalated | moved_up (a deadline moved it) | reassigned |
    # stage (trainer matching moved on) | widened (more people asked at the same stage) | taken | converted
    step: str = "received"
    # A tier held by several people (two leads, the management team): everyone it was offered to. Until one of
    # them takes it the item has no owner (never two); after, the others' cards say who took it.
    holders: tuple[int, ...] = ()
    elsewhere: tuple[Elsewhere, ...] = ()  # a pick stage nobody on the team can meet: who in the network could
    suggestions: tuple[Suggestion, ...] = ()  # at an offers stage: each asked facilitator's own ranked people
    next_asked: tuple[int, ...] = ()  # at an offers stage: asked only if those asked first decline or time runs out
    referred_to: tuple[int, ...] = ()  # the last resort: who was told (the district's RPDC director)
    converted_from: str | None = None  # the kind it was before the owner made it a training request
    # A compliance item: which report is missing (routing.compliance.REPORTS), for which month ("YYYY-MM"), when it
    # was due, and who made it come in (submitted the log, sent the update) once it did. Its `asker_id` is the
    # person who owes the report (the team's facilitator, the lead); they are never told about the item.
    report: str | None = None
    month: str | None = None
    report_due_at: datetime | None = None
    resolved_by: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    @property
    def shared(self) -> bool:
        """Offered to several holders of a tier, and nobody has taken it yet."""
        return self.owner_id is None and bool(self.holders) and self.is_open

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: enums as values, datetimes as ISO strings, tuples as lists."""
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in DATETIME_FIELDS:
            data[name] = _iso(data[name])
        data["kind"] = self.kind.value
        data["status"] = self.status.value
        data["topics"] = list(self.topics)
        data["history"] = list(self.history)
        data["owners"] = list(self.owners)
        data["skipped"] = list(self.skipped)
        data["declined"] = list(self.declined)
        data["asked"] = [{"person_id": a.person_id, "stage": a.stage} for a in self.asked]
        data["candidates"] = [c.to_dict() for c in self.candidates]
        data["offers"] = [o.to_dict() for o in self.offers]
        data["holders"] = list(self.holders)
        data["elsewhere"] = [e.to_dict() for e in self.elsewhere]
        data["suggestions"] = [x.to_dict() for x in self.suggestions]
        data["next_asked"] = list(self.next_asked)
        data["referred_to"] = list(self.referred_to)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemState:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in DATETIME_FIELDS:
            values[name] = _from_iso(values.get(name))
        values["kind"] = ItemKind(values["kind"])
        values["status"] = Status(values["status"])
        for name in ("topics", "history", "owners", "skipped", "declined", "holders", "next_asked", "referred_to"):
            values[name] = tuple(values.get(name, ()))
        values["asked"] = tuple(Ask(**a) for a in values.get("asked", ()))
        values["candidates"] = tuple(Candidate.from_dict(c) for c in values.get("candidates", ()))
        values["offers"] = tuple(Offer.from_dict(o) for o in values.get("offers", ()))
        values["elsewhere"] = tuple(Elsewhere.from_dict(e) for e in values.get("elsewhere", ()))
        values["suggestions"] = tuple(Suggestion.from_dict(x) for x in values.get("suggestions", ()))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to an item: who (`actor_id`, None for the scheduler), what, when (aware)."""

    kind: EventKind
    actor_id: int | None
    at: datetime
    item_kind: ItemKind | None = None  # ASKED/REDIRECTED: what is being created (REDIRECTED defaults to district)
    text: str = ""  # the question/request, or the answer
    target_id: int | None = None  # REASSIGNED: the new owner
    candidate_id: int | None = None  # MATCHED/OFFERED: the trainer
    requester_id: int | None = None  # REDIRECTED: the district person who wrote to the member
    district_id: int | None = None
    topics: tuple[str, ...] = ()
    reason: str = ""
    urgency: str = "normal"
    # OFFERED by a state contact: the days the offer commits of their allocation, what remained of it before this
    # offer (the shell reads it from the ledger; None: nothing committed yet), and their confirmation when the
    # offer goes past what remained.
    days: float | None = None
    allocation_left: float | None = None
    confirm_over: bool = False
    # REPORT_MISSING: which report (routing.compliance.REPORTS), its month and due moment, the team (coaching log)
    # and who owes it (`requester_id`: the team's facilitator, the lead).
    report: str | None = None
    month: str | None = None
    due_at: datetime | None = None
    team_id: int | None = None


# --- effects -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notify:
    """Tell `recipient_id` something, rendered by the template named `template` with `context` (JSON-safe)."""

    recipient_id: int
    template: Notice
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SetDeadline:
    """The item's deadline (escalation/stage move) and reminder moments, aware UTC; remind_at may be None."""

    deadline_at: datetime
    remind_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClearDeadline:
    """The item has no deadline any more (it is closed)."""


@dataclass(frozen=True, slots=True)
class Audit:
    """One audit-trail entry (an `item_event` row). `reason` is a sentence for people; `detail` is JSON-safe."""

    kind: AuditKind
    actor_id: int | None
    from_owner_id: int | None
    to_owner_id: int | None
    reason: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Commit:
    """A state contact's winning offer commits `days` of their allocation to `trainer_id` (themselves or one of
    their trainers): the shell writes one ledger row (`trainer_commitment`) in the same transaction."""

    contact_id: int
    trainer_id: int
    days: float
    over_allocation: bool = False


Effect = Notify | SetDeadline | ClearDeadline | Audit | Commit


@dataclass(frozen=True, slots=True)
class Decision:
    state: ItemState
    effects: tuple[Effect, ...] = ()

    @property
    def notices(self) -> tuple[Notify, ...]:
        return tuple(e for e in self.effects if isinstance(e, Notify))

    @property
    def audits(self) -> tuple[Audit, ...]:
        return tuple(e for e in self.effects if isinstance(e, Audit))

    @property
    def commitments(self) -> tuple[Commit, ...]:
        return tuple(e for e in self.effects if isinstance(e, Commit))

    def notices_for(self, person_id: int) -> tuple[Notice, ...]:
        return tuple(e.template for e in self.notices if e.recipient_id == person_id)
