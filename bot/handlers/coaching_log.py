"""The coaching interaction log: add and edit entries, review and submit a month, reopen it."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.coaching_log import modals as logs_ui
from bot.deps import Deps
from bot.handlers.common import deps_of, unknown_person_text
from bot.ids import Action, Block, Callback
from bot.items import forms
from bot.items.modals import message_modal, note_modal
from bot.items.service import Service, UnknownPerson
from routing.directory import Role
from routing.errors import CstbotError
from routing.logs import Field, context_for, may_edit, may_manage, month_label, month_of, teams_of, validate
from store import logs as repo
from templates import render_text

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(Callback.LOG.value)(handle_log_submission)
    app.view(Callback.LOG_SUBMIT.value)(handle_month_submission)
    app.view(Callback.LOG_REOPEN.value)(handle_reopen_submission)
    app.action(Action.HOME_LOG.value)(handle_open_log)
    app.action(Action.LOG_REVIEW.value)(handle_open_review)
    app.action(Action.LOG_REOPEN.value)(handle_open_reopen)
    app.action(Action.LOG_ENTRY_MENU.value)(handle_entry_menu)


def _today(deps: Deps):
    return deps.now().astimezone(deps.protocols.current.timezone).date()


def log_view_for(deps: Deps, slack_id: str) -> dict:
    """The entry modal, or a modal explaining why this person cannot log."""
    svc = Service(deps)
    with deps.session() as session:
        directory = svc.directory(session)
    try:
        person = svc.person(directory, slack_id)
    except UnknownPerson as exc:
        return message_modal("Not in the roster", unknown_person_text(exc, directory))
    if not teams_of(directory, person.id):
        admins = [a.label for a in directory.holders(Role.ADMIN)]
        return message_modal("Coaching log", render_text("messages/log_not_on_team.md.j2", admins=admins).strip())
    return logs_ui.log_modal(directory, person, deps.protocols.current, today=_today(deps))


def handle_open_log(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=log_view_for(deps_of(context), body["user"]["id"]))


def _errors(errors: dict) -> dict[str, str]:
    return {logs_ui.BLOCKS[Field(k)]: v for k, v in errors.items()}


def handle_log_submission(ack: Ack, body: dict, view: dict, client: WebClient, context) -> None:
    deps = deps_of(context)
    svc = Service(deps)
    protocol = deps.protocols.current
    meta = forms.metadata(view)
    entry, errors = logs_ui.parse(view)
    now = deps.now()
    with deps.session(write=True) as session:
        directory = svc.directory(session)
        try:
            person = svc.person(directory, body["user"]["id"])
        except UnknownPerson as exc:
            return ack(response_action="update", view=message_modal("Not in the roster", unknown_person_text(exc)))
        teams = teams_of(directory, person.id)
        locked = repo.locked_months(session=session, team_ids=teams)
        existing = repo.get(session=session, interaction_id=int(meta["entry_id"])) if meta.get("entry_id") else None
        if meta.get("entry_id") and existing is None:
            return ack(response_action="update", view=message_modal(
                "Not saved", render_text("messages/log_entry_gone.md.j2").strip()))
        ctx = context_for(directory, person.id, today=_today(deps), locked_months=locked)
        errors.update({k: v for k, v in validate(entry, protocol, ctx).items() if k not in errors})
        if errors:
            return ack(response_action="errors", errors=_errors(errors))
        team_id = logs_ui.entry_team(directory, entry)
        if existing is not None and not may_edit(directory, person.id, existing.team_id, existing.author_id,
                                                 locked=False):
            return ack(response_action="update", view=message_modal(
                "Not saved", render_text("messages/log_not_yours.md.j2").strip()))
        try:
            if existing is not None:
                repo.update(session=session, row=existing, team_id=team_id, entry=entry, now=now)
            else:
                repo.add(session=session, team_id=team_id, author_id=person.id, entry=entry, now=now)
        except repo.MonthLocked as exc:  # submitted while the form was open
            return ack(response_action="errors", errors={logs_ui.BLOCKS[Field.DATE]: render_text(
                "messages/log_month_locked.md.j2", month=month_label(exc.month)).strip()})
        month = month_of(entry.occurred_on)
        count = repo.count_entries(session=session, team_id=team_id, month=month)
    if meta.get("review"):
        ack()  # back to the review, refreshed below
        _refresh_review(deps, client, meta["review"], person, team_id, month)
        return
    kind = protocol.interaction(entry.interaction_type)
    text = render_text(
        "messages/log_saved.md.j2", minutes=entry.duration_minutes, type_label=kind.label if kind else "",
        district=directory.districts[entry.district_id].name, day=entry.occurred_on.strftime("%a %b %-d"),
        team=directory.teams[team_id].name, count=count, month=month_label(month),
    ).strip()
    ack(response_action="update", view=message_modal("Logged", text))


def _review_view(deps: Deps, person, team_id: int, month: str) -> dict:
    svc = Service(deps)
    protocol = deps.protocols.current
    with deps.session() as session:
        directory = svc.directory(session)
        rows = repo.month_entries(session=session, team_id=team_id, month=month)
        locked = repo.is_locked(session=session, team_id=team_id, month=month)
    return logs_ui.review_modal(directory, protocol, person, team_id=team_id, month=month, rows=rows,
                                locked=locked, due_at=protocol.log_due_at(month), tz=protocol.timezone)


def _refresh_review(deps: Deps, client: WebClient, view_id: str, person, team_id: int, month: str) -> None:
    try:
        client.views_update(view_id=view_id, view=_review_view(deps, person, team_id, month))
    except Exception as exc:  # the change is saved; only the open review is stale
        log.warning("could not refresh the log review (%s)", type(exc).__name__)


def _parse_team_month(value: str) -> tuple[int, str] | None:
    team, _, month = (value or "").partition(":")
    if not team.isdigit() or len(month) != 7:
        return None
    return int(team), month


def _manager(deps: Deps, slack_id: str, team_id: int):
    """The person, if they may review/submit/reopen the team's log; else the reason text."""
    svc = Service(deps)
    with deps.session() as session:
        directory = svc.directory(session)
    try:
        person = svc.person(directory, slack_id)
    except UnknownPerson as exc:
        return None, unknown_person_text(exc, directory)
    if not may_manage(directory, person.id, team_id):
        return None, render_text("messages/log_not_facilitator.md.j2").strip()
    return person, ""


