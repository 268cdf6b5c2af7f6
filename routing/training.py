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
from routing.change import (
    Change,
    Context,
    assign,
    evolve,
    pending_asked,
    release_pending,
    require_owner,
    unroutable,
)
from routing.directory import Directory, Role
from routing.errors import Refused
from routing.matching import rank_candidates
from routing.model import Ask, AuditKind, Commit, ItemKind, ItemState, Notice, Offer, Status, Suggestion
from routing.network import teams_listing, who_lists
from routing.protocol import ResolverName, Stage, StageMode, Training
from routing.resolvers import Resolution, Scope, profiles, resolve, resolve_first
from routing.vocabulary import in_sentence, normalized, with_article


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


def convert(ctx: Context, state: ItemState, topics: tuple[str, ...]) -> Change:
    """The owner of a question or district request says it is a training request: it becomes one at the first
    matching stage, with the same asker, district, text and audit trail, owned by whoever runs trainer matching."""
    training = training_for(ctx)
    if not topics:
        raise Refused("no_topics", "Please choose the expertise the training needs: trainers are matched on it.")
    actor = ctx.event.actor_id
    base = evolve(state, {"kind": ItemKind.TRAINING, "topics": topics})
    placed = _placement(ctx, base)
    if placed is None:
        raise Refused("no_team", "It has no team to look for a trainer in; please ask an admin to place the district.")
    scope = Scope(state.asker_id, placed["team_id"], placed["district_id"], topics)
    found, tried = resolve_first(training.owners, ctx.directory, scope, ctx.on)
    if not found.people:
        passed = "; ".join(f"{spec.describe(ctx.protocol.labels)}: {r.why_nobody}" for spec, r in tried)
        raise Refused("nobody_can_match", f"Nobody can run the trainer match right now ({passed}); it stays as it is.")
    change = Change(ctx, state, state)
    was = ctx.protocol.kind_label(state.kind)
    change.set(
        kind=ItemKind.TRAINING, topics=topics, converted_from=state.kind.value, step="converted", tier=None,
        history=(), skipped=(), holders=(), asked=(), declined=(), offers=(), **placed,
    )
    owner = found.people[0]
    previous = state.owner_id
    assign(change, owner)
    change.audit(
        AuditKind.CONVERTED,
        f"{ctx.name(actor)} made this {in_sentence(was)} {with_article(in_sentence(training.label))} "
        f"({', '.join(topics)}); {ctx.name(owner)} runs the trainer match.",
        from_owner=previous, to_owner=owner, was=state.kind.value,
    )
    if owner != actor:
        change.notify(owner, Notice.ITEM_ASSIGNED, reason="converted", from_owner_name=ctx.name(actor),
                      redirected_by_name=None)
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
            moving = change.before is not None and change.before.kind is ItemKind.TRAINING
            change.set(step="stage" if moving else change.peek("step"))
            change.notify(change.peek("asker_id"), Notice.ASKER_STATUS, step=change.peek("step"), note="")
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
    change.set(
        tier=stage.name,
        history=(*change.peek("history"), stage.name),
        candidates=(),
        elsewhere=(),
        suggestions=(),
        next_asked=(),
    )
    change.schedule(stage.deadline_days, stage.remind_before_hours)
    change.audit(AuditKind.STAGE, why, tier=stage.name, **detail)


def _enter_pick(change: Change, stage: Stage, found: Resolution) -> None:
    """The owner's team (and the support team): only people who list one of the topics are candidates. When
    nobody does, the owner is told so plainly, with who in the network lists it."""
    ctx, state = change.ctx, change.state
    district = ctx.directory.districts.get(state.district_id) if state.district_id is not None else None
    ranked = rank_candidates(
        ctx.directory,
        profiles(ctx.directory, found.people, state.team_id, support_note=ctx.protocol.label(Role.SUPPORT)),
        topics=state.topics,
        district=district,
        weights=ctx.protocol.matching_weights,
        listing_only=True,
    )
    elsewhere = () if ranked else who_lists(
        ctx.directory, state.topics, ctx.on, exclude_team=state.team_id, labels=ctx.protocol.labels,
        exclude=(state.asker_id,),
    )
    team = _team_name(ctx, state.team_id)
    if ranked:
        why = f"{stage.label}: {len(ranked)} candidate(s) ranked for {ctx.name(state.owner_id)} to pick from."
    else:
        why = (f"{stage.label}: nobody in {team} lists {' or '.join(state.topics)}; "
               f"{len(elsewhere)} in the network do.")
    _begin(change, stage, why, candidates=[c.person_id for c in ranked], elsewhere=[e.person_id for e in elsewhere])
    change.set(candidates=ranked, elsewhere=elsewhere)
    change.notify(
        state.owner_id,
        Notice.TRAINING_CANDIDATES,
        candidates=[c.to_dict() for c in ranked],
        elsewhere=[e.to_dict() for e in elsewhere],
        team_name=team,
    )


