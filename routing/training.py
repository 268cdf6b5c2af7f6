"""Training requests: trainer matching in stages, with one responsible owner throughout (internal).

The owner (normally the facilitator of the district's team) stays the owner through every stage. At a `pick`
stage the owner sees ranked candidates and picks one or passes; at an `offers` stage everyone resolved is asked
at once and the first offer wins (later offers are thanked and released); the `referral` stage (last resort)
asks the owner to bring in an outside provider. Every stage has a deadline and moves on by itself; a stage with
nobody in it is passed over at once, and the audit says why. The requester hears each move.
"""

from __future__ import annotations

from datetime import UTC

from routing.chains import check_target, hand_over, overdue, scope_of, staff_district
from routing.change import Change, Context, assign, pending_asked, release_pending, require_owner, unroutable
from routing.directory import Directory, Role
from routing.errors import Refused
from routing.matching import rank_candidates
from routing.model import Ask, AuditKind, ItemState, Notice, Offer, Status
from routing.protocol import Stage, StageMode, Training
from routing.resolvers import Resolution, profiles, resolve, resolve_first


def training_for(ctx: Context) -> Training:
    training = ctx.protocol.training
    if training is None:
        raise Refused(
            "kind_not_in_protocol",
            f"Sorry, the protocol ({ctx.protocol.name}) has no trainer matching: "
            "please ask an admin where training requests go.",
        )
    return training


def _stage(ctx: Context, state: ItemState) -> tuple[int, Stage]:
    training = training_for(ctx)
    index = training.index(state.tier or "")
    return index, training.sequence[index]


# --- creating ------------------------------------------------------------------------------------------------


def start(ctx: Context, state: ItemState, *, also_tell: tuple[int, ...] = ()) -> Change:
    training = training_for(ctx)
    change = Change(ctx, None, state)
    change.audit(AuditKind.CREATED, f"{training.label} from {ctx.name(state.asker_id)}.", item_kind=state.kind.value)
    placed = _placement(ctx, state)
    if placed is None:
        reason = f"{ctx.name(state.asker_id)} is on no team and no district's staff list in the roster"
        unroutable(change, reason, also_tell=also_tell)
        return change
    change.set(**placed)
    found, tried = resolve_first(training.owners, ctx.directory, change.scope(), ctx.on)
    passed = "; ".join(f"{spec.describe(ctx.protocol.labels)}: {r.why_nobody}" for spec, r in tried)
    if not found.people:
        unroutable(change, f"nobody can run the trainer match ({passed})", also_tell=also_tell)
        return change
    owner = found.people[0]
    assign(change, owner)
    why = f"{training.owner_label}: {ctx.name(owner)} runs the trainer match"
    change.audit(AuditKind.ASSIGNED, f"{why} (passed over {passed})." if passed else f"{why}.", from_owner=None)
    redirected_by = ctx.name(change.peek("redirected_by"))
    reason = "vacancy" if tried else "created"
    change.notify(owner, Notice.ITEM_ASSIGNED, reason=reason, from_owner_name=None, redirected_by_name=redirected_by)
    enter_stage(change, 0)
    return change


def _placement(ctx: Context, state: ItemState) -> dict[str, int | None] | None:
    """District and team: the district named (or the asker's own), else the asker's team."""
    directory = ctx.directory
    if Role.DISTRICT_STAFF in directory.index.roles_of(state.asker_id):
        district = staff_district(ctx, state.asker_id, state.district_id)
        return {"district_id": district.id, "team_id": district.team_id}
    memberships = directory.index.memberships_of(state.asker_id)
    chosen = next((m for m in memberships if m.role == Role.FACILITATOR), memberships[0] if memberships else None)
    own_team = chosen.team_id if chosen else None
    if state.district_id is not None:
        district = directory.districts[state.district_id]
        return {"district_id": district.id, "team_id": district.team_id or own_team}
    return {"district_id": None, "team_id": own_team} if own_team is not None else None


# --- stages --------------------------------------------------------------------------------------------------


