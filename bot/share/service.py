"""`/cst share`: the management team, a state contact or a lead facilitator shares a report or notice (a title, a
text, a link and/or uploaded files) with audiences of the network: the CST facilitators, every CST member, the
summaries' audiences (Learning Services, RPDC directors, area supervisors) and the management team.

Sending writes the share and one DM per recipient in one transaction: the DMs are outbox rows written by one
INSERT, keyed per share and recipient, so a Slack outage delays them and never loses or doubles one. The sender's
Home lists each share with "delivered to N of M", counted from those rows' states. Who may share and who each
audience is: `routing.sharing`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.delivery import cards as delivery
from bot.delivery import hours
from bot.deps import Deps
from bot.share import cards, modals
from bot.share.modals import ShareForm
from bot.slack.format import addressed_to, slack_date
from routing import sharing as rules
from routing.directory import Directory, Person, Role
from routing.protocol import AUDIENCE_KEYS, Protocol
from routing.vocabulary import in_sentence
from store import outbox
from store import shares as repo
from store.models import Share
from templates import render_text

RECENT = 5  # shares listed on the sender's Home tab


def _says(deps: Deps, template: str, **kw: Any) -> str:
    return render_text(f"messages/{template}.md.j2", words=deps.protocols.current.words(), **kw).strip()


def audience_label(protocol: Protocol, audience: str, *, in_text: bool = False) -> str:
    """What an audience is called, in the protocol's words ("CST facilitators", "DESE Learning Services", ...);
    `in_text`: as it reads inside a sentence ("all CST members", "area supervisors")."""
    label = _label(protocol, audience)
    return in_sentence(label) if in_text else label


def _label(protocol: Protocol, audience: str) -> str:
    if audience == rules.FACILITATORS:
        return f"{protocol.label(Role.FACILITATOR)}s"
    if audience == rules.MEMBERS:
        return f"All {in_sentence(protocol.label(Role.MEMBER))}s"
    if audience == rules.MANAGEMENT:
        return protocol.label(Role.MANAGEMENT)
    if audience in AUDIENCE_KEYS:
        return protocol.audience(audience).label
    return audience


def why_not_sender(deps: Deps, directory: Directory, person: Person) -> str | None:
    """Why this person cannot share (not among the sharers: told who can, and nothing else), or None."""
    if rules.can_share(directory, person.id):
        return None
    protocol = deps.protocols.current
    # "the MMD management team, DESE trainer-match contacts and lead facilitators": a team, then people
    sharers = [in_sentence(protocol.label(r)) + ("" if r is Role.MANAGEMENT else "s") for r in rules.SHARERS]
    return _says(deps, "share_not_allowed", sharers=sharers)


def form(deps: Deps, directory: Directory, person: Person) -> dict | str:
    why = why_not_sender(deps, directory, person)
    if why:
        return why
    protocol = deps.protocols.current
    options = []
    for audience in rules.AUDIENCES:
        count = sum(1 for p in rules.audience_people(directory, audience) if p.id != person.id)
        options.append({"value": audience, "text": audience_label(protocol, audience),
                        "description": f"{count} {'person' if count == 1 else 'people'}" if count else "nobody yet"})
    intro = _says(deps, "share_intro")
    return modals.share_modal(intro=intro, token=secrets.token_urlsafe(16), acting=person.id, options=options)


def nobody_in(deps: Deps, directory: Directory, person: Person, audiences: list[str]) -> str | None:
    """The field error when the chosen audiences reach nobody (but the sender), else None."""
    if rules.recipients(directory, audiences, sender_id=person.id):
        return None
    protocol = deps.protocols.current
    return _says(deps, "share_nobody", audiences=[audience_label(protocol, a, in_text=True) for a in audiences])


# --- sending -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    share: Share
    recipients: int
    missing: tuple[str, ...]
    already: bool = False


def _message(deps: Deps, directory: Directory, row: Share) -> dict:
    protocol = deps.protocols.current
    return cards.share_message(row, directory=directory, protocol=protocol, tz=deps.settings.timezone,
                               audiences=[audience_label(protocol, a, in_text=True) for a in row.audiences])


def send(deps: Deps, directory: Directory, person: Person, form: ShareForm) -> Sent:
    """Store the share and a DM per recipient in one transaction (a form sent twice is stored once)."""
    now = deps.now()
    people = rules.recipients(directory, form.audiences, sender_id=person.id)
    protocol = deps.protocols.current
    with deps.session(write=True) as session:
        row = repo.add(session=session, sender_id=person.id, title=form.title, text=form.text, link=form.link,
                       files=form.files, audiences=form.audiences, recipient_ids=[p.id for p in people],
                       form_token=form.token, now=now)
        if row is None:
            return Sent(repo.by_token(session=session, form_token=form.token), 0, (), already=True)
        message = _message(deps, directory, row)
        rows, missing = [], []
        for p in people:
            key = repo.delivery_key(row.id, p.id)
            if not p.slack_id:  # kept as a failed delivery (one row each): the admins see it on their Home tab
                delivery.undeliverable(session, person=p, message=message, what="the share", now=now, dedupe_key=key)
                missing.append(p.label)
                continue
            to = addressed_to(directory, protocol, p.id)  # one Slack account playing several people (a trial)
            blocks = [cards.addressed_block(to), *message["blocks"]] if to else message["blocks"]
            rows.append({"method": "chat.postMessage", "payload": {**message, "blocks": blocks, "channel": p.slack_id},
                         "dedupe_key": key, "held_until": hours.hold(protocol, p, now)})  # their working hours
        outbox.enqueue_many(session=session, rows=rows, now=now)
        return Sent(row, len(people), tuple(missing))


# --- the Home tab --------------------------------------------------------------------------------------------


def home_section(deps: Deps, session: Session, directory: Directory, person: Person) -> dict[str, Any] | None:
    """A sharer's shares, newest first, each with "delivered to N of M"; None for everyone else."""
    if not rules.can_share(directory, person.id):
        return None
    tz, protocol = deps.settings.timezone, deps.protocols.current
    rows = repo.sent_by(session=session, sender_id=person.id, limit=RECENT)
    delivered = repo.delivered(session=session, shares=rows)
    return {"sent": [{"title": r.title, "when": slack_date(r.sent_at, tz), "delivered": delivered[r.id],
                      "recipients": len(r.recipient_ids),
                      "audiences": [audience_label(protocol, a, in_text=True) for a in r.audiences]} for r in rows]}