def _team_name(ctx: Context, team_id: int | None) -> str:
    team = ctx.directory.teams.get(team_id) if team_id is not None else None
    return team.name if team else "the team"


def _enter_offers(change: Change, stage: Stage, found: Resolution) -> None:
    """Everyone the stage names is asked for an offer; the first offer wins. Across the other teams, the
    facilitators whose teams have someone listing the expertise are asked first, each shown their own ranked
    people; the others only if those decline or the stage's deadline passes (one more step, same stage)."""
    ctx, state = change.ctx, change.state
    first, later = _waves(change, stage, found.people)
    names = [ctx.name(p) for p in first]
    if later:
        topics = " or ".join(state.topics)
        why = (f"{stage.label}: asked {', '.join(names)} first (their teams list {topics}); the first offer wins. "
               f"If they cannot, {', '.join(ctx.name(p) or '' for p in later)} will be asked.")
    else:
        why = f"{stage.label}: asked {', '.join(names)} for a trainer; the first offer wins."
    _begin(change, stage, why, asked=list(first), later=list(later))
    change.set(next_asked=later)
    _ask(change, stage, first)
    change.notify(state.owner_id, Notice.TRAINING_STAGE, asked_names=names)


def _waves(change: Change, stage: Stage, people: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(asked now, asked later). Only the other-team facilitators stage has two waves, and only when some but not
    all of them have someone on their team who lists one of the topics."""
    ctx, state = change.ctx, change.state
    assert stage.resolver is not None
    if stage.resolver.name is not ResolverName.OTHER_TEAM_FACILITATORS or not state.topics:
        return people, ()
    teams = set(teams_listing(ctx.directory, state.topics, ctx.on, exclude_team=state.team_id))
    first = tuple(p for p in people if any(t in teams for t in _facilitated(ctx, p)))
    later = tuple(p for p in people if p not in first)
    return (first, later) if first and later else (people, ())


def _facilitated(ctx: Context, person_id: int) -> tuple[int, ...]:
    return tuple(m.team_id for m in ctx.directory.index.memberships_of(person_id) if m.role is Role.FACILITATOR)


def _ask(change: Change, stage: Stage, people: tuple[int, ...]) -> None:
    """Ask `people` for an offer at `stage`; a facilitator is shown their own team's people who list the topics."""
    ctx, state = change.ctx, change.state
    district = ctx.directory.districts.get(state.district_id) if state.district_id is not None else None
    suggestions = []
    for person_id in people:
        mine = [
            m.person_id
            for team in _facilitated(ctx, person_id)
            if team != state.team_id
            for m in ctx.directory.index.team_memberships(team)
        ]
        if not mine:
            continue
        available = resolve_people(ctx, mine)
        ranked = rank_candidates(
            ctx.directory,
            profiles(ctx.directory, available, None),
            topics=state.topics,
            district=district,
            weights=ctx.protocol.matching_weights,
            listing_only=True,
        )
        if ranked:
            suggestions.append(Suggestion(person_id, ranked))
    change.set(
        asked=(*change.peek("asked"), *(Ask(p, stage.name) for p in people)),
        suggestions=(*change.peek("suggestions"), *suggestions),
    )
    for person_id in people:
        change.notify(person_id, Notice.OFFER_REQUEST, district_center=district.center if district else None)


def resolve_people(ctx: Context, people: list[int]) -> tuple[int, ...]:
    """The active people among `people` who are available today, without repeats."""
    found: dict[int, None] = {}
    for pid in people:
        person = ctx.directory.person(pid)
        if person is not None and person.is_available(ctx.on):
            found.setdefault(pid)
    return tuple(found)


def _widen(change: Change, stage: Stage, why: str) -> None:
    """Ask the stage's second wave (the other facilitators), with the stage's clock started again."""
    ctx = change.ctx
    later = change.peek("next_asked")
    names = ", ".join(ctx.name(p) or "" for p in later)
    change.set(next_asked=(), step="widened")
    change.schedule(stage.deadline_days, stage.remind_before_hours)
    change.audit(AuditKind.STAGE, f"{stage.label}: {why}; asked {names} too.", tier=stage.name, asked=list(later))
    _ask(change, stage, later)


def _enter_referral(change: Change, stage: Stage) -> None:
    """The last resort: the owner brings in the district's regional center, and the protocol's audience for it
    (Missouri: the RPDC director of the district's center) is told, with the request and what was tried."""
    ctx, state = change.ctx, change.state
    district = ctx.directory.districts.get(state.district_id) if state.district_id is not None else None
    center = district.center if district else None
    told = _told_at_last_resort(ctx, stage, center)
    history = _history_lines(change)
    why = f"{stage.label}: no trainer matched; {ctx.name(state.owner_id)} is asked to bring one in"
    if told:
        audience = ctx.protocol.audience(stage.notify or "")
        why += f"; told {', '.join(ctx.name(p) or '' for p in told)} ({audience.singular}, {center})"
    elif stage.notify:
        why += f"; no {ctx.protocol.audience(stage.notify).singular} is listed for {center or 'the district'}"
    _begin(change, stage, f"{why}.", told=list(told))
    change.set(referred_to=told, step="stage")
    for person_id in told:
        change.notify(person_id, Notice.REFERRAL_TOLD, center=center, history=history)
    change.notify(state.owner_id, Notice.RPDC_REFERRAL, center=center)
    change.notify(state.asker_id, Notice.ASKER_STATUS, step="stage", note="")


def _told_at_last_resort(ctx: Context, stage: Stage, center: str | None) -> tuple[int, ...]:
    """The members of the last resort's audience for the district's center (roster `audiences:`)."""
    if stage.notify is None or not center:
        return ()
    key = normalized(center)
    return tuple(dict.fromkeys(
        a.person_id
        for a in ctx.directory.audience_members(stage.notify)
        if a.center and normalized(a.center) == key
    ))


def _history_lines(change: Change) -> list[str]:
    """What was tried, stage by stage, for whoever is brought in at the end."""
    ctx, state = change.ctx, change.state
    lines = []
    for name in dict.fromkeys(state.history):
        stage = training_for(ctx).stage(name)
        if stage.mode is StageMode.PICK:
            team = _team_name(ctx, state.team_id)
            lines.append(f"{stage.label}: {ctx.name(state.owner_id)} found no trainer in {team}")
            continue
        asked = [a.person_id for a in state.asked if a.stage == name]
        if not asked:
            continue
        named = [f"{ctx.name(p)}{' (declined)' if p in state.declined else ''}" for p in dict.fromkeys(asked)]
        lines.append(f"{stage.label}: asked {', '.join(named)}; no offer")
    for name in state.skipped:
        lines.append(f"{_label(ctx, name)}: passed over (nobody available)")
    return lines


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
    if state.next_asked:
        _widen(change, stage, f"no offer within {stage.deadline_days} business day(s)")
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
        if state.next_asked:
            _widen(change, stage, "everyone asked first declined")
            return change
        change.audit(AuditKind.ESCALATED, f"Everyone asked at {stage.label} declined: moving on.", tier=stage.name)
        enter_stage(change, index + 1)
    return change


def offerable(directory: Directory, state: ItemState, person_id: int) -> tuple[int, ...]:
    """Whom `person_id` may offer as trainer for this request: only people they can commit. Themselves; a
    facilitator, the active members of the teams they facilitate and the support team (whose advisory resources
    span all teams); a state contact, the trainers the roster lists for them. An admin offering on someone's behalf
    may offer whom any person asked could."""
    if Role.ADMIN in directory.index.roles_of(person_id) and person_id not in {a.person_id for a in state.asked}:
        found = [p for a in state.asked for p in _can_commit(directory, a.person_id)]
    else:
        found = _can_commit(directory, person_id)
    return tuple(p for p in dict.fromkeys(found) if (who := directory.person(p)) is not None and who.active)


def _can_commit(directory: Directory, person_id: int) -> list[int]:
    people = [person_id]
    facilitated = [m.team_id for m in directory.index.memberships_of(person_id) if m.role is Role.FACILITATOR]
    for team in facilitated:
        people += [x.person_id for x in directory.index.team_memberships(team)]
    if facilitated:
        people += [p.id for p in directory.index.holders(Role.SUPPORT)]
    if (contact := directory.index.network_role(person_id, Role.STATE_CONTACT)) is not None:
        people += contact.trainers
    return people


def committing_contact(directory: Directory, state: ItemState, actor: int | None, trainer: int) -> int | None:
    """The state contact whose allocation an offer of `trainer` by `actor` commits: the actor if they are a state
    contact; for an admin offering on someone's behalf, the first state contact asked who can commit the trainer.
    None: the offer commits no allocation (a facilitator offering their own people)."""
    if actor is None:
        return None
    if directory.index.network_role(actor, Role.STATE_CONTACT) is not None:
        return actor
    if Role.ADMIN not in directory.index.roles_of(actor):
        return None
    for ask in state.asked:
        if directory.index.network_role(ask.person_id, Role.STATE_CONTACT) and trainer in _can_commit(
            directory, ask.person_id
        ):
            return ask.person_id
    return None


def allocation_days(directory: Directory, training: Training, contact_id: int) -> float:
    """A state contact's allocation for a school year, in days (their FTE x the protocol's days per FTE)."""
    contact = directory.index.network_role(contact_id, Role.STATE_CONTACT)
    return round((contact.fte if contact else 0.0) * training.allocation.days_per_fte, 2)


def offered(ctx: Context, state: ItemState) -> Change:
    """An asked person offers a trainer: the first offer on an open request wins; later ones are thanked. A state
    contact's offer commits days of their allocation; past what remains, only with their confirmation."""
    actor = ctx.event.actor_id
    asked = {a.person_id for a in state.asked}
    if actor not in asked and not ctx.is_admin(actor):
        raise Refused("not_asked", "This request did not ask you for a trainer; please tell its owner directly.")
    trainer = _trainer(ctx, ctx.event.candidate_id if ctx.event.candidate_id is not None else actor)
    if trainer not in offerable(ctx.directory, state, actor):
        raise Refused(
            "not_offerable",
            "You can offer yourself or someone you can commit (your team, the support team, or the trainers the "
            "roster lists for you); please pick one of them.",
        )
    contact = committing_contact(ctx.directory, state, actor, trainer) if state.is_open else None
    days, over = _commitment(ctx, contact)
    offer = Offer(actor, trainer, ctx.at.astimezone(UTC), days, over)
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
    committed = ""
    if contact is not None and days is not None:
        label = training_for(ctx).allocation.label
        committed = f", committing {days:g} day(s) of {ctx.name(contact)}'s {label}"
        committed += " past what remained (confirmed over allocation)" if over else ""
    change.audit(AuditKind.OFFERED, f"{ctx.name(actor)} offered {ctx.name(trainer)} as trainer{committed}.",
                 candidate=trainer, days=days, over_allocation=over)
    _match(change, trainer, by=actor)
    if contact is not None and days is not None:
        change.commit(Commit(contact, trainer, days, over))
    change.notify(actor, Notice.OFFER_WON, trainer_name=ctx.name(trainer))
    if actor != state.owner_id:
        change.notify(state.owner_id, Notice.MATCH_TO_OWNER, **_match_context(change, actor))
    return change


def _commitment(ctx: Context, contact: int | None) -> tuple[float | None, bool]:
    """(days, over allocation) of a state contact's offer; refused without days, or past what remains unconfirmed."""
    if contact is None:
        return None, False
    days = ctx.event.days
    if days is None or days <= 0:
        raise Refused("days_needed", "Please say how many days the training commits (for example 2).")
    allocated = allocation_days(ctx.directory, training_for(ctx), contact)
    left = ctx.event.allocation_left if ctx.event.allocation_left is not None else allocated
    over = days > left + 1e-9
    if over and not ctx.event.confirm_over:
        label = training_for(ctx).allocation.label
        raise Refused(
            "over_allocation",
            f"That is {days:g} day(s), and {ctx.name(contact)} has {max(left, 0):g} of {allocated:g} day(s) of "
            f"{label} left this school year. Tick \"over allocation\" to offer anyway; it is flagged in the report.",
        )
    return days, over


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