def enter_stage(change: Change, index: int) -> None:
    """Enter the first stage from `index` with someone in it; with none left, close the request unmatched."""
    ctx, training = change.ctx, training_for(change.ctx)
    for stage in training.sequence[index:]:
        if stage.mode is StageMode.REFERRAL:
            _enter_referral(change, stage)
            return
        found = _stage_people(change, stage)
        if found.people:
            (_enter_pick if stage.mode is StageMode.PICK else _enter_offers)(change, stage, found)
            change.notify(change.peek("asker_id"), Notice.ASKER_STATUS, step="stage", note=stage.label)
            return
        change.audit(AuditKind.SKIPPED, f"Skipped {stage.label}: {found.why_nobody}.", tier=stage.name)
        change.set(skipped=(*change.peek("skipped"), stage.name))
    _unmatched(change, ctx)


def _stage_people(change: Change, stage: Stage) -> Resolution:
    asker, owner = change.peek("asker_id"), change.peek("owner_id")
    exclude = (asker,) if stage.mode is StageMode.PICK else (asker, owner)
    assert stage.resolver is not None
    return resolve(stage.resolver, change.ctx.directory, change.scope(), change.ctx.on, exclude=exclude)


def _begin(change: Change, stage: Stage, why: str, **detail: object) -> None:
    change.set(tier=stage.name, history=(*change.peek("history"), stage.name), candidates=())
    change.schedule(stage.deadline_days, stage.remind_before_hours)
    change.audit(AuditKind.STAGE, why, tier=stage.name, **detail)


def _enter_pick(change: Change, stage: Stage, found: Resolution) -> None:
    ctx, state = change.ctx, change.state
    district = ctx.directory.districts.get(state.district_id) if state.district_id is not None else None
    ranked = rank_candidates(
        ctx.directory,
        profiles(ctx.directory, found.people, state.team_id),
        topics=state.topics,
        district=district,
        weights=ctx.protocol.matching_weights,
    )
    _begin(
        change,
        stage,
        f"{stage.label}: {len(ranked)} candidate(s) ranked for {ctx.name(state.owner_id)} to pick from.",
        candidates=[c.person_id for c in ranked],
    )
    change.set(candidates=ranked)
    change.notify(state.owner_id, Notice.TRAINING_CANDIDATES, candidates=[c.to_dict() for c in ranked])


def _enter_offers(change: Change, stage: Stage, found: Resolution) -> None:
    ctx, state = change.ctx, change.state
    names = [ctx.name(p) for p in found.people]
    _begin(
        change,
        stage,
        f"{stage.label}: asked {', '.join(names)} for a trainer; the first offer wins.",
        asked=list(found.people),
    )
    change.set(asked=(*state.asked, *(Ask(p, stage.name) for p in found.people)))
    district = ctx.directory.districts.get(state.district_id) if state.district_id is not None else None
    for person_id in found.people:
        change.notify(person_id, Notice.OFFER_REQUEST, district_center=district.center if district else None)
    change.notify(state.owner_id, Notice.TRAINING_STAGE, asked_names=names)


def _enter_referral(change: Change, stage: Stage) -> None:
    ctx, state = change.ctx, change.state
    district = ctx.directory.districts.get(state.district_id) if state.district_id is not None else None
    center = district.center if district else None
    _begin(change, stage, f"{stage.label}: no trainer matched; {ctx.name(state.owner_id)} is asked to bring one in.")
    change.notify(state.owner_id, Notice.RPDC_REFERRAL, center=center)
    change.notify(state.asker_id, Notice.ASKER_STATUS, step="stage", note=stage.label)


def _unmatched(change: Change, ctx: Context) -> None:
    stages = [_label(ctx, name) for name in change.peek("history")]
    release_pending(change, "unmatched")
    change.close(Status.UNMATCHED)
    change.audit(AuditKind.UNMATCHED, f"No trainer matched after: {', '.join(stages) or 'no stage had anyone'}.")
    for person_id in dict.fromkeys((change.peek("asker_id"), change.peek("owner_id"))):
        change.notify(person_id, Notice.NO_MATCH, stages_tried=stages)


