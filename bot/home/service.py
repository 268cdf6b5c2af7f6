"""Each person's dashboard: the App Home tab, `/cst inbox` and `/cst help`, for their roles."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.coaching_log.service import home_sections
from bot.deps import Deps
from bot.home import quiet
from bot.ids import Action
from bot.items.cards import RenderContext, buttons_for, common_context
from bot.items.modals import item_summary
from bot.minutes import service as minutes
from bot.share import service as share
from bot.slack.format import mention, roles_text, slack_date
from bot.trial.service import label as persona_label
from bot.trial.service import played_with
from bot.updates import service as updates
from routing.actions import available_actions
from routing.directory import Directory, Person, Role
from routing.model import ItemKind, ItemState
from store import items, outbox
from templates import render_json, render_text

log = logging.getLogger(__name__)

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
    return roles_text(directory, ctx.protocol, person)


def viewing_as(directory: Directory, ctx: RenderContext, person: Person) -> dict[str, Any] | None:
    """The *Viewing as* menu, when the person's Slack account plays several people (`cstbot roster try`)."""
    people = played_with(directory, person)
    if len(people) < 2:
        return None
    return {"action_id": Action.HOME_AS.value, "initial": str(person.id),
            "options": [{"text": persona_label(directory, ctx.protocol, p)[:75], "value": str(p.id)} for p in people]}


def _row(state: ItemState, person_id: int, ctx: RenderContext) -> dict[str, Any]:
    c = common_context(state, ctx)
    actions = available_actions(state, person_id, ctx.directory, ctx.protocol)
    line = item_summary(state, ctx)
    return {
        **c,
        "line": line,
        "due": slack_date(state.deadline_at, ctx.timezone) if state.deadline_at else "",
        "owner": mention(ctx.directory, state.owner_id) if state.owner_id else "",
        "buttons": buttons_for(state, actions, ctx.protocol),
    }


def dashboard(session: Session, person: Person, ctx: RenderContext, protocols, *, limit: bool = True) -> Dashboard:
    pid = person.id
    owned, offers = [], []
    open_rows, mine_rows = items.for_home(session=session, person_id=pid, asked_limit=MAX_MINE + 1)  # one query
    for row in open_rows:
        state = ItemState.from_dict(row.state)
        proto_ctx = RenderContext(ctx.directory, protocols.get(state.protocol_version), ctx.timezone)
        if state.owner_id == pid or (state.shared and pid in state.holders):
            owned.append(_row(state, pid, proto_ctx))
        elif any(a.person_id == pid and a.stage == state.tier for a in state.asked) and pid not in state.declined:
            offers.append(_row(state, pid, proto_ctx))
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
    loop = render_json("home/monthly_loop.json.j2", update=updates.home_section(deps, session, directory, person),
                       minutes=minutes.home_section(deps, session, directory, person), actions=Action,
                       words=deps.protocols.current.words())
    loop += render_json("home/shares.json.j2", share=share.home_section(deps, session, directory, person),
                        actions=Action, words=deps.protocols.current.words())
    return render_json(
        "home/home.json.j2",
        acting=person.id,
        viewing_as=viewing_as(directory, ctx, person),
        loop_blocks=loop,
        logs=home_sections(deps, session, directory, person),
        organization=directory.organization or "cstbot",
        roles=_roles_text(directory, person, ctx),
        board=board,
        is_admin=is_admin,
        failed=failed,
        can_train=bool(directory.districts_of_staff(person.id) or directory.memberships_of(person.id)
                       or is_admin or Role.LEAD in directory.roles_of(person.id)),
        quiet=_quiet_line(deps, session, person),
    )


def _quiet_line(deps: Deps, session: Session, person: Person) -> str | None:
    until = quiet.current(deps, session, person)
    return f"{until:%A %B} {until.day}" if until else None


def refresh_home(deps: Deps, client, person: Person) -> None:
    """Publish the person's Home tab again, with a fresh directory (after a change of their own)."""
    if not person.slack_id:
        return
    with deps.session() as session:
        directory = deps.directories.get(session=session)
        fresh = home_view(deps, session, directory, directory.person(person.id) or person)
    try:
        client.views_publish(user_id=person.slack_id, view=fresh)
    except Exception as exc:  # saved anyway; the Home tab is refreshed when next opened
        log.warning("could not refresh the Home tab (%s)", type(exc).__name__)


def refresh_if_home(deps: Deps, client, directory: Directory, person: Person, body: dict) -> None:
    """A button pressed on the Home tab changed what it shows: publish it again."""
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    if view.get("type") != "home" or not person.slack_id:
        return
    with deps.session() as session:
        fresh = home_view(deps, session, directory, person)
    try:
        client.views_publish(user_id=person.slack_id, view=fresh)
    except Exception as exc:  # the click is recorded; the Home tab is refreshed when next opened
        log.warning("could not refresh the Home tab (%s)", type(exc).__name__)


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
    training = protocol.training
    return render_text(
        "messages/help.md.j2",
        roles={r.value for r in roles},
        roles_text=_roles_text(directory, person, ctx),
        label=lambda r: protocol.label(Role(r)),
        kinds={kind.value: (protocol.kind_label(kind) if kind in protocol.chains or kind is ItemKind.TRAINING
                            and training else "") for kind in ItemKind},
        stages=[s.label for s in training.sequence] if training else [],
        allocation=training.allocation.label if training else "",
        facilitators=sorted(set(facilitators)),
        leads=[mention(directory, p.id) for p in directory.holders(Role.LEAD)],
        admins=[mention(directory, p.id) for p in directory.holders(Role.ADMIN)],
        protocol=protocol,
    ).strip()
