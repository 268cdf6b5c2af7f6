"""Which actions a person may take on an item right now: the buttons their card shows.

The engine stays the authority (a click is decided again and may be refused); this only keeps cards from
offering what would be refused.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from routing.change import pending_asked
from routing.directory import Directory, Role
from routing.model import EventKind, ItemKind, ItemState
from routing.protocol import Protocol, ResolverName, ResolverSpec, StageMode
from routing.training import allocation_days, committing_contact, offerable

__all__ = [
    "allocation_days", "asked_pending", "available_actions", "committing_contact", "involved", "offerable",
    "role_on_item", "who_may", "why_not",
]

# Why a person may not take an action now (the shell words each for the person):
NOT_INVOLVED = "not_involved"  # not part of the item: they learn nothing about it, not even that it exists
CLOSED = "closed"  # the item is answered, matched, withdrawn...
NOT_OWNER = "not_owner"  # answer, escalate, reassign, pick: the owner's (or an admin's)
NOT_ASKER = "not_asker"  # withdraw: the asker's (or an admin's)
NOT_ASKED = "not_asked"  # offer, decline: the people asked at this stage
NOT_NOW = "not_now"  # the action does not apply at this step (a pick outside a pick stage, ...)
NOT_TAKEN = "not_taken"  # a holder of a shared tier must take the item before answering, escalating...
TAKEN_BY_OTHER = "taken"  # another holder took it first
NOT_HOLDER = "not_holder"  # take: only the holders the item was offered to


def available_actions(
    state: ItemState, person_id: int, directory: Directory, protocol: Protocol, *,
    pending: Collection[int] | None = None,
) -> tuple[EventKind, ...]:
    """`pending`: `asked_pending(state)`, when the caller asks for many people of one state (a training request
    passed to 850 facilitators renders 850 cards: each would walk the 850 asked again)."""
    if not state.is_open:
        return ()
    is_owner = state.owner_id == person_id
    is_admin = Role.ADMIN in directory.roles_of(person_id)
    actions: list[EventKind] = []
    if state.shared and person_id in state.holders:
        actions.append(EventKind.TAKEN)  # the first click owns it; answering comes after (admins too)
        if _may_withdraw(state, person_id, is_admin):
            actions.append(EventKind.WITHDRAWN)
        return tuple(actions)
    if state.kind is ItemKind.TRAINING:
        stage = _stage(protocol, state.tier)
        if (is_owner or is_admin) and stage is not None:
            if stage.mode is StageMode.PICK and state.candidates:
                actions.append(EventKind.MATCHED)
            if stage.mode is StageMode.REFERRAL:
                actions.append(EventKind.ANSWERED)  # record what the RPDC arranged; closes the request
            else:
                actions.append(EventKind.ESCALATED)  # pass this stage
            actions.append(EventKind.REASSIGNED)
        if person_id in (pending if pending is not None else pending_asked(state, state.tier)):
            actions += [EventKind.OFFERED, EventKind.DECLINED]
    elif is_owner or is_admin:
        actions.append(EventKind.ANSWERED)
        chain = protocol.chains.get(state.kind)
        if chain is not None and state.tier is not None and chain.index(state.tier) < len(chain.tiers) - 1:
            actions.append(EventKind.ESCALATED)
        actions.append(EventKind.REASSIGNED)
        if protocol.training is not None and state.kind in (ItemKind.DISTRICT, ItemKind.QUESTION):
            actions.append(EventKind.CONVERTED)  # "This is a training request"
    if _may_withdraw(state, person_id, is_admin):
        actions.append(EventKind.WITHDRAWN)
    return tuple(dict.fromkeys(actions))


def _may_withdraw(state: ItemState, person_id: int, is_admin: bool) -> bool:
    """The asker or an admin; a missing report (compliance) only an admin: its asker is who owes the report."""
    return is_admin or (state.asker_id == person_id and state.kind is not ItemKind.COMPLIANCE)


def involved(state: ItemState, person_id: int, directory: Directory) -> bool:
    """Whether the person is part of the item: its asker, whoever passed it on, an owner now or before, a holder of
    the tier it was offered to, someone asked to offer a trainer (or who offered), its trainer, whoever was told at
    the last resort, or an admin. Only they may learn who has it."""
    if person_id in (state.asker_id, state.redirected_by, state.owner_id, state.trainer_id, state.answered_by):
        return True
    if person_id in state.owners or any(a.person_id == person_id for a in state.asked):
        return True
    if person_id in state.holders or person_id in state.referred_to:
        return True
    if any(o.person_id == person_id for o in state.offers):
        return True
    return Role.ADMIN in directory.roles_of(person_id)


def why_not(
    state: ItemState, person_id: int, event: EventKind, directory: Directory, protocol: Protocol
) -> str | None:
    """None when the person may take `event` on the item now; else why not (one of the codes above). The engine
    decides the event again and stays the authority; this words a refused click before anything is decided."""
    if not involved(state, person_id, directory):
        return NOT_INVOLVED
    if event in available_actions(state, person_id, directory, protocol):
        return None
    if not state.is_open:
        return CLOSED
    if event is EventKind.WITHDRAWN:
        return NOT_ASKER
    if event in (EventKind.OFFERED, EventKind.DECLINED):
        return NOT_ASKED
    if person_id in state.holders and state.owner_id not in (None, person_id):
        return TAKEN_BY_OTHER
    if event is EventKind.TAKEN:
        return NOT_HOLDER if person_id not in state.holders else NOT_NOW
    if state.shared and person_id in state.holders:
        return NOT_TAKEN
    if state.owner_id == person_id or Role.ADMIN in directory.roles_of(person_id):
        return NOT_NOW
    return NOT_OWNER


def _stage(protocol: Protocol, name: str | None):
    training = protocol.training
    if training is None or name is None:
        return None
    for stage in training.stages:
        if stage.name == name:
            return stage
    if training.last_resort is not None and training.last_resort.name == name:
        return training.last_resort
    return None


# --- one Slack account, several roster people ----------------------------------------------------------------
# `cstbot roster try` lets one evaluator play a person of each role. A click then acts as the one of them the
# protocol lets take it, and a message says in which role it reaches them.

# The role a resolver names (the protocol file names people only through resolvers).
RESOLVER_ROLES = {
    ResolverName.TEAM_FACILITATOR: Role.FACILITATOR,
    ResolverName.TEAM_MEMBERS: Role.MEMBER,
    ResolverName.OTHER_TEAM_FACILITATORS: Role.FACILITATOR,
    ResolverName.STATE_CONTACTS: Role.STATE_CONTACT,
}
# The roles a person may ask from, lowest first (a training request names no chain entry).
ASKING_ROLES = (Role.DISTRICT_STAFF, Role.MEMBER, Role.FACILITATOR, Role.LEAD, Role.MANAGEMENT, Role.ADMIN)


def who_may(state: ItemState, event: EventKind, people: Iterable[int], directory: Directory,
            protocol: Protocol) -> int | None:
    """Of `people` (one account's roster people), the one who may take `event` on the item now: someone the item
    concerns (its owner, an asked person, its asker) before an admin acting on anyone's item."""
    allowed = [p for p in people if event in available_actions(state, p, directory, protocol)]
    concerned = {state.owner_id, state.asker_id, *pending_asked(state, state.tier), *state.holders}
    return next((p for p in allowed if p in concerned), allowed[0] if allowed else None)


def asked_pending(state: ItemState) -> frozenset[int]:
    """The people asked at the item's current stage who have not declined (for `pending=`)."""
    return frozenset(pending_asked(state, state.tier))


def role_on_item(state: ItemState, person_id: int, directory: Directory, protocol: Protocol, *,
                 pending: Collection[int] | None = None) -> Role | None:
    """The role in which `person_id` hears about the item: as its owner (the role the tier or stage names), as a
    person asked for a trainer, or as its asker (the role they asked from). None if the item names them otherwise
    (an earlier owner, an admin)."""
    held = directory.index.roles_of(person_id)
    wanted: list[Role | None] = []
    if person_id == state.owner_id or (state.shared and person_id in state.holders):
        wanted += [_resolver_role(s) for s in _owner_specs(state, protocol)]
    asked = pending if pending is not None else pending_asked(state, state.tier)
    if person_id in asked and (stage := _stage(protocol, state.tier)) is not None:
        wanted.append(_resolver_role(stage.resolver) if stage.resolver else None)
    if person_id == state.asker_id:
        chain = protocol.chains.get(state.kind)
        entering = [r for r in ASKING_ROLES if chain is None or r in chain.entry]
        if chain is not None:  # the role that enters the chain highest, as routing does
            entering.sort(key=lambda r: chain.index(chain.entry[r]), reverse=True)
        wanted += entering
    return next((r for r in wanted if r is not None and r in held), None)


def _owner_specs(state: ItemState, protocol: Protocol) -> list[ResolverSpec]:
    if state.kind is ItemKind.TRAINING:
        return list(protocol.training.owners) if protocol.training is not None else []
    chain = protocol.chains.get(state.kind)
    tier = next((t for t in chain.tiers if t.name == state.tier), None) if chain is not None else None
    return [tier.resolver] if tier is not None else []


def _resolver_role(spec: ResolverSpec | None) -> Role | None:
    if spec is None:
        return None
    return spec.role if spec.name is ResolverName.ROLE else RESOLVER_ROLES.get(spec.name)