def _label(ctx: Context, name: str) -> str:
    return training_for(ctx).stage(name).label


# --- moving on -----------------------------------------------------------------------------------------------


def pass_stage(ctx: Context, state: ItemState) -> Change:
    """The owner passes the current stage (no one suitable): move on to the next one now."""
    require_owner(state, ctx, "pass on")
    index, stage = _stage(ctx, state)
    if stage.mode is StageMode.REFERRAL:
        raise Refused(
            "last_tier",
            f"{stage.label} is the last resort: please close the request with an answer once it is arranged.",
        )
    change = Change(ctx, state, state)
    why = f"{ctx.name(ctx.event.actor_id)} passed {stage.label}"
    change.audit(AuditKind.ESCALATED, f"{why}: {ctx.event.reason}." if ctx.event.reason else f"{why}.", tier=stage.name)
    enter_stage(change, index + 1)
    return change


def deadline_passed(ctx: Context, state: ItemState) -> Change:
    index, stage = _stage(ctx, state)
    change = Change(ctx, state, state)
    if stage.mode is StageMode.REFERRAL:
        why = f"{ctx.name(state.owner_id)} has not closed {stage.label} within {stage.deadline_days} business day(s)"
        overdue(
            change,
            f"{why}; it is the last resort, so it stays with them and the admins are told.",
            stage.deadline_days,
            stage.remind_before_hours,
        )
        return change
    change.audit(
        AuditKind.ESCALATED,
        f"No match at {stage.label} within {stage.deadline_days} business day(s): moving on.",
        tier=stage.name,
    )
    enter_stage(change, index + 1)
    return change


def reassign(ctx: Context, state: ItemState) -> Change:
    """Hand the trainer match to someone else who could own it (another facilitator of the team, a lead)."""
    require_owner(state, ctx, "reassign")
    training = training_for(ctx)
    people: list[int] = []
    for spec in training.owners:
        people.extend(resolve(spec, ctx.directory, scope_of(state), ctx.on).people)
    target = check_target(ctx, state, Resolution(tuple(people)), training.owner_label)
    change = Change(ctx, state, state)
    hand_over(change, target, training.owner_label)
    return change


# --- answers from the people asked ---------------------------------------------------------------------------


def declined(ctx: Context, state: ItemState) -> Change:
    """An asked person cannot offer anyone; the owner declining passes the stage."""
    actor = ctx.event.actor_id
    index, stage = _stage(ctx, state)
    if actor not in pending_asked(state, stage.name):
        if actor in state.declined:
            raise Refused("already_declined", "Thanks, you already said you cannot offer a trainer for this one.")
        if actor == state.owner_id or ctx.is_admin(actor):
            return pass_stage(ctx, state)
        raise Refused("not_asked", "Thanks! This request is not waiting on you, so there is nothing to decline.")
    change = Change(ctx, state, state)
    change.set(declined=(*state.declined, actor))
    change.audit(AuditKind.DECLINED, f"{ctx.name(actor)} cannot offer a trainer at {stage.label}.", tier=stage.name)
    if not pending_asked(change.state, stage.name):
        change.audit(AuditKind.ESCALATED, f"Everyone asked at {stage.label} declined: moving on.", tier=stage.name)
        enter_stage(change, index + 1)
    return change


def offerable(directory: Directory, state: ItemState, person_id: int) -> tuple[int, ...]:
    """Whom `person_id` may offer as trainer for this request: themselves and the active members of the teams they
    facilitate. An admin offering on someone's behalf may offer whom any person asked could."""
    def own(pid: int) -> list[int]:
        people = [pid]
        for m in directory.index.memberships_of(pid):
            if m.role is Role.FACILITATOR:
                people += [x.person_id for x in directory.index.team_memberships(m.team_id)]
        return people

    if Role.ADMIN in directory.index.roles_of(person_id) and person_id not in {a.person_id for a in state.asked}:
        found = [p for a in state.asked for p in own(a.person_id)]
    else:
        found = own(person_id)
    return tuple(p for p in dict.fromkeys(found) if (who := directory.person(p)) is not None and who.active)


