"""Who would receive an item, and what happens after them: the engine run forward on a hypothetical item.

`explain()` asks `decide()` what would happen if the person asked now, then lets each deadline pass in turn
(DEADLINE_PASSED at the deadline) until the item reaches a tier it cannot leave or closes. Because it only uses
the engine's public function, the explanation cannot disagree with what the engine will do (including people
who are away now but back by the time the item would reach them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing.directory import Directory, Person
from routing.engine import decide
from routing.errors import CstbotError
from routing.matching import Candidate
from routing.model import AuditKind, Decision, Event, EventKind, ItemKind, ItemState, Notice, Status
from routing.network import Elsewhere
from routing.protocol import Protocol, StageMode

MAX_STEPS = 20  # a protocol's chains are short; this only guards the loop


@dataclass(frozen=True, slots=True)
class Step:
    """One tier (or training stage) the item would reach, with its clock in the protocol's local time."""

    tier: str
    label: str
    owner_id: int | None
    owner_name: str | None
    starts_at: datetime
    deadline_at: datetime | None
    remind_at: datetime | None
    asked: tuple[str, ...] = ()  # names asked for an offer (training offer stages)
    passed_over: tuple[str, ...] = ()  # audit reasons of tiers skipped just before this one
    holders: tuple[str, ...] = ()  # a tier held by several people: everyone it is offered to (nobody owns it yet)


@dataclass(frozen=True, slots=True)
class Explanation:
    asker_id: int
    asker_name: str
    kind: ItemKind
    kind_label: str
    protocol_version: str
    now: datetime  # local
    timezone: str
    status: Status  # open when someone receives it; unroutable when nobody can
    steps: tuple[Step, ...] = ()
    candidates: tuple[Candidate, ...] = ()  # training: the ranked candidates of the first pick stage
    elsewhere: tuple[Elsewhere, ...] = ()  # ... or, when nobody on the team lists it, who in the network does
    team_name: str = ""  # the item's team (training: whose people are ranked)
    topics: tuple[str, ...] = ()
    no_route_reason: str = ""
    contacts: tuple[str, ...] = ()  # "Lee Lead (Lead facilitator)" when there is no route
    after_last: str = ""  # what happens when the last step's deadline passes
    receiver_label: str = ""  # the receiver's role: the first tier's label, or training's owner ("CST facilitator")

    @property
    def receiver(self) -> Step | None:
        return self.steps[0] if self.steps else None


def find_person(directory: Directory, who: str) -> Person:
    """The person with this email or Slack user id. Raises CstbotError naming what was looked for."""
    who = who.strip()
    person = directory.by_email(who) if "@" in who else directory.by_slack_id(who)
    if person is None:
        what = "email" if "@" in who else "Slack id"
        raise CstbotError(f"nobody in the roster has the {what} {who!r}")
    return person


def explain(
    directory: Directory,
    protocol: Protocol,
    *,
    asker_id: int,
    kind: ItemKind,
    now: datetime,
    topics: tuple[str, ...] | list[str] = (),
    district_id: int | None = None,
) -> Explanation:
    """Explain where an item `asker_id` would send `now` goes, step by step. Raises Refused as decide() would."""
    tz = protocol.timezone
    event = Event(EventKind.ASKED, asker_id, now, item_kind=kind, topics=tuple(topics), district_id=district_id)
    first = decide(None, event, directory, protocol)
    person = directory.person(asker_id)
    base = {
        "asker_id": asker_id,
        "asker_name": person.label if person else str(asker_id),
        "kind": kind,
        "kind_label": protocol.kind_label(kind),
        "protocol_version": protocol.version,
        "now": now.astimezone(tz),
        "timezone": tz.key,
    }
    if first.state.status is Status.UNROUTABLE:
        return Explanation(**base, status=Status.UNROUTABLE, **_no_route(first))
    steps, pick, after_last = _walk(first, directory, protocol, now)
    team = directory.teams.get(first.state.team_id) if first.state.team_id is not None else None
    return Explanation(
        **base,
        status=Status.OPEN,
        steps=steps,
        candidates=pick.candidates if pick else (),
        elsewhere=pick.elsewhere if pick else (),
        team_name=team.name if team else "the team",
        topics=first.state.topics,
        after_last=after_last,
        receiver_label=_receiver_label(directory, protocol, first.state, steps[0]),
    )


