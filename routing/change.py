"""The working copy of one decision: the item's new state and the effects gathered on the way (internal).

Handlers build a `Change`, call its small verbs (assign, notify, audit, close...) and return `change.decision()`.
The deadline effect is derived at the end from the state, so it always matches what the state says.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from routing import hours
from routing.directory import Directory, Role
from routing.errors import Refused
from routing.model import (
    Audit,
    AuditKind,
    ClearDeadline,
    Commit,
    Decision,
    Effect,
    Event,
    ItemKind,
    ItemState,
    Notice,
    Notify,
    SetDeadline,
    Status,
)
from routing.protocol import Protocol
from routing.resolvers import Scope, resolve
from routing.vocabulary import in_sentence


@dataclass(frozen=True, slots=True)
class Context:
    """What every handler reads: the event, the directory and the protocol of the item's version."""

    event: Event
    directory: Directory
    protocol: Protocol
    on: date  # the local date of the event, for availability (Person.away_until is a local date)

    @classmethod
    def of(cls, event: Event, directory: Directory, protocol: Protocol) -> Context:
        return cls(event, directory, protocol, protocol.calendar.local_date(event.at))

    @property
    def at(self) -> datetime:
        return self.event.at

    def name(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        person = self.directory.people.get(person_id)
        return person.label if person else f"person {person_id}"

    def is_admin(self, person_id: int | None) -> bool:
        return person_id is not None and self.directory.index.network_role(person_id, Role.ADMIN) is not None

    def admins(self) -> tuple[int, ...]:
        return tuple(p.id for p in self.directory.index.holders(Role.ADMIN))


_CURRENT = object()  # audit(): "the owner as it is now"
# What an asker hears about their item; a compliance item's asker (who owes the report) is not told.
ASKER_NOTICES = frozenset({Notice.ASKER_STATUS, Notice.ANSWER_TO_ASKER, Notice.NO_ROUTE})
_FIELDS = tuple(f.name for f in fields(ItemState))


def evolve(state: ItemState, changes: dict[str, Any]) -> ItemState:
    """dataclasses.replace for ItemState, without its per-call introspection (the engine's hottest line)."""
    return ItemState(*[changes[name] if name in changes else getattr(state, name) for name in _FIELDS])


@dataclass(frozen=True, slots=True)
class _Pending:
    """A notice whose context is filled in from the item's final state when the decision is made."""

    recipient_id: int
    notice: Notice
    extra: dict[str, Any]


class Change:
    """Accumulates one decision. Not shared, not kept: a local working copy inside a pure function."""

    def __init__(self, ctx: Context, before: ItemState | None, state: ItemState):
        self.ctx = ctx
        self.before = before
        self._state = state
        self._changes: dict[str, Any] = {}
        self.effects: list[Effect | _Pending] = []

    # --- state --------------------------------------------------------------------------------------------

    @property
    def state(self) -> ItemState:
        """The item as it stands now (changes are applied in one step when next read)."""
        if self._changes:
            self._state = evolve(self._state, self._changes)
            self._changes = {}
        return self._state

    def scope(self) -> Scope:
        """What resolvers need to know about the item as it stands now."""
        peek = self.peek
        return Scope(peek("asker_id"), peek("team_id"), peek("district_id"), peek("topics"))

    def peek(self, name: str) -> Any:
        """One field of the item as it stands now, without applying pending changes."""
        changes = self._changes
        return changes[name] if name in changes else getattr(self._state, name)

    def set(self, **fields: Any) -> None:
        self._changes.update(fields)

    def schedule(self, days: int, remind_before_hours: float) -> None:
        """Give the current step `days` business days from now, with a reminder before the deadline."""
        self.set(**self.clock(days, remind_before_hours))

    def clock(self, days: int, remind_before_hours: float) -> dict[str, datetime | None]:
        """The deadline and reminder fields for a step of `days` business days starting now."""
        deadline, remind = self.ctx.protocol.calendar.step(self.starts_at(), days, remind_before_hours)
        return {"deadline_at": deadline, "remind_at": remind}

    def starts_at(self) -> datetime:
        """When the current step's clock starts: now for an urgent item (it is delivered at once); otherwise the
        first working moment of whoever it now waits on, in their own time zone (their card waits for their
        working hours, so a request at 17:30 counts from their next business morning)."""
        ctx = self.ctx
        protocol = ctx.protocol
        if protocol.delivery.urgent(self.peek("urgency")):
            return ctx.at
        owner = self.peek("owner_id")
        people = [ctx.directory.people.get(p) for p in ((owner,) if owner is not None else self.peek("holders"))]
        starts = [hours.working_from(ctx.at, hours.zone(p.tz, protocol.timezone), protocol.calendar)
                  for p in people if p is not None]
        return max(ctx.at, min(starts)) if starts else ctx.at

    def close(self, status: Status, **fields: Any) -> None:
        self.set(status=status, closed_at=self.ctx.at.astimezone(UTC), deadline_at=None, remind_at=None, **fields)

    # --- effects ------------------------------------------------------------------------------------------

    def audit(
        self,
        kind: AuditKind,
        reason: str,
        *,
        from_owner: int | None | object = _CURRENT,
        to_owner: int | None | object = _CURRENT,
        **detail: Any,
    ) -> None:
        """Record an audit entry; the owner before/after default to the current owner (no owner change)."""
        owner = self.peek("owner_id")
        before = owner if from_owner is _CURRENT else from_owner
        after = owner if to_owner is _CURRENT else to_owner
        self.effects.append(Audit(kind, self.ctx.event.actor_id, before, after, reason, detail))  # type: ignore[arg-type]

    def commit(self, commitment: Commit) -> None:
        """A state contact's allocation is committed (a ledger row)."""
        self.effects.append(commitment)

    def notify(self, recipient: int | None, notice: Notice, **extra: Any) -> None:
        """Tell someone; the context describes the item as it stands after the whole decision."""
        if recipient is None:
            return
        if notice in ASKER_NOTICES and recipient == self.peek("asker_id") and self.peek("kind") is ItemKind.COMPLIANCE:
            return  # a missing report's "asker" owes the report: they had the reminders, not the item's progress
        self.effects.append(_Pending(recipient, notice, extra))

    def common_context(self) -> dict[str, Any]:
        s, ctx = self.state, self.ctx
        district = ctx.directory.districts.get(s.district_id) if s.district_id is not None else None
        return {
            "item_id": s.id,
            "item_kind": s.kind.value,
            "kind_label": ctx.protocol.kind_label(s.kind),
            "status": s.status.value,
            "text": s.text,
            "topics": list(s.topics),
            "urgency": s.urgency,
            "asker_id": s.asker_id,
            "asker_name": ctx.name(s.asker_id),
            "owner_id": s.owner_id,
            "owner_name": ctx.name(s.owner_id),
            "tier": s.tier,
            "tier_label": self.tier_label(s.tier),
            "district_name": district.name if district else None,
            "deadline_at": s.deadline_at.isoformat() if s.deadline_at else None,
            "protocol_version": s.protocol_version,
        }

    def tier_label(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.ctx.protocol.step_label(self.state.kind, name)

    def decision(self) -> Decision:
        state, before = self.state, self.before
        old = (before.deadline_at, before.remind_at) if before else (None, None)
        new = (state.deadline_at, state.remind_at)
        if new != old:
            self.effects.append(ClearDeadline() if new[0] is None else SetDeadline(new[0], new[1]))
        effects: list[Effect] = []
        common: dict[str, Any] | None = None
        for effect in self.effects:
            if isinstance(effect, _Pending):
                if common is None:
                    common = self.common_context()
                effect = Notify(effect.recipient_id, effect.notice, {**common, **effect.extra})
            effects.append(effect)
        return Decision(state, tuple(effects))


# --- verbs shared by the chain and training flows ------------------------------------------------------------


def require_owner(state: ItemState, ctx: Context, action: str) -> None:
    """Only the current owner (or an admin) may answer, escalate, reassign... an item."""
    actor = ctx.event.actor_id
    if actor is not None and (actor == state.owner_id or ctx.is_admin(actor)):
        return
    kind = in_sentence(ctx.protocol.kind_label(state.kind))
    if state.owner_id is None and state.holders:
        if actor in state.holders:
            raise Refused("not_taken", f"Nobody has taken this {kind} yet: take it first (Take it), then {action} it.")
        raise Refused("not_owner", f"Nobody has taken this {kind} yet; only whoever takes it, or an admin, can "
                                   f"{action} it.")
    raise Refused(
        "not_owner",
        f"Only {ctx.name(state.owner_id)}, who has this {kind} now, or an admin can {action} it.",
    )


def assign(change: Change, owner: int) -> None:
    """Make `owner` the one owner of the item (an item never has two)."""
    owners = change.peek("owners")
    change.set(owner_id=owner, owners=owners if owners[-1:] == (owner,) else (*owners, owner))


def unroutable(change: Change, reason: str, *, also_tell: tuple[int, ...] = ()) -> None:
    """Nobody can own the item: close it, tell the asker whom to contact instead, alert the admins."""
    ctx, state = change.ctx, change.state
    contacts = _no_route_contacts(ctx, state.asker_id)
    change.close(Status.UNROUTABLE)
    names = ", ".join(c["name"] for c in contacts) or "an admin"
    change.audit(AuditKind.UNROUTABLE, f"No route: {reason}. {ctx.name(state.asker_id)} was told to contact {names}.")
    for recipient in (state.asker_id, *also_tell):
        change.notify(recipient, Notice.NO_ROUTE, reason=reason, contacts=contacts)
    for admin in ctx.admins():
        change.notify(admin, Notice.ADMIN_ALERT, problem="unroutable", detail=reason)


def _no_route_contacts(ctx: Context, asker_id: int) -> list[dict[str, Any]]:
    protocol = ctx.protocol
    for spec in protocol.no_route_contacts:
        found = resolve(spec, ctx.directory, Scope(asker_id), ctx.on, exclude=(asker_id,))
        if found.people:
            label = spec.describe(protocol.labels)
            return [{"id": pid, "name": ctx.name(pid), "label": label} for pid in found.people]
    return []


def release_pending(change: Change, why: str, *, keep: tuple[int, ...] = ()) -> None:
    """Thank and release everyone asked for an offer who has not declined (except `keep`)."""
    trainer = change.ctx.name(change.peek("trainer_id"))
    for person_id in pending_asked(change.state):
        if person_id not in keep:
            change.notify(person_id, Notice.OFFER_RELEASED, why=why, trainer_name=trainer)


def pending_asked(state: ItemState, stage: str | None = None) -> tuple[int, ...]:
    """People asked for an offer (at `stage`, or any stage) who have not declined, without repeats."""
    seen: dict[int, None] = {}
    for ask in state.asked:
        if (stage is None or ask.stage == stage) and ask.person_id not in state.declined:
            seen.setdefault(ask.person_id)
    return tuple(seen)