def handle_open_review(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    deps = deps_of(context)
    parsed = _parse_team_month(action.get("value", ""))
    if parsed is None:
        log.warning("log review button without team:month")
        return
    team_id, month = parsed
    person, why = _manager(deps, body["user"]["id"], team_id)
    view = _review_view(deps, person, team_id, month) if person else message_modal("Coaching log", why)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_entry_menu(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    deps = deps_of(context)
    svc = Service(deps)
    what, _, raw_id = (action.get("selected_option") or {}).get("value", "").partition(":")
    review = body.get("view") or {}
    meta = forms.metadata(review)
    if not raw_id.isdigit() or "team_id" not in meta:
        log.warning("log entry menu without an entry id")
        return
    with deps.session(write=True) as session:
        directory = svc.directory(session)
        try:
            person = svc.person(directory, body["user"]["id"])
        except UnknownPerson:
            return
        row = repo.get(session=session, interaction_id=int(raw_id))
        locked = row is not None and repo.is_locked(session=session, team_id=row.team_id, month=row.month)
        allowed = row is not None and may_edit(directory, person.id, row.team_id, row.author_id, locked=locked)
        if allowed and what == "remove":
            repo.remove(session=session, row=row, now=deps.now())
    if not allowed:
        text = render_text("messages/log_not_yours.md.j2").strip()
        client.views_push(trigger_id=body["trigger_id"], view=message_modal("Not changed", text))
        return
    if what == "edit":
        view = logs_ui.log_modal(directory, person, deps.protocols.current, today=_today(deps), entry=row,
                                 review_view_id=review.get("id"))
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        _refresh_review(deps, client, review["id"], person, meta["team_id"], meta["month"])


def handle_month_submission(ack: Ack, body: dict, view: dict, context) -> None:
    deps = deps_of(context)
    meta = forms.metadata(view)
    team_id, month = int(meta["team_id"]), meta["month"]
    person, why = _manager(deps, body["user"]["id"], team_id)
    if person is None:
        return ack(response_action="update", view=message_modal("Not submitted", why))
    now = deps.now()
    protocol = deps.protocols.current
    try:
        with deps.session(write=True) as session:
            row = repo.submit(session=session, team_id=team_id, month=month, person_id=person.id, now=now)
            count = repo.count_entries(session=session, team_id=team_id, month=month)
            team = Service(deps).directory(session).teams[team_id].name
    except repo.MonthLocked:
        text = render_text("messages/log_already_submitted.md.j2", month=month_label(month)).strip()
        return ack(response_action="update", view=message_modal("Already submitted", text))
    text = render_text("messages/log_submitted.md.j2", team=team, month=month_label(month), count=count,
                       on_time=row.submitted_at <= protocol.log_due_at(month)).strip()
    ack(response_action="update", view=message_modal("Submitted", text))


def handle_open_reopen(ack: Ack, body: dict, action: dict, client: WebClient, context) -> None:
    ack()
    deps = deps_of(context)
    parsed = _parse_team_month(action.get("value", ""))
    if parsed is None:
        return
    team_id, month = parsed
    person, why = _manager(deps, body["user"]["id"], team_id)
    if person is None:
        client.views_open(trigger_id=body["trigger_id"], view=message_modal("Coaching log", why))
        return
    view = note_modal(
        callback_id=Callback.LOG_REOPEN, item_id=0, title="Reopen the log", submit="Reopen",
        intro=render_text("messages/log_reopen_intro.md.j2", month=month_label(month)).strip(),
        label="Why does it need to change?", block_id=Block.NOTE, required=True, max_length=1000,
    )
    view["private_metadata"] = json.dumps({"team_id": team_id, "month": month})
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_reopen_submission(ack: Ack, body: dict, view: dict, context) -> None:
    deps = deps_of(context)
    form = forms.NoteForm.from_view(view, block=Block.NOTE, required=True, what="why it needs to change")
    if form.errors:
        return ack(response_action="errors", errors=form.errors)
    meta = forms.metadata(view)
    team_id, month = int(meta["team_id"]), meta["month"]
    person, why = _manager(deps, body["user"]["id"], team_id)
    if person is None:
        return ack(response_action="update", view=message_modal("Not reopened", why))
    try:
        with deps.session(write=True) as session:
            repo.reopen(session=session, team_id=team_id, month=month, person_id=person.id, reason=form.note,
                        now=deps.now())
    except CstbotError as exc:  # not submitted (someone reopened it already)
        return ack(response_action="update", view=message_modal("Not reopened", str(exc).capitalize() + "."))
    text = render_text("messages/log_reopened.md.j2", month=month_label(month)).strip()
    ack(response_action="update", view=message_modal("Reopened", text))
