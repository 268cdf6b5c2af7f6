"""Each person's dashboard: the App Home tab, `/cst inbox` and `/cst help`, for their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, or_, select

from bot.deps import Deps
from bot.items.cards import RenderContext, common_context, mention, slack_date
from bot.items.modals import AskChoices, item_summary
from routing.actions import available_actions
from routing.directory import Directory, Person, Role
from routing.model import ItemState, Notice, Status
from store import outbox
from store.models import Item, ItemCard
from templates import render_json, render_text

MAX_OWNED = 12  # three blocks each; the Home tab holds 100 blocks
MAX_ASKED = 8
MAX_MINE = 10


@dataclass
class Dashboard:
    owned: list[dict[str, Any]]
    offers: list[dict[str, Any]]
    mine: list[dict[str, Any]]
    owned_more: int
    mine_more: int


def _roles_text(directory: Directory, person: Person, ctx: RenderContext) -> str:
    parts = []
    for m in directory.memberships_of(person.id):
        team = directory.teams[m.team_id]
        parts.append(f"{ctx.protocol.label(m.role)}, {team.name}")
    for d in directory.districts_of_staff(person.id):
        parts.append(f"{ctx.protocol.label(Role.DISTRICT_STAFF)}, {d.name}")
    for role in (Role.LEAD, Role.MANAGEMENT, Role.STATE_CONTACT, Role.ADMIN):
        if directory.network_role(person.id, role):
            parts.append(ctx.protocol.label(role))
    return "; ".join(parts)


def _row(state: ItemState, person_id: int, ctx: RenderContext) -> dict[str, Any]:
    from bot.items.cards import buttons_for

    c = common_context(state, ctx)
    actions = available_actions(state, person_id, ctx.directory, ctx.protocol)
    line = item_summary(state, ctx)
    return {
        **c,
        "line": line,
        "due": slack_date(state.deadline_at, ctx.timezone) if state.deadline_at else "",
        "owner": mention(ctx.directory, state.owner_id) if state.owner_id else "",
        "buttons": buttons_for(state, actions),
    }


def dashboard(session: Session, person: Person, ctx: RenderContext, protocols, *, limit: bool = True) -> Dashboard:
    pid = person.id
    # Items the person owns, and items they were asked to offer a trainer for (each ask left them a card):
    # not every open training request in the state.
    asked_of = select(ItemCard.item_id).where(
        ItemCard.recipient_id == pid, ItemCard.key.startswith(f"{Notice.OFFER_REQUEST.value}:")
    )
    open_rows = session.exec(
        select(Item).where(Item.status == Status.OPEN.value, or_(Item.owner_id == pid, Item.id.in_(asked_of)))
        .order_by(Item.deadline_at)
    )
    owned, offers = [], []
    for row in open_rows:
        state = ItemState.from_dict(row.state)
        proto_ctx = RenderContext(ctx.directory, protocols.get(state.protocol_version), ctx.timezone)
        if state.owner_id == pid:
            owned.append(_row(state, pid, proto_ctx))
        elif any(a.person_id == pid and a.stage == state.tier for a in state.asked) and pid not in state.declined:
            offers.append(_row(state, pid, proto_ctx))
    mine_stmt = select(Item).where(Item.asker_id == pid).order_by(Item.id.desc()).limit(MAX_MINE + 1)
    mine_rows = list(session.exec(mine_stmt))
    mine = []
    for row in mine_rows[:MAX_MINE]:
        state = ItemState.from_dict(row.state)
        mine.append(_row(state, pid, RenderContext(ctx.directory, protocols.get(state.protocol_version), ctx.timezone)))
    if not limit:  # /cst inbox: everything owned and asked (a message has no 100-block cap on its text)
        return Dashboard(owned, offers, mine, 0, max(0, len(mine_rows) - MAX_MINE))
    return Dashboard(owned[:MAX_OWNED], offers[:MAX_ASKED], mine, max(0, len(owned) - MAX_OWNED),
                     max(0, len(mine_rows) - MAX_MINE))


def home_view(deps: Deps, session: Session, directory: Directory, person: Person) -> dict:
    ctx = RenderContext(directory, deps.protocols.current, deps.settings.timezone)
    board = dashboard(session, person, ctx, deps.protocols)
    is_admin = Role.ADMIN in directory.roles_of(person.id)
    failed = []
    if is_admin:
        failed = [{"id": r.id, "method": r.method, "error": r.last_error or ""}
                  for r in outbox.failed_rows(session=session, limit=5)]
    return render_json(
        "home/home.json.j2",
        logs=log_sections(deps, session, directory, person),
        organization=directory.organization or "cstbot",
        roles=_roles_text(directory, person, ctx),
        board=board,
        is_admin=is_admin,
        failed=failed,
        can_train=bool(directory.districts_of_staff(person.id) or directory.memberships_of(person.id)
                       or is_admin or Role.LEAD in directory.roles_of(person.id)),
    )


def log_sections(deps: Deps, session: Session, directory: Directory, person: Person) -> list[dict[str, Any]]:
    """Per team the person logs for: this month's entries and, for the facilitator, the months to submit."""
    from routing.logs import may_manage, month_label, month_of, teams_of
    from store import logs as log_repo

    protocol = deps.protocols.current
    today = deps.now().astimezone(protocol.timezone).date()
    this_month = month_of(today)
    last_month = month_of(today.replace(day=1) - timedelta(days=1))
    sections = []
    for team_id in teams_of(directory, person.id):
        manage = may_manage(directory, person.id, team_id)
        months = []
        for month in (last_month, this_month) if manage else (this_month,):
            row = log_repo.get_month(session=session, team_id=team_id, month=month)
            submitted = row is not None and row.status == log_repo.SUBMITTED
            if month == last_month and submitted and row.submitted_at <= protocol.log_due_at(month):
                continue  # last month is done: nothing to show
            months.append({
                "month": month,
                "label": month_label(month),
                "count": log_repo.count_entries(session=session, team_id=team_id, month=month),
                "mine": log_repo.count_entries(session=session, team_id=team_id, month=month, author_id=person.id),
                "submitted": submitted,
                "submitted_at": slack_date(row.submitted_at, deps.settings.timezone) if submitted else "",
                "due": slack_date(protocol.log_due_at(month), deps.settings.timezone),
                "value": f"{team_id}:{month}",
            })
        sections.append({"team": directory.teams[team_id].name, "manage": manage, "months": months})
    return sections


