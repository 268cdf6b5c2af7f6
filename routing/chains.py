"""Questions, updates and district requests: one owner at a time, moving up a chain of tiers (internal).

Nobody skips a tier: an item moves to the next tier, and passes over a tier only when nobody there is available
(a vacant team, everyone away), with an audit entry saying so. The last tier cannot escalate: when its deadline
passes the owner is reminded again and the admins are told.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.change import Change, Context, assign, require_owner, unroutable
from routing.directory import District, Role
from routing.errors import Refused
from routing.model import AuditKind, ItemKind, ItemState, Notice
from routing.protocol import Chain, ResolverName, Tier
from routing.resolvers import Resolution, Scope, resolve
from routing.vocabulary import article, in_sentence


@dataclass(frozen=True, slots=True)
class Hop:
    tier: Tier
    found: Resolution


@dataclass(frozen=True, slots=True)
class Walk:
    """The result of looking for the next owner from one tier up: the tiers passed over, the tier reached."""

    skipped: tuple[Hop, ...]
    reached: Hop | None

    def why_nobody(self) -> str:
        return "; ".join(f"{h.tier.label}: {h.found.why_nobody}" for h in self.skipped) or "no tier above"


def chain_for(ctx: Context, kind: ItemKind) -> Chain:
    chain = ctx.protocol.chains.get(kind)
    if chain is None:
        raise Refused(
            "kind_not_in_protocol",
            f"Sorry, the protocol ({ctx.protocol.name}) has no route for a {kind.value}: "
            "please ask an admin where it belongs.",
        )
    return chain


def scope_of(state: ItemState) -> Scope:
    return Scope(state.asker_id, state.team_id, state.district_id, state.topics)


def walk(ctx: Context, chain: Chain, start: int, scope: Scope) -> Walk:
    """Look for an available owner from tier `start` up; the asker never owns their own item."""
    skipped: list[Hop] = []
    for tier in chain.tiers[start:]:
        found = resolve(tier.resolver, ctx.directory, scope, ctx.on, exclude=(scope.asker_id,))
        if found.people:
            return Walk(tuple(skipped), Hop(tier, found))
        skipped.append(Hop(tier, found))
    return Walk(tuple(skipped), None)


def record_skips(change: Change, route: Walk) -> None:
    """One audit entry per tier passed over, saying why nobody there could take it."""
    for hop in route.skipped:
        change.audit(AuditKind.SKIPPED, f"Skipped {hop.tier.label}: {hop.found.why_nobody}.", tier=hop.tier.name)


def enter(change: Change, route: Walk, *, kind: AuditKind, why: str, reason: str) -> None:
    """Apply a walk that reached someone: record skipped tiers, assign the owner, start the tier's clock. A tier
    held by several people available now (two leads, the management team) is offered to all of them: nobody owns
    it until one takes it, and the audit and every card say so."""
    assert route.reached is not None
    ctx = change.ctx
    record_skips(change, route)
    tier, people = route.reached.tier, route.reached.found.people
    previous = change.peek("owner_id")
    shared = is_shared(tier, people)
    if shared:
        change.set(owner_id=None, holders=people)
    else:
        assign(change, people[0])
        change.set(holders=())
    change.set(
        tier=tier.name,
        history=(*change.peek("history"), tier.name),
        skipped=(*change.peek("skipped"), *(h.tier.name for h in route.skipped)),
        **change.clock(tier.deadline_days, tier.remind_before_hours),
    )
    if route.skipped:
        reason = "vacancy" if reason == "created" else reason
    # who it came from: its owner, or (nobody had taken it from a shared tier) whoever moved it on, an admin say
    sender = previous if previous is not None or reason != "escalated" else ctx.event.actor_id
    context = {
        "reason": reason,
        "from_owner_name": ctx.name(sender),
        "redirected_by_name": ctx.name(change.peek("redirected_by")),
    }
    if shared:
        names = [ctx.name(p) or "" for p in people]
        change.audit(kind, f"{why} Offered to {', '.join(names)}: the first to take it owns it.",
                     from_owner=previous, to_owner=None, tier=tier.name, holders=list(people))
        for person_id in people:
            change.notify(person_id, Notice.ITEM_SHARED, holder_names=names, **context)
        return
    change.audit(kind, why, from_owner=previous, to_owner=people[0], tier=tier.name)
    change.notify(people[0], Notice.ITEM_ASSIGNED, **context)


def is_shared(tier: Tier, people: tuple[int, ...]) -> bool:
    """A tier that is a role held by several people available now: every holder is offered the item."""
    return tier.resolver.name is ResolverName.ROLE and len(people) > 1


def take(ctx: Context, state: ItemState) -> Change:
    """A holder of a shared tier takes the item: the first one owns it; the others' cards say who took it."""
    actor = ctx.event.actor_id
    label = chain_for(ctx, state.kind).tier(state.tier or "").label
    if state.owner_id is not None:
        if actor == state.owner_id:
            raise Refused("already_yours", "It is already yours.")
        if actor in state.holders:
            raise Refused("taken", f"{ctx.name(state.owner_id)} took it first: it is theirs now, nothing to do.")
        raise Refused("not_holder", f"It is with {ctx.name(state.owner_id)}; only they or an admin can act on it.")
    if actor not in state.holders:
        raise Refused(
            "not_holder",
            f"Only the {in_sentence(label)} it was sent to can take it; an admin can answer or reassign it directly.",
        )
    change = Change(ctx, state, state)
    assign(change, actor)
    change.set(step="taken")
    others = [ctx.name(p) or "" for p in state.holders if p != actor]
    change.audit(AuditKind.TAKEN, f"{ctx.name(actor)} took it ({label}; also offered to {', '.join(others)}).",
                 from_owner=None, to_owner=actor)
    change.notify(state.asker_id, Notice.ASKER_STATUS, step="taken", note="")
    return change


