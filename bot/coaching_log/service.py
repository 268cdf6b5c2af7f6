"""The coaching interaction log in Slack: add and edit entries, review and submit a team's month, reopen it.

The rules (what a valid entry is, who may manage a month) are `routing.coaching_log`; the rows are
`store.coaching_log`. This module holds what happens between a submitted modal and its answer: the checks in
the right order, one transaction, and the reply.
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.coaching_log import modals
from bot.compliance import service as compliance
from bot.deps import Deps
from bot.ids import Block, Callback
from bot.items.modals import note_modal
from bot.slack.format import slack_date
from bot.slack.forms import NoteForm, as_id, as_month, metadata
from bot.slack.replies import Submission, message_modal
from routing.coaching_log import Field, context_for, may_edit, may_manage, month_label, month_of, teams_of, validate
from routing.compliance import COACHING_LOG
from routing.directory import Directory, Person, Role
from routing.errors import CstbotError
from store import coaching_log as repo
from templates import render_text

log = logging.getLogger(__name__)


def _today(deps: Deps) -> date:
    return deps.now().astimezone(deps.protocols.current.timezone).date()


def _says(template: str, **kw: Any) -> str:
    return render_text(f"messages/{template}.md.j2", **kw).strip()


def parse_team_month(value: Any) -> tuple[int, str] | None:
    """A button's "team_id:YYYY-MM" value."""
    team, _, month = value.partition(":") if isinstance(value, str) else ("", "", "")
    try:
        return as_id(team), as_month(month)
    except ValueError:
        return None


def _team_month(view: dict[str, Any]) -> tuple[int, str]:
    """The team and month a review or reopen modal is about; MalformedRequest (a 400, before anything is written)
    when its metadata is not what cstbot wrote, e.g. a month "zzz"."""
    meta = metadata(view)
    return as_id(meta.get("team_id")), as_month(meta.get("month"))


def why_not_manager(deps: Deps, directory: Directory, person: Person, team_id: int) -> str | None:
    """None if the person may review, submit and reopen the team's log; else the reason."""
    if may_manage(directory, person.id, team_id):
        return None
    return _says("log_not_facilitator", words=deps.protocols.current.words())


# --- entries -----------------------------------------------------------------------------------------------


def entry_modal(deps: Deps, directory: Directory, person: Person) -> dict:
    """The entry modal, or a modal explaining why this person cannot log."""
    if not teams_of(directory, person.id):
        admins = [a.label for a in directory.holders(Role.ADMIN)]
        return message_modal("Coaching log", _says("log_not_on_team", admins=admins,
                                                    words=deps.protocols.current.words()))
    return modals.log_modal(directory, person, deps.protocols.current, today=_today(deps))


