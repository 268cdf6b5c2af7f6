"""Management team minutes, down the chain (CST Implementation Guide, Communication Protocol: "Management Team
meeting minutes are shared with the CST facilitators"; "The CST facilitator is the conduit of information").

Sharing writes the minutes, a message card per facilitator (DM, with *Got it* and *Share with my team*) and per
`minutes` channel, and their outbox rows, in one transaction. *Got it* is the facilitator's card's
acknowledgement; *Share with my team* records a share per team and DMs the team's members once each. Who may do
what is `routing.monthly_loop`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.delivery import cards as delivery
from bot.delivery import hours
from bot.deps import Deps
from bot.minutes import cards, modals
from bot.minutes.cards import meeting_label
from bot.minutes.modals import MinutesForm, ShareForm
from bot.slack.format import mention, slack_date
from routing import monthly_loop as rules
from routing.directory import Directory, Person, Role
from store import cards as card_repo
from store import minutes as repo
from store.directory import ChannelPurpose, load_channels
from store.models import MessageCard, Minutes, MinutesShare
from templates import render_text

RECENT = 3  # minutes listed on a Home tab


def _says(deps: Deps, template: str, **kw: Any) -> str:
    return render_text(f"messages/{template}.md.j2", words=deps.protocols.current.words(), **kw).strip()


def subject(minutes_id: int) -> str:
    return f"minutes:{minutes_id}"


def channels(session: Session) -> list[str]:
    return [c.channel_id for c in load_channels(session=session) if c.purpose == ChannelPurpose.MINUTES.value]


def why_not_sender(deps: Deps, directory: Directory, person: Person) -> str | None:
    """Why this person cannot share minutes now (not on the management team; nobody to share with), or None."""
    if not rules.is_management(directory, person.id):
        return _says(deps, "minutes_not_management", management_label=deps.protocols.current.label(Role.MANAGEMENT))
    if not rules.minutes_readers(directory):
        admins = [mention(directory, a.id) for a in directory.holders(Role.ADMIN)]
        return _says(deps, "minutes_no_facilitators", admins=admins)
    return None


def today(deps: Deps):
    return deps.now().astimezone(deps.protocols.current.timezone).date()


def form(deps: Deps, directory: Directory, person: Person) -> dict | str:
    why = why_not_sender(deps, directory, person)
    if why:
        return why
    with deps.session() as session:
        channel_count = len(channels(session))
    intro = _says(deps, "minutes_intro", facilitators=len(rules.minutes_readers(directory)), channels=channel_count,
                  reminder_days=rules.MINUTES_REMINDER_BUSINESS_DAYS)
    return modals.minutes_modal(intro=intro, today=today(deps), token=secrets.token_urlsafe(16), acting=person.id)


# --- rendering a copy ----------------------------------------------------------------------------------------


def _facilitator_reader(directory: Directory, person_id: int, card: MessageCard | None,
                        shares: Iterable[MinutesShare]) -> cards.Reader:
    teams = {t.id: t.name for t in rules.conduit_teams(directory, person_id)}
    done = {s.team_id: s for s in shares}
    mine = tuple(done[t] for t in teams if t in done)
    return cards.Reader("facilitator", acked_at=card.acked_at if card else None, shares=mine,
                        can_share=any(t not in done for t in teams), teams=teams, person_id=person_id)


def _message(deps: Deps, directory: Directory, minutes: Minutes, reader: cards.Reader) -> dict:
    return cards.minutes_message(minutes, reader, directory=directory, protocol=deps.protocols.current,
                                 tz=deps.settings.timezone)


# --- sharing the minutes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    minutes: Minutes
    facilitators: int
    channels: int
    missing: tuple[str, ...]
    already: bool = False


def send(deps: Deps, directory: Directory, person: Person, form: MinutesForm) -> Sent:
    """Store the minutes and their messages in one transaction (a form sent twice is stored once)."""
    now = deps.now()
    with deps.session(write=True) as session:
        row = repo.add(session=session, meeting_date=form.meeting_date, sender_id=person.id, text=form.text,
                       link=form.link, files=form.files, decisions=form.decisions, action_items=form.action_items,
                       form_token=form.token, now=now)
        if row is None:
            return Sent(repo.by_token(session=session, form_token=form.token), 0, 0, (), already=True)
        count, missing = 0, []
        for reader in rules.minutes_readers(directory):
            message = _message(deps, directory, row, _facilitator_reader(directory, reader.id, None, ()))
            if not reader.slack_id:
                delivery.undeliverable(session, person=reader, message=message, what="the management minutes",
                                       now=now, dedupe_key=f"{subject(row.id)}:unreachable:{reader.id}")
                missing.append(reader.label)
                continue
            delivery.post(session, subject=subject(row.id), key=delivery.person_key(reader.id),
                          target=reader.slack_id, message=message, now=now, recipient_id=reader.id,
                          held_until=hours.hold(deps.protocols.current, reader, now))
            count += 1
        channel_ids = channels(session)
        channel_message = _message(deps, directory, row, cards.Reader("channel"))
        for channel in channel_ids:
            delivery.post(session, subject=subject(row.id), key=delivery.channel_key(channel), target=channel,
                          message=channel_message, now=now)
        return Sent(row, count, len(channel_ids), tuple(missing))


# --- Got it --------------------------------------------------------------------------------------------------


def acknowledge(deps: Deps, directory: Directory, person: Person, minutes_id: int) -> str | None:
    """*Got it*: the facilitator's copy says so. Returns why nothing was recorded, or None."""
    now = deps.now()
    with deps.session(write=True) as session:
        row = repo.get(session=session, minutes_id=minutes_id, lock=True)
        if row is None:
            return _says(deps, "minutes_gone")
        card = card_repo.get(session=session, subject=subject(row.id), key=delivery.person_key(person.id))
        if card is None:
            return _says(deps, "minutes_not_recipient")
        if not card_repo.acknowledge(session=session, card=card, now=now):
            return _says(deps, "minutes_already_acked", when=slack_date(card.acked_at, deps.settings.timezone))
        shares = repo.shares(session=session, minutes_ids=[row.id])
        if card.post_outbox_id is not None:
            reader = _facilitator_reader(directory, person.id, card, shares)
            delivery.edit(session, card=card, message=_message(deps, directory, row, reader), now=now)
    return None