# --- creating an item ----------------------------------------------------------------------------------------


def start(ctx: Context, state: ItemState, *, also_tell: tuple[int, ...] = ()) -> Change:
    """Route a new item from the tier its asker's role enters at."""
    chain = chain_for(ctx, state.kind)
    change = Change(ctx, None, state)
    change.audit(AuditKind.CREATED, f"{chain.label} from {ctx.name(state.asker_id)}.", item_kind=state.kind.value)
    entry = entry_role(ctx, chain, state.asker_id)
    if entry is None:
        unroutable(change, _no_entry_reason(ctx, chain, state.asker_id), also_tell=also_tell)
        return change
    role, first = entry
    change.set(**placement(ctx, role, state))
    route = walk(ctx, chain, first, change.scope())
    if route.reached is None:
        record_skips(change, route)
        change.set(skipped=tuple(h.tier.name for h in route.skipped))
        unroutable(
            change, f"nobody on the {chain.label} chain is available ({route.why_nobody()})", also_tell=also_tell
        )
        return change
    tier = route.reached.tier
    to = f"Sent to {tier.label}" if is_shared(tier, route.reached.found.people) else (
        f"Sent to {tier.label} {_owner_name(ctx, route)}")
    enter(change, route, kind=AuditKind.ASSIGNED, why=f"{to}.", reason="created")
    change.notify(state.asker_id, Notice.ASKER_STATUS, step="received", note="")
    return change


def entry_role(ctx: Context, chain: Chain, asker_id: int) -> tuple[Role, int] | None:
    """The asker's role that enters the chain highest, and the index of the tier it enters at."""
    roles = ctx.directory.index.roles_of(asker_id)
    options = [(chain.index(name), role) for role, name in chain.entry.items() if role in roles]
    if not options:
        return None
    index, role = max(options, key=lambda o: o[0])
    return role, index


