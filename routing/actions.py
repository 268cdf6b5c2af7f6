"""Which actions a person may take on an item right now: the buttons their card shows.

The engine stays the authority (a click is decided again and may be refused); this only keeps cards from
offering what would be refused.
"""

from __future__ import annotations

from routing.change import pending_asked
from routing.directory import Directory, Role
from routing.model import EventKind, ItemKind, ItemState
from routing.protocol import Protocol, StageMode


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
    if state.asker_id == person_id:
        actions.append(EventKind.WITHDRAWN)
    return tuple(dict.fromkeys(actions))


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