# --- Share with my team --------------------------------------------------------------------------------------


def _teams_to_share(session: Session, directory: Directory, person: Person, row: Minutes
                    ) -> tuple[list, list[MinutesShare]]:
    """The facilitator's teams that have not had these minutes yet, and the shares of those that have."""
    done = {s.team_id: s for s in repo.shares(session=session, minutes_ids=[row.id])}
    teams = rules.conduit_teams(directory, person.id)
    return [t for t in teams if t.id not in done], [done[t.id] for t in teams if t.id in done]


def _why_not_conduit(deps: Deps, session: Session, directory: Directory, person: Person,
                     row: Minutes | None) -> str | None:
    if row is None:
        return _says(deps, "minutes_gone")
    if not rules.conduit_teams(directory, person.id):
        yours = {mention(directory, p.id) for m in directory.index.memberships_of(person.id)
                 for p in directory.index.facilitators_of(m.team_id)}
        return _says(deps, "minutes_not_facilitator", facilitators=sorted(yours))
    if card_repo.get(session=session, subject=subject(row.id), key=delivery.person_key(person.id)) is None:
        return _says(deps, "minutes_not_recipient")
    return None


def _already(deps: Deps, directory: Directory, shares: list[MinutesShare]) -> str:
    tz = deps.settings.timezone
    return _says(deps, "minutes_already_shared", shares=[
        {"by": mention(directory, s.facilitator_id), "team": directory.teams[s.team_id].name
         if s.team_id in directory.teams else f"team {s.team_id}", "when": slack_date(s.shared_at, tz)}
        for s in shares])


def share_form(deps: Deps, directory: Directory, person: Person, minutes_id: int) -> dict | str:
    """The "Share with your team" modal, or why this person cannot (or need not) share these minutes."""
    with deps.session() as session:
        row = repo.get(session=session, minutes_id=minutes_id)
        why = _why_not_conduit(deps, session, directory, person, row)
        if why:
            return why
        todo, done = _teams_to_share(session, directory, person, row)
    if not todo:
        return _already(deps, directory, done)
    members = {p.id for t in todo for p in rules.team_audience(directory, t.id)}
    intro = _says(deps, "minutes_share_intro", meeting=meeting_label(row), members=len(members),
                  teams=[t.name for t in todo])
    return modals.share_modal(minutes_id=row.id, intro=intro, acting=person.id)