def placement(ctx: Context, role: Role, state: ItemState) -> dict[str, int | None]:
    """The item's team and district, from the role its asker entered with."""
    directory = ctx.directory
    district_id = state.district_id
    if role is Role.DISTRICT_STAFF:
        district = staff_district(ctx, state.asker_id, district_id)
        return {"district_id": district.id, "team_id": district.team_id}
    wanted = Role.FACILITATOR if role is Role.FACILITATOR else Role.MEMBER
    memberships = directory.index.memberships_of(state.asker_id)
    chosen = next((m for m in memberships if m.role == wanted), memberships[0] if memberships else None)
    return {"district_id": district_id, "team_id": chosen.team_id if chosen else None}


def staff_district(ctx: Context, person_id: int, district_id: int | None) -> District:
    """The district a staff member writes for: the one named (it must be theirs), else their first."""
    districts = ctx.directory.index.districts_of_staff(person_id)
    if district_id is None:
        return districts[0]
    for district in districts:
        if district.id == district_id:
            return district
    named = ctx.directory.districts.get(district_id)
    raise Refused(
        "not_your_district",
        f"The roster does not list {ctx.name(person_id)} as staff of {named.name if named else 'that district'}; "
        f"their district is {', '.join(d.name for d in districts)}.",
    )


def _no_entry_reason(ctx: Context, chain: Chain, asker_id: int) -> str:
    protocol = ctx.protocol
    roles = ctx.directory.index.roles_of(asker_id)
    starters = " or ".join(in_sentence(protocol.label(r)) for r in chain.entry)
    held = ", ".join(sorted(in_sentence(protocol.label(r)) for r in roles)) or "no team or district"
    what = in_sentence(chain.label)
    return f"{article(what)} {what} starts from {article(starters)} {starters}; the roster lists " \
        f"{ctx.name(asker_id)} as: {held}"


def _owner_name(ctx: Context, route: Walk) -> str:
    assert route.reached is not None
    return ctx.name(route.reached.found.people[0]) or ""


# --- moving an item ------------------------------------------------------------------------------------------


def escalate(ctx: Context, state: ItemState) -> Change:
    require_owner(state, ctx, "escalate")
    chain = chain_for(ctx, state.kind)
    index = chain.index(state.tier or "")
    tier = chain.tiers[index]
    if index == len(chain.tiers) - 1:
        raise Refused(
            "last_tier",
            f"{tier.label} is the last tier for {article(in_sentence(chain.label))} {in_sentence(chain.label)}: "
            f"please answer it, or reassign it to another {in_sentence(tier.label)}.",
        )
    route = walk(ctx, chain, index + 1, scope_of(state))
    if route.reached is None:
        raise Refused(
            "nobody_above",
            f"Nobody above {tier.label} is available right now ({route.why_nobody()}). "
            "Please answer it or reassign it; an admin can help.",
        )
    change = Change(ctx, state, state)
    why = f"{ctx.name(ctx.event.actor_id)} escalated it from {tier.label} to {route.reached.tier.label}"
    why += f": {ctx.event.reason}." if ctx.event.reason else "."
    enter(change, route, kind=AuditKind.ESCALATED, why=why, reason="escalated")
    change.set(step="escalated")
    change.notify(state.asker_id, Notice.ASKER_STATUS, step="escalated", note=ctx.event.reason)
    return change


