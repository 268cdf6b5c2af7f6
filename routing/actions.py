"""Which actions a person may take on an item right now: the buttons their card shows.

The engine stays the authority (a click is decided again and may be refused); this only keeps cards from
offering what would be refused.
"""

from __future__ import annotations

from routing.change import pending_asked
from routing.directory import Directory, Role
from routing.model import EventKind, ItemKind, ItemState
from routing.protocol import Protocol, StageMode
from routing.training import offerable

__all__ = ["available_actions", "involved", "offerable", "why_not"]

# Why a person may not take an action now (the shell words each for the person):
NOT_INVOLVED = "not_involved"  # not part of the item: they learn nothing about it, not even that it exists
CLOSED = "closed"  # the item is answered, matched, withdrawn...
NOT_OWNER = "not_owner"  # answer, escalate, reassign, pick: the owner's (or an admin's)
NOT_ASKER = "not_asker"  # withdraw: the asker's (or an admin's)
NOT_ASKED = "not_asked"  # offer, decline: the people asked at this stage
NOT_NOW = "not_now"  # the action does not apply at this step (a pick outside a pick stage, ...)


def available_actions(
    state: ItemState, person_id: int, directory: Directory, protocol: Protocol
) -> tuple[EventKind, ...]:
    if not state.is_open:
        return ()
    is_owner = state.owner_id == person_id
    is_admin = Role.ADMIN in directory.roles_of(person_id)
    actions: list[EventKind] = []
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
        if person_id in pending_asked(state, state.tier):
            actions += [EventKind.OFFERED, EventKind.DECLINED]
    elif is_owner or is_admin:
        actions.append(EventKind.ANSWERED)
        chain = protocol.chains.get(state.kind)
        if chain is not None and state.tier is not None and chain.index(state.tier) < len(chain.tiers) - 1:
            actions.append(EventKind.ESCALATED)
        actions.append(EventKind.REASSIGNED)
    if state.asker_id == person_id or is_admin:
        actions.append(EventKind.WITHDRAWN)
    return tuple(dict.fromkeys(actions))


def involved(state: ItemState, person_id: int, directory: Directory) -> bool:
    """Whether the person is part of the item: its asker, whoever passed it on, an owner now or before, someone
    asked to offer a trainer (or who offered), its trainer, or an admin. Only they may learn who has it."""
    if person_id in (state.asker_id, state.redirected_by, state.owner_id, state.trainer_id, state.answered_by):
        return True
    if person_id in state.owners or any(a.person_id == person_id for a in state.asked):
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