def inbox_message(deps: Deps, directory: Directory, person: Person) -> dict[str, Any]:
    ctx = RenderContext(directory, deps.protocols.current, deps.settings.timezone)
    with deps.session() as session:
        board = dashboard(session, person, ctx, deps.protocols, limit=False)
    text = render_text("messages/inbox.md.j2", board=board).strip()
    return {"text": text}


def help_text(deps: Deps, directory: Directory, person: Person) -> str:
    protocol = deps.protocols.current
    ctx = RenderContext(directory, protocol, deps.settings.timezone)
    roles = directory.roles_of(person.id)
    facilitators = []
    for m in directory.memberships_of(person.id):
        facilitators += [mention(directory, p.id) for p in directory.facilitators_of(m.team_id)]
    for d in directory.districts_of_staff(person.id):
        if d.team_id is not None:
            facilitators += [mention(directory, p.id) for p in directory.facilitators_of(d.team_id)]
    return render_text(
        "messages/help.md.j2",
        roles={r.value for r in roles},
        roles_text=_roles_text(directory, person, ctx),
        label=lambda r: protocol.label(Role(r)),
        facilitators=sorted(set(facilitators)),
        leads=[mention(directory, p.id) for p in directory.holders(Role.LEAD)],
        admins=[mention(directory, p.id) for p in directory.holders(Role.ADMIN)],
        protocol=protocol,
    ).strip()


def route_line(deps: Deps, directory: Directory, person: Person, choices: AskChoices) -> str:
    """'Goes to @pat (CST facilitator)' for the ask modal, from the same explanation `cstbot route explain` prints."""
    from routing.explain import explain

    district_id = choices.districts[0].id if len(choices.districts) == 1 else None
    try:
        exp = explain(directory, deps.protocols.current, asker_id=person.id, kind=choices.kind, now=deps.now(),
                      district_id=district_id)
    except Exception:  # an explanation is a courtesy; never block the form on it
        return ""
    step = exp.receiver
    if step is None or step.owner_id is None:
        return ""
    pid, label = step.owner_id, exp.receiver_label
    return render_text("messages/route_line.md.j2", who=mention(directory, pid), label=label).strip()