def deadline_passed(ctx: Context, state: ItemState) -> Change:
    """Escalate an unanswered item one tier up; at the last tier (or with nobody above) keep it and alert."""
    chain = chain_for(ctx, state.kind)
    index = chain.index(state.tier or "")
    tier = chain.tiers[index]
    change = Change(ctx, state, state)
    route = walk(ctx, chain, index + 1, scope_of(state)) if index + 1 < len(chain.tiers) else Walk((), None)
    who = ctx.name(state.owner_id) if state.owner_id is not None else (
        "anyone it was offered to (" + ", ".join(ctx.name(p) or "" for p in state.holders) + ")")
    late = f"No answer from {who} within {tier.deadline_days} business day(s) at {tier.label}"
    if route.reached is None:
        above = (
            "it is the last tier"
            if index + 1 == len(chain.tiers)
            else f"nobody above is available ({route.why_nobody()})"
        )
        overdue(
            change,
            f"{late}; {above}, so it stays with them and the admins are told.",
            tier.deadline_days,
            tier.remind_before_hours,
        )
        return change
    previous = state.owner_id
    enter(
        change,
        route,
        kind=AuditKind.ESCALATED,
        why=f"{late}: moved up to {route.reached.tier.label}.",
        reason="overdue",
    )
    change.notify(
        previous,
        Notice.ESCALATED_OVERDUE,
        to_owner_name=ctx.name(change.peek("owner_id")) or route.reached.tier.label,
        to_tier_label=route.reached.tier.label,
    )
    change.set(step="moved_up")
    change.notify(state.asker_id, Notice.ASKER_STATUS, step="moved_up", note="")
    return change


def overdue(change: Change, why: str, days: int, remind_before_hours: float) -> None:
    """The item cannot move on: its owner keeps it with a fresh deadline, is told it is overdue, admins too."""
    previous_deadline = change.peek("deadline_at")
    change.schedule(days, remind_before_hours)
    change.audit(AuditKind.OVERDUE, why)
    owner = change.peek("owner_id")
    for person_id in (owner,) if owner is not None else change.peek("holders"):
        change.notify(
            person_id,
            Notice.OVERDUE,
            previous_deadline_at=previous_deadline.isoformat() if previous_deadline else None,
        )
    for admin in change.ctx.admins():
        change.notify(admin, Notice.ADMIN_ALERT, problem="overdue_last_tier", detail=why)


def reassign(ctx: Context, state: ItemState) -> Change:
    """Hand the item to someone else at the same tier (another lead...), with a fresh deadline."""
    require_owner(state, ctx, "reassign")
    chain = chain_for(ctx, state.kind)
    tier = chain.tier(state.tier or "")
    found = resolve(tier.resolver, ctx.directory, scope_of(state), ctx.on, exclude=(state.asker_id,))
    target = check_target(ctx, state, found, tier.label)
    change = Change(ctx, state, state)
    hand_over(change, target, tier.label)
    change.schedule(tier.deadline_days, tier.remind_before_hours)
    return change


def check_target(ctx: Context, state: ItemState, found: Resolution, label: str) -> int:
    target = ctx.event.target_id
    if target is None or ctx.directory.person(target) is None:
        raise Refused("unknown_target", "Please choose the person to hand it to.")
    if target == state.owner_id:
        raise Refused("same_owner", f"{ctx.name(target)} already has it.")
    if target not in found.people:
        person = ctx.directory.person(target)
        if person is not None and not person.is_available(ctx.on):
            raise Refused("target_unavailable", f"{ctx.name(target)} is away right now; please choose someone else.")
        raise Refused(
            "not_in_tier",
            f"{ctx.name(target)} is not {article(in_sentence(label))} {in_sentence(label)} for this item; "
            "you can hand it only to someone at the same tier.",
        )
    return target


def hand_over(change: Change, target: int, label: str) -> None:
    ctx, state = change.ctx, change.state
    previous = state.owner_id
    assign(change, target)
    why = f"{ctx.name(ctx.event.actor_id)} reassigned it from {ctx.name(previous)} to {ctx.name(target)} ({label})"
    why += f": {ctx.event.reason}." if ctx.event.reason else "."
    change.audit(AuditKind.REASSIGNED, why, from_owner=previous, to_owner=target)
    change.notify(
        target, Notice.ITEM_ASSIGNED, reason="reassigned", from_owner_name=ctx.name(previous), redirected_by_name=None
    )
    change.notify(previous, Notice.ITEM_REASSIGNED_AWAY, to_owner_name=ctx.name(target), reason=ctx.event.reason)
    change.set(step="reassigned")
    change.notify(state.asker_id, Notice.ASKER_STATUS, step="reassigned", note="")
