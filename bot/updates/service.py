"""The lead facilitators' monthly CST update to the management team (CST Implementation Guide, Communication
Protocol: "Lead facilitator(s) will provide monthly CST updates to the management team").

The draft figures come from the bot's own records (`store.figures`); the lead adds highlights, concerns and asks.
Sending writes the update, one message card per management team member and per `updates` channel, and their
outbox rows in one transaction. Sending again replaces it: the same cards are edited in place. Who may do what
is `routing.monthly_loop`; this module holds the transactions and the Home tab's view of it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.compliance import service as compliance
from bot.delivery import cards as delivery
from bot.delivery import hours
from bot.deps import Deps
from bot.slack.format import mention, slack_date
from bot.updates import cards, modals
from bot.updates.modals import UpdateForm
from routing import monthly_loop as rules
from routing.coaching_log import month_label, month_of
from routing.compliance import LEAD_UPDATE
from routing.directory import Directory, Person, Role
from routing.protocol import Protocol
from routing.vocabulary import in_sentence
from store import cards as card_repo
from store import updates as repo
from store.directory import ChannelPurpose, load_channels
from store.figures import MonthFigures, compile_figures
from store.models import LeadUpdate, MessageCard
from store.summary import natural_key, parse_month
from templates import render_text


def _says(template: str, protocol: Protocol, **kw: Any) -> str:
    return render_text(f"messages/{template}.md.j2", words=protocol.words(), **kw).strip()


def subject(update_id: int) -> str:
    return f"update:{update_id}"


def month_due(deps: Deps, now: datetime | None = None) -> str:
    """The month whose update is due now: the month just ended (in the protocol's time zone)."""
    today = (now or deps.now()).astimezone(deps.protocols.current.timezone).date()
    return month_of(today.replace(day=1) - timedelta(days=1))


def month_window(deps: Deps, month: str) -> tuple[datetime, datetime]:
    """The month's first and next month's first midnight in the protocol's time zone, as UTC."""
    tz = deps.protocols.current.timezone
    year, number = (int(x) for x in month.split("-"))
    start = date(year, number, 1)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (datetime(start.year, start.month, 1, tzinfo=tz).astimezone(UTC),
            datetime(end.year, end.month, 1, tzinfo=tz).astimezone(UTC))


def draft(deps: Deps, session: Session, directory: Directory, month: str) -> MonthFigures:
    """The month in figures, per team (active teams, by name) and in total, as of now."""
    start, end = month_window(deps, month)
    teams = {t.id: t.name for t in sorted(directory.active_teams(), key=lambda t: natural_key(t.name))}
    return compile_figures(session=session, month=month, start=start, end=end, as_of=deps.now(),
                           log_due_at=deps.protocols.current.log_due_at(month), teams=teams)


def channels(session: Session) -> list[str]:
    return [c.channel_id for c in load_channels(session=session) if c.purpose == ChannelPurpose.UPDATES.value]


def why_not_lead(deps: Deps, directory: Directory, person: Person) -> str | None:
    if rules.is_lead(directory, person.id):
        return None
    protocol = deps.protocols.current
    return _says("update_not_lead", protocol, management_label=protocol.label(Role.MANAGEMENT),
                 lead_label=protocol.label(Role.LEAD), leads=[mention(directory, p.id) for p in rules.leads(directory)])


# --- the form ------------------------------------------------------------------------------------------------


def form(deps: Deps, directory: Directory, lead: Person, month: str | None = None) -> dict | str:
    """The update form for the month just ended (or `month`), pre-filled when it was sent before; or why not."""
    why = why_not_lead(deps, directory, lead)
    if why:
        return why
    try:
        month = month_of(parse_month(month)) if month else month_due(deps)
    except ValueError:  # a button from an old or altered message: the month just ended
        month = month_due(deps)
    tz, protocol = deps.settings.timezone, deps.protocols.current
    with deps.session() as session:
        existing = repo.of_lead(session=session, lead_id=lead.id, month=month)
        covered = next((u for u in repo.of_month(session=session, month=month)
                        if u.for_all and u.lead_id != lead.id), None)
        figures = draft(deps, session, directory, month)
        channel_count = len(channels(session))
    by = directory.person(covered.lead_id) if covered else None
    intro = _says(
        "update_intro", protocol, existing=slack_date(existing.sent_at, tz) if existing else "",
        management_label=protocol.label(Role.MANAGEMENT), month_label=month_label(month),
        due=slack_date(protocol.lead_update_due_at(month), tz), readers=len(rules.update_readers(directory)),
        channels=channel_count, covered_by=by.label if by else "", covered_on=slack_date(covered.sent_at, tz)
        if covered else "",
    )
    return modals.update_modal(month=month, intro=intro, figures=cards.figures_sections(figures, protocol, tz),
                               existing=existing, several_leads=len(rules.leads(directory)) > 1,
                               token=secrets.token_urlsafe(16), acting=lead.id, words=protocol.words())


# --- sending -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    update_id: int
    replaced: bool
    readers: int  # management team members it went to
    channels: int
    missing: tuple[str, ...]  # management team members without a Slack account
    already: bool = False  # this very form was sent before (a double submission): nothing new happened


class Changed(Exception):
    """The lead sent the month's update from another form after this one was opened."""

    def __init__(self, sent_at: datetime):
        super().__init__("the update was sent from another form")
        self.sent_at = sent_at


def send(deps: Deps, directory: Directory, lead: Person, form: UpdateForm) -> Sent:
    """Write (or replace) the lead's update and its messages, in one transaction. Raises Changed."""
    now = deps.now()
    with deps.session(write=True) as session:
        row = repo.of_lead(session=session, lead_id=lead.id, month=form.month, lock=True)
        if row is not None and row.form_token == form.token:
            return Sent(row.id, row.revision > 1, 0, 0, (), already=True)
        if row is not None and row.revision != form.revision:
            raise Changed(row.sent_at)
        figures = draft(deps, session, directory, form.month).to_dict()
        texts = {k: form.texts.get(k, "") for k, _ in cards.FIELDS}
        if row is None:
            row = repo.add(session=session, month=form.month, lead_id=lead.id, for_all=form.for_all, figures=figures,
                           form_token=form.token, now=now, **texts)
            if row is None:  # sent from another form at the same moment
                raise Changed(repo.of_lead(session=session, lead_id=lead.id, month=form.month).sent_at)
        else:
            row = repo.replace(session=session, row=row, for_all=form.for_all, figures=figures,
                               form_token=form.token, now=now, **texts)
        readers, channel_count, missing = _deliver(deps, session, directory, row, now)
        sent = Sent(row.id, row.revision > 1, readers, channel_count, missing)
    if not sent.replaced:  # the month's update came in: a missing-update item it settles closes by itself
        compliance.report_in(deps, report=LEAD_UPDATE, month=form.month, actor_id=lead.id)
    return sent


def _deliver(deps: Deps, session: Session, directory: Directory, row: LeadUpdate,
             now: datetime) -> tuple[int, int, tuple[str, ...]]:
    """Post the update to every management team member and updates channel, or edit the copies already there."""
    existing = {c.key: c for c in card_repo.of_subject(session=session, subject=subject(row.id))}
    acked_by = _acked_by(existing.values())
    readers, missing = 0, []
    what = f"the {in_sentence(deps.protocols.current.reporting.lead_update_label)}"
    for person in rules.update_readers(directory):
        key = delivery.person_key(person.id)
        card = existing.get(key)
        message = _message(deps, directory, row, cards.Reader("person", card.acked_at if card else None,
                                                             person_id=person.id))
        if not person.slack_id:
            delivery.undeliverable(session, person=person, message=message, what=what, now=now,
                                   dedupe_key=f"{subject(row.id)}:{row.revision}:unreachable:{person.id}")
            missing.append(person.label)
            continue
        readers += 1
        _post_or_edit(session, card, key=key, target=person.slack_id, message=message, row=row, now=now,
                      recipient_id=person.id, held_until=hours.hold(deps.protocols.current, person, now))
    channel_ids = channels(session)
    channel_message = _message(deps, directory, row, cards.Reader("channel", acked_by=acked_by))
    for channel in channel_ids:
        key = delivery.channel_key(channel)
        _post_or_edit(session, existing.get(key), key=key, target=channel, message=channel_message, row=row, now=now)
    # Copies posted to someone who has since left the management team, or a channel since dropped from the
    # roster: edited too, so no stale copy of a replaced update stays behind.
    current = {delivery.person_key(p.id) for p in rules.update_readers(directory)}
    current |= {delivery.channel_key(c) for c in channel_ids}
    for key, card in existing.items():
        if key in current or card.post_outbox_id is None or row.revision == 1:
            continue
        reader = (cards.Reader("person", card.acked_at, person_id=card.recipient_id)
                  if card.recipient_id is not None else None)
        delivery.edit(session, card=card, message=_message(deps, directory, row, reader) if reader else channel_message,
                      now=now)
    return readers, len(channel_ids), tuple(missing)


def _post_or_edit(session: Session, card: MessageCard | None, *, key: str, target: str, message: dict,
                  row: LeadUpdate, now: datetime, recipient_id: int | None = None,
                  held_until: datetime | None = None) -> None:
    if card is not None and card.post_outbox_id is not None:
        delivery.edit(session, card=card, message=message, now=now)
    else:
        delivery.post(session, subject=subject(row.id), key=key, target=target, message=message, now=now,
                      recipient_id=recipient_id, held_until=held_until)


def _message(deps: Deps, directory: Directory, row: LeadUpdate, reader: cards.Reader) -> dict:
    return cards.update_message(row, reader, directory=directory, protocol=deps.protocols.current,
                                tz=deps.settings.timezone)


def _acked_by(rows) -> tuple[int, ...]:
    acked = sorted((c for c in rows if c.recipient_id is not None and c.acked_at is not None), key=lambda c: c.acked_at)
    return tuple(c.recipient_id for c in acked)


# --- acknowledging -------------------------------------------------------------------------------------------


def acknowledge(deps: Deps, directory: Directory, person: Person, update_id: int) -> str | None:
    """A management team member acknowledges an update: their copy and the channel copies say so. Returns why
    nothing was recorded, or None."""
    protocol = deps.protocols.current
    if not rules.is_management(directory, person.id):
        return _says("update_not_management", protocol, management_label=protocol.label(Role.MANAGEMENT))
    now = deps.now()
    with deps.session(write=True) as session:
        row = repo.get(session=session, update_id=update_id, lock=True)
        if row is None:
            return _says("update_gone", protocol)
        key = delivery.person_key(person.id)
        card = card_repo.get(session=session, subject=subject(row.id), key=key)
        if card is None:  # joined the management team after it was sent: their acknowledgement still counts
            card = card_repo.add(session=session, subject=subject(row.id), key=key, recipient_id=person.id,
                                 target=person.slack_id or "", now=now)
        if not card_repo.acknowledge(session=session, card=card, now=now):
            return _says("update_already_acked", protocol, when=slack_date(card.acked_at, deps.settings.timezone))
        existing = card_repo.of_subject(session=session, subject=subject(row.id))
        if card.post_outbox_id is not None:
            mine = _message(deps, directory, row, cards.Reader("person", now, person_id=person.id))
            delivery.edit(session, card=card, message=mine, now=now)
        channel_message = _message(deps, directory, row, cards.Reader("channel", acked_by=_acked_by(existing)))
        for other in existing:
            if other.key.startswith("channel:") and other.post_outbox_id is not None:
                delivery.edit(session, card=other, message=channel_message, now=now)
    return None


# --- the Home tab --------------------------------------------------------------------------------------------


def home_section(deps: Deps, session: Session, directory: Directory, person: Person) -> dict[str, Any] | None:
    """What the Home tab shows about the month's update: a lead's own (sent, acknowledged by N of M, who has
    not), a management team member's received ones (or "not yet received"). None for everyone else."""
    lead, management = rules.is_lead(directory, person.id), rules.is_management(directory, person.id)
    if not (lead or management):
        return None
    tz, protocol, now = deps.settings.timezone, deps.protocols.current, deps.now()
    month = month_due(deps, now)
    due_at = protocol.lead_update_due_at(month)
    sent = repo.of_month(session=session, month=month)
    subjects = [subject(u.id) for u in sent]
    by_subject: dict[str, list[MessageCard]] = {s: [] for s in subjects}
    for card in card_repo.of_subjects(session=session, subjects=subjects):
        by_subject[card.subject].append(card)
    section: dict[str, Any] = {
        "month_label": month_label(month), "month": month, "due": slack_date(due_at, tz), "late": now > due_at,
        "lead": None, "received": None,
    }
    if lead:
        mine = next((u for u in sent if u.lead_id == person.id), None)
        covered = next((u for u in sent if u.for_all and u.lead_id != person.id), None)
        readers = [c for c in by_subject.get(subject(mine.id), []) if c.recipient_id is not None] if mine else []
        section["lead"] = {
            "sent": slack_date(mine.sent_at, tz) if mine else "",
            "acked": sum(1 for c in readers if c.acked_at is not None),
            "readers": len(readers),
            "waiting": [mention(directory, c.recipient_id) for c in readers if c.acked_at is None],
            "covered_by": mention(directory, covered.lead_id) if covered and not mine else "",
        }
    if management:
        received = []
        for u in sent:
            mine = next((c for c in by_subject[subject(u.id)] if c.recipient_id == person.id), None)
            received.append({"id": u.id, "lead": mention(directory, u.lead_id), "for_all": u.for_all,
                             "sent": slack_date(u.sent_at, tz), "acked": bool(mine and mine.acked_at)})
        section["received"] = received
    return section