def share(deps: Deps, directory: Directory, person: Person, form: ShareForm) -> str:
    """Pass the minutes on to the facilitator's teams: one DM per member, a share recorded per team, the
    facilitator's copy (and any co-facilitator's) edited to say so. Returns what to tell the facilitator."""
    now = deps.now()
    with deps.session(write=True) as session:
        row = repo.get(session=session, minutes_id=form.minutes_id, lock=True) if form.minutes_id is not None else None
        why = _why_not_conduit(deps, session, directory, person, row)
        if why:
            return why
        todo, done = _teams_to_share(session, directory, person, row)
        shared, reached, missing, nobody = [], set(), [], []
        for team in todo:
            audience = rules.team_audience(directory, team.id)
            share_row = repo.add_share(session=session, minutes_id=row.id, team_id=team.id, facilitator_id=person.id,
                                       note=form.note, members=len(audience), now=now)
            if share_row is None:
                continue  # a co-facilitator shared it a moment ago
            shared.append(share_row)
            if not audience:
                nobody.append(team.name)
            for member in audience:
                message = _message(deps, directory, row, cards.Reader("member", share=share_row, team=team.name,
                                                                     person_id=member.id))
                if member.id in reached:
                    continue  # on two of the facilitator's teams: one copy
                reached.add(member.id)
                if not delivery.send_dm(session, person=member, message=message, now=now, what="the management minutes",
                                        dedupe_key=f"{subject(row.id)}:member:{member.id}",
                                        held_until=hours.hold(deps.protocols.current, member, now)):
                    missing.append(member.label)
        if not shared:  # nothing left to share (a co-facilitator was quicker)
            return _already(deps, directory, _teams_to_share(session, directory, person, row)[1])
        card = card_repo.get(session=session, subject=subject(row.id), key=delivery.person_key(person.id))
        card_repo.acknowledge(session=session, card=card, now=now)  # passing them on means they have them
        _refresh_facilitators(deps, session, directory, row, {s.team_id for s in shared}, now)
    return _says(deps, "minutes_shared", meeting=meeting_label(row),
                 teams=[directory.teams[s.team_id].name for s in shared], members=len(reached) - len(missing),
                 missing=missing, nobody=nobody)


def _refresh_facilitators(deps: Deps, session: Session, directory: Directory, row: Minutes, team_ids: set[int],
                          now: datetime) -> None:
    """Every facilitator of the teams just shared with sees it on their copy."""
    shares = repo.shares(session=session, minutes_ids=[row.id])
    people = {p.id for t in team_ids for p in directory.index.facilitators_of(t)}
    for card in card_repo.of_subject(session=session, subject=subject(row.id)):
        if card.recipient_id in people and card.post_outbox_id is not None:
            reader = _facilitator_reader(directory, card.recipient_id, card, shares)
            delivery.edit(session, card=card, message=_message(deps, directory, row, reader), now=now)


# --- the Home tab --------------------------------------------------------------------------------------------


def home_section(deps: Deps, session: Session, directory: Directory, person: Person) -> dict[str, Any] | None:
    """Management: the minutes they shared lately, and who has not confirmed; facilitators and members: the last
    minutes that reached them. None when there is nothing to show."""
    tz = deps.settings.timezone
    management = rules.is_management(directory, person.id)
    sent = []
    if management:
        rows = repo.sent_by(session=session, sender_id=person.id, limit=RECENT)
        by_subject: dict[str, list[MessageCard]] = {subject(r.id): [] for r in rows}
        for card in card_repo.of_subjects(session=session, subjects=by_subject):
            by_subject[card.subject].append(card)
        for r in rows:
            readers = [c for c in by_subject[subject(r.id)] if c.recipient_id is not None]
            sent.append({"meeting": meeting_label(r), "sent": slack_date(r.sent_at, tz), "readers": len(readers),
                         "acked": sum(1 for c in readers if c.acked_at is not None),
                         "waiting": [mention(directory, c.recipient_id) for c in readers if c.acked_at is None]})
    received = _received(deps, session, directory, person)
    if not (management or received):
        return None
    return {"can_share": management, "sent": sent, "received": received}


def _received(deps: Deps, session: Session, directory: Directory, person: Person) -> list[dict[str, Any]]:
    """The last minutes that reached the person: as a facilitator (their own copy) or through their team."""
    tz = deps.settings.timezone
    got: dict[int, datetime] = {}
    rows: dict[int, Minutes] = {}
    team_ids = [m.team_id for m in directory.index.memberships_of(person.id)]
    for minutes_row, kind, _via, at in repo.reached(session=session, person_id=person.id, team_ids=team_ids,
                                                    limit=RECENT):  # one query
        rows[minutes_row.id] = minutes_row
        if kind == "card":
            got[minutes_row.id] = at  # the person's own copy (the oldest card of the minutes, as cards are read)
        else:
            got.setdefault(minutes_row.id, at)
    newest = sorted(got.items(), key=lambda kv: kv[1], reverse=True)[:RECENT]
    return [{"meeting": meeting_label(rows[i]), "sender": mention(directory, rows[i].sender_id),
             "when": slack_date(at, tz), "link": rows[i].link, "summary": (rows[i].text or "").split("\n", 1)[0][:200]}
            for i, at in newest if i in rows]