def save_entry(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> tuple[Submission, tuple]:
    """Add or edit an interaction. Returns the answer, and (team_id, month) when a review behind it needs a
    refresh (the entry was edited from the facilitator's review), else ()."""
    protocol = deps.protocols.current
    meta = metadata(view)
    entry, errors = modals.parse(view)
    now = deps.now()
    with deps.session(write=True) as session:
        by_team = repo.locked_by_team(session=session, team_ids=teams_of(directory, person.id))
        locked = frozenset(month for months in by_team.values() for month in months)
        existing = repo.get(session=session, interaction_id=as_id(meta["entry_id"])) if meta.get("entry_id") else None
        if meta.get("entry_id") and existing is None:
            return Submission.says("Not saved", _says("log_entry_gone")), ()
        ctx = context_for(directory, person.id, today=_today(deps), locked_months=locked)
        errors.update({k: v for k, v in validate(entry, protocol, ctx).items() if k not in errors})
        if errors:
            return Submission(errors={modals.BLOCKS[Field(k)]: v for k, v in errors.items()}), ()
        team_id = modals.entry_team(directory, entry)
        if existing is not None and not may_edit(directory, person.id, existing.team_id, existing.author_id,
                                                 locked=False):
            return Submission.says("Not saved", _says("log_not_yours")), ()
        try:
            if existing is not None:
                repo.update(session=session, row=existing, team_id=team_id, entry=entry, now=now)
            else:
                repo.add(session=session, team_id=team_id, author_id=person.id, entry=entry, now=now,
                         locked=by_team.get(team_id))  # read above in this transaction: no second look
        except repo.MonthLocked as exc:  # submitted while the form was open
            return Submission(errors={modals.BLOCKS[Field.DATE]: _says("log_month_locked",
                                                                       month=month_label(exc.month))}), ()
        month = month_of(entry.occurred_on)
        count = repo.count_entries(session=session, team_id=team_id, month=month)
    if meta.get("review"):
        return Submission(), (team_id, month)  # back to the review, refreshed by the caller
    kind = protocol.interaction(entry.interaction_type)
    text = _says(
        "log_saved", minutes=entry.duration_minutes, type_label=kind.label if kind else "",
        district=directory.districts[entry.district_id].name, day=entry.occurred_on.strftime("%a %b %-d"),
        team=directory.teams[team_id].name, count=count, month=month_label(month),
    )
    return Submission.says("Logged", text), ()


def entry_menu(deps: Deps, directory: Directory, person: Person, value: str, review: dict[str, Any]) -> dict | None:
    """Edit or remove an entry from the review's overflow menu ("edit:ID" | "remove:ID"). Returns the modal to
    push on top (the edit form, or why not), or None when the entry was removed (refresh the review)."""
    what, _, raw_id = value.partition(":")
    with deps.session(write=True) as session:
        row = repo.get(session=session, interaction_id=as_id(raw_id))
        locked = row is not None and repo.is_locked(session=session, team_id=row.team_id, month=row.month)
        allowed = row is not None and may_edit(directory, person.id, row.team_id, row.author_id, locked=locked)
        if allowed and what == "remove":
            repo.remove(session=session, row=row, now=deps.now())
    if not allowed:
        return message_modal("Not changed", _says("log_not_yours"))
    if what == "edit":
        return modals.log_modal(directory, person, deps.protocols.current, today=_today(deps), entry=row,
                                review_view_id=review.get("id"))
    return None


# --- a team's month ----------------------------------------------------------------------------------------


def review_modal(deps: Deps, directory: Directory, person: Person, team_id: int, month: str) -> dict:
    """The facilitator's review of a team's month (or why they cannot review it)."""
    why = why_not_manager(deps, directory, person, team_id)
    if why:
        return message_modal("Coaching log", why)
    protocol = deps.protocols.current
    with deps.session() as session:
        rows = repo.month_entries(session=session, team_id=team_id, month=month)
        locked = repo.is_locked(session=session, team_id=team_id, month=month)
    return modals.review_modal(directory, protocol, person, team_id=team_id, month=month, rows=rows,
                               locked=locked, due_at=protocol.log_due_at(month), tz=protocol.timezone)


def refresh_review(deps: Deps, client: WebClient, directory: Directory, view_id: str, person: Person, team_id: int,
                   month: str) -> None:
    try:
        client.views_update(view_id=view_id, view=review_modal(deps, directory, person, team_id, month))
    except Exception as exc:  # the change is saved; only the open review is stale
        log.warning("could not refresh the log review (%s)", type(exc).__name__)


def submit_month(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    team_id, month = _team_month(view)
    why = why_not_manager(deps, directory, person, team_id)
    if why:
        return Submission.says("Not submitted", why)
    if month > month_of(_today(deps)):
        return Submission.says("Not submitted", _says("log_month_not_begun", month=month_label(month)))
    now = deps.now()
    with deps.session(write=True) as session:
        try:
            row = repo.submit(session=session, team_id=team_id, month=month, person_id=person.id, now=now)
        except repo.MonthLocked:
            return Submission.says("Already submitted", _says("log_already_submitted", month=month_label(month)))
        count = repo.count_entries(session=session, team_id=team_id, month=month)
    # the log came in: a missing-log item about it closes by itself (its owner's card says so)
    compliance.report_in(deps, report=COACHING_LOG, month=month, actor_id=person.id, team_id=team_id)
    text = _says("log_submitted", team=directory.teams[team_id].name, month=month_label(month), count=count,
                 on_time=row.submitted_at <= deps.protocols.current.log_due_at(month))
    return Submission.says("Submitted", text)


def reopen_modal(deps: Deps, directory: Directory, person: Person, team_id: int, month: str) -> dict:
    why = why_not_manager(deps, directory, person, team_id)
    if why:
        return message_modal("Coaching log", why)
    view = note_modal(
        callback_id=Callback.LOG_REOPEN, item_id=0, title="Reopen the log", submit="Reopen",
        intro=_says("log_reopen_intro", month=month_label(month)),
        label="Why does it need to change?", block_id=Block.NOTE, required=True, max_length=1000,
    )
    view["private_metadata"] = json.dumps({"team_id": team_id, "month": month})
    return view


def reopen(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    form = NoteForm.from_view(view, block=Block.NOTE, required=True, what="why it needs to change")
    if form.errors:
        return Submission(errors=form.errors)
    team_id, month = _team_month(view)
    why = why_not_manager(deps, directory, person, team_id)
    if why:
        return Submission.says("Not reopened", why)
    try:
        with deps.session(write=True) as session:
            repo.reopen(session=session, team_id=team_id, month=month, person_id=person.id, reason=form.note,
                        now=deps.now())
    except CstbotError as exc:  # not submitted (someone reopened it already)
        return Submission.says("Not reopened", str(exc).capitalize() + ".")
    return Submission.says("Reopened", _says("log_reopened", month=month_label(month)))


# --- the Home tab ------------------------------------------------------------------------------------------


def home_sections(deps: Deps, session, directory: Directory, person: Person) -> list[dict[str, Any]]:
    """Per team the person logs for: this month's entries and, for the facilitator, the months to submit."""
    protocol = deps.protocols.current
    today = _today(deps)
    this_month = month_of(today)
    last_month = month_of(today.replace(day=1) - timedelta(days=1))
    plan = [(team_id, may_manage(directory, person.id, team_id)) for team_id in teams_of(directory, person.id)]
    wanted = [(team_id, month) for team_id, manage in plan
              for month in ((last_month, this_month) if manage else (this_month,))]
    views = repo.months_view(session=session, team_months=wanted, person_id=person.id)  # one query
    sections = []
    for team_id, manage in plan:
        months = []
        for month in (last_month, this_month) if manage else (this_month,):
            view = views[(team_id, month)]
            submitted = view.status == repo.SUBMITTED
            if month == last_month and submitted and view.submitted_at <= protocol.log_due_at(month):
                continue  # last month is done: nothing to show
            months.append({
                "month": month,
                "label": month_label(month),
                "count": view.count,
                "mine": view.mine,
                "submitted": submitted,
                "submitted_at": slack_date(view.submitted_at, deps.settings.timezone) if submitted else "",
                "due": slack_date(protocol.log_due_at(month), deps.settings.timezone),
                "value": f"{team_id}:{month}",
            })
        sections.append({"team": directory.teams[team_id].name, "manage": manage, "months": months})
    return sections