def _receiver_label(directory: Directory, protocol: Protocol, state: ItemState, step: Step) -> str:
    """A chain's first tier; for training the owner's role (the team's facilitator, or who stands in)."""
    return owner_role(directory, protocol, state) or step.label


def owner_role(directory: Directory, protocol: Protocol, state: ItemState) -> str:
    """The role the item's owner holds it in, as the protocol names it: a chain tier's label ("Lead
    facilitator"); for a training request the trainer-match owner ("CST facilitator"), or the role of whoever
    stands in for a vacant facilitator ("Lead facilitator"), never a matching stage's label."""
    training = protocol.training
    if state.kind is not ItemKind.TRAINING:
        return protocol.step_label(state.kind, state.tier) if state.tier else ""
    if training is None or state.owner_id is None:
        return ""
    if state.team_id is not None and state.owner_id in {p.id for p in directory.index.facilitators_of(state.team_id)}:
        return training.owner_label
    roles = directory.index.roles_of(state.owner_id)
    return next((protocol.label(s.role) for s in training.owners if s.role in roles), training.owner_label)


def _walk(
    first: Decision, directory: Directory, protocol: Protocol, now: datetime
) -> tuple[tuple[Step, ...], ItemState | None, str]:
    """The steps, the state at the first pick stage (training: its candidates), what happens after the last."""
    steps = [_step(first, directory, protocol, now)]
    pick = first.state if _is_pick(protocol, first.state) else None
    decision = first
    after_last = ""
    while decision.state.is_open and len(steps) < MAX_STEPS:
        state = decision.state
        assert state.deadline_at is not None
        event = Event(EventKind.DEADLINE_PASSED, None, state.deadline_at)
        decision = decide(state, event, directory, protocol)
        overdue = [a for a in decision.audits if a.kind is AuditKind.OVERDUE]
        if overdue:
            after_last = overdue[0].reason
            break
        if decision.state.is_open:
            steps.append(_step(decision, directory, protocol, state.deadline_at))
            if pick is None and _is_pick(protocol, decision.state):
                pick = decision.state
        else:
            after_last = next((a.reason for a in decision.audits if a.kind is AuditKind.UNMATCHED), "")
    return tuple(steps), pick, after_last


def _is_pick(protocol: Protocol, state: ItemState) -> bool:
    training = protocol.training
    return state.kind is ItemKind.TRAINING and training is not None and any(
        s.name == state.tier and s.mode is StageMode.PICK for s in training.sequence)


def _step(decision: Decision, directory: Directory, protocol: Protocol, starts: datetime) -> Step:
    state: ItemState = decision.state
    tz = protocol.timezone
    owner = directory.person(state.owner_id) if state.owner_id is not None else None
    asked = tuple(_name(directory, n.recipient_id) for n in decision.notices if n.template is Notice.OFFER_REQUEST)
    return Step(
        tier=state.tier or "",
        label=_tier_label(protocol, state),
        owner_id=state.owner_id,
        owner_name=owner.label if owner else None,
        starts_at=starts.astimezone(tz),
        deadline_at=state.deadline_at.astimezone(tz) if state.deadline_at else None,
        remind_at=state.remind_at.astimezone(tz) if state.remind_at else None,
        asked=asked,
        passed_over=tuple(a.reason for a in decision.audits if a.kind is AuditKind.SKIPPED),
        holders=tuple(_name(directory, p) for p in state.holders) if state.owner_id is None else (),
    )


def _tier_label(protocol: Protocol, state: ItemState) -> str:
    return protocol.step_label(state.kind, state.tier or "")


def _name(directory: Directory, person_id: int) -> str:
    person = directory.person(person_id)
    return person.label if person else str(person_id)


def _no_route(decision: Decision) -> dict[str, object]:
    notice = next(n for n in decision.notices if n.template is Notice.NO_ROUTE)
    contacts = tuple(f"{c['name']} ({c['label']})" for c in notice.context["contacts"])
    return {"no_route_reason": notice.context["reason"], "contacts": contacts}