def offered(ctx: Context, state: ItemState) -> Change:
    """An asked person offers a trainer: the first offer on an open request wins; later ones are thanked."""
    actor = ctx.event.actor_id
    asked = {a.person_id for a in state.asked}
    if actor not in asked and not ctx.is_admin(actor):
        raise Refused("not_asked", "This request did not ask you for a trainer; please tell its owner directly.")
    trainer = _trainer(ctx, ctx.event.candidate_id if ctx.event.candidate_id is not None else actor)
    if trainer not in offerable(ctx.directory, state, actor):
        raise Refused(
            "not_offerable",
            "You can offer yourself or someone on a team you facilitate; please pick one of them.",
        )
    offer = Offer(actor, trainer, ctx.at.astimezone(UTC))
    change = Change(ctx, state, state)
    change.set(offers=(*state.offers, offer))
    if state.status is Status.MATCHED:
        change.audit(
            AuditKind.LATE_OFFER,
            f"{ctx.name(actor)} offered {ctx.name(trainer)} after the match: thanked and released.",
        )
        change.notify(actor, Notice.OFFER_RELEASED, why="late", trainer_name=ctx.name(state.trainer_id))
        return change
    if not state.is_open:
        raise Refused("closed", f"Thanks for offering! This request is already {state.status.value}.")
    change.audit(AuditKind.OFFERED, f"{ctx.name(actor)} offered {ctx.name(trainer)} as trainer.", candidate=trainer)
    _match(change, trainer, by=actor)
    change.notify(actor, Notice.OFFER_WON, trainer_name=ctx.name(trainer))
    if actor != state.owner_id:
        change.notify(state.owner_id, Notice.MATCH_TO_OWNER, **_match_context(change, actor))
    return change


def matched(ctx: Context, state: ItemState) -> Change:
    """The owner picks a trainer from the ranked candidates of a pick stage. At the other stages the people asked
    offer one (OFFERED), and a referral is closed with an answer."""
    require_owner(state, ctx, "match")
    _, stage = _stage(ctx, state)
    if stage.mode is not StageMode.PICK:
        raise Refused(
            "not_pick_stage", f"At {stage.label} the people asked offer a trainer; there is no list to pick from."
        )
    candidate = ctx.event.candidate_id
    if candidate not in {c.person_id for c in state.candidates}:
        raise Refused("unknown_candidate", "Please pick one of the ranked candidates (or pass this stage).")
    trainer = _trainer(ctx, candidate)
    change = Change(ctx, state, state)
    _match(change, trainer, by=ctx.event.actor_id)
    if ctx.event.actor_id != state.owner_id:
        change.notify(state.owner_id, Notice.MATCH_TO_OWNER, **_match_context(change, ctx.event.actor_id))
    return change


def _trainer(ctx: Context, person_id: int | None) -> int:
    person = ctx.directory.person(person_id) if person_id is not None else None
    if person is None or not person.active:
        raise Refused("unknown_candidate", "That trainer is not in the roster; please choose someone listed.")
    return person.id


def _match(change: Change, trainer: int, *, by: int | None) -> None:
    ctx = change.ctx
    change.close(Status.MATCHED, trainer_id=trainer)
    change.audit(
        AuditKind.MATCHED,
        f"Matched {ctx.name(trainer)} as trainer (by {ctx.name(by)}).",
        trainer=trainer,
    )
    context = _match_context(change, by)
    change.notify(change.peek("asker_id"), Notice.MATCH_TO_REQUESTER, **context)
    if trainer != by:
        change.notify(trainer, Notice.MATCH_TO_TRAINER, **context)
    release_pending(change, "matched", keep=(trainer,) if by is None else (trainer, by))


def _match_context(change: Change, by: int | None) -> dict[str, object]:
    trainer = change.peek("trainer_id")
    return {"trainer_id": trainer, "trainer_name": change.ctx.name(trainer), "matched_by_name": change.ctx.name(by)}
