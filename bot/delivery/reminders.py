"""Reminders: a scheduled DM delivered once per (kind, period, recipient), in the recipient's working hours, with
*Remind me tomorrow*, and dropped at dispatch if the thing got done before it went out.

The claim (`store.deliveries`) and the outbox row are written in the caller's transaction: a double fire, a
restart or two scheduler processes race for the key, and one wins. Every feature's reminders go through here
(the items' reminders through `enqueue_reminder`).

* Working hours: the row waits in the outbox for the recipient's next working morning (`bot.delivery.hours`).
* Still due?: each reminder carries a check key (`bot.delivery.checks`) the dispatcher evaluates right before
  sending; a reminder for a log submitted, an update sent or minutes confirmed meanwhile is not sent.
* Snooze: every reminder ends with *Remind me tomorrow* (`cards/snooze.json.j2`). A click writes the same
  reminder again for the person's next working morning, with the same check key; at most `MAX_SNOOZES` times
  per thing (the copy after the last snooze says it cannot be put off again and has no button).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.delivery import checks, hours
from bot.ids import Action
from routing import hours as rules
from routing.directory import Person
from routing.protocol import Protocol
from store import deliveries, outbox
from store.models import Outbox
from templates import render_json, render_text

log = logging.getLogger(__name__)

MAX_SNOOZES = 2
SNOOZE_META = "_snooze"  # payload key (stripped before sending): {"person": id, "n": snoozes so far}
SNOOZE_BLOCK = "snooze"


@dataclass
class ReminderStats:
    sent: int = 0
    already: int = 0


def remind_once(session: Session, *, kind: str, period: str, person: Person, template: str, context: dict[str, Any],
                now: datetime, stats: ReminderStats, scope: str = "", addressed_to: str = "",
                protocol: Protocol | None = None, check_key: str | None = None) -> None:
    """DM `person` the reminder `messages/<template>.md.j2` (its first line is the headline), with the button
    `context["button"]` if any, unless this (kind, period, recipient) was delivered already. `addressed_to` names
    the role it is for, when the reader's Slack account stands for several (`bot.slack.format.addressed_to`).
    With `protocol` it waits for the person's working hours; `check_key` is what must still be due when it goes."""
    if not person.slack_id:
        log.warning("%s for %s: %s has no Slack account in the roster", kind, period, person.label)
        return
    recipient = f"person:{person.id}" + (f":{scope}" if scope else "")  # one per team for a two-team facilitator
    claimed = deliveries.claim(session=session, kind=kind, period=period, recipient=recipient, now=now)
    if claimed is None:
        stats.already += 1
        return
    text = render_text(f"messages/{template}.md.j2", **context).strip()
    blocks = render_json("cards/reminder.json.j2", text=text, button=context.get("button"), addressed_to=addressed_to)
    payload = {"channel": person.slack_id, "text": text.split("\n", 1)[0][:300], "blocks": blocks}
    row = enqueue_reminder(session, person=person, payload=payload, now=now, check_key=check_key,
                           held_until=hours.hold(protocol, person, now) if protocol is not None else None)
    assert row is not None  # no dedupe key: always written
    claimed.outbox_id = row.id
    session.add(claimed)
    stats.sent += 1


def enqueue_reminder(session: Session, *, person: Person, payload: dict[str, Any], now: datetime,
                     held_until: datetime | None, check_key: str | None, snoozes: int = 0,
                     dedupe_key: str | None = None, item_id: int | None = None) -> Outbox | None:
    """Write a reminder DM ({"channel", "text", "blocks"}) with its snooze block (which names the row, so the row
    is written first). None if `dedupe_key` was written already."""
    meta = {"person": person.id, "n": snoozes}
    row = outbox.enqueue(session=session, method="chat.postMessage", payload={**payload, SNOOZE_META: meta},
                         now=now, dedupe_key=dedupe_key, item_id=item_id, held_until=held_until, check_key=check_key)
    if row is None:
        return None
    blocks = [b for b in payload.get("blocks", []) if b.get("block_id") != SNOOZE_BLOCK]
    blocks.append(snooze_block(row.id, snoozes))
    row.payload = {**payload, "blocks": blocks, SNOOZE_META: meta}
    session.add(row)
    session.flush()
    return row


def snooze_block(row_id: int, snoozes: int, snoozed_to: str | None = None) -> dict[str, Any]:
    return render_json("cards/snooze.json.j2", action_id=Action.SNOOZE.value, value=str(row_id), snoozes=snoozes,
                       max_snoozes=MAX_SNOOZES, snoozed_to=snoozed_to)


@dataclass(frozen=True)
class Snoozed:
    text: str  # what the clicker is told
    ok: bool


def snooze(session: Session, *, protocol: Protocol, person: Person, value: str | None, now: datetime,
           still_due) -> Snoozed:
    """*Remind me tomorrow* on the reminder written as outbox row `value`, clicked by `person`. `still_due(key)`
    says whether the thing is still to do. A second click on the same message snoozes once."""
    row = session.get(Outbox, int(value)) if value and value.isdigit() else None
    meta = (row.payload or {}).get(SNOOZE_META) if row is not None else None
    if row is None or not isinstance(meta, dict):
        return Snoozed(render_text("messages/snooze_refused.md.j2", reason="gone", max_snoozes=MAX_SNOOZES), False)
    if meta.get("person") != person.id:
        return Snoozed(render_text("messages/snooze_refused.md.j2", reason="not_yours", max_snoozes=MAX_SNOOZES),
                       False)
    snoozes = int(meta.get("n", 0))
    if snoozes >= MAX_SNOOZES:
        return Snoozed(render_text("messages/snooze_refused.md.j2", reason="limit", max_snoozes=MAX_SNOOZES), False)
    if row.check_key and not still_due(row.check_key):
        return Snoozed(render_text("messages/snooze_refused.md.j2", reason="done", max_snoozes=MAX_SNOOZES), False)
    at = hours.tomorrow(protocol, person, now)
    when = rules.morning_label(at, hours.zone_of(protocol, person))
    payload = {k: v for k, v in row.payload.items() if k != SNOOZE_META}
    again = enqueue_reminder(session, person=person, payload=payload, now=now, held_until=at,
                             check_key=row.check_key, snoozes=snoozes + 1, dedupe_key=f"snooze:{row.id}",
                             item_id=row.item_id)
    if again is None:
        return Snoozed(render_text("messages/snoozed.md.j2", already=True, when=when, last=False), True)
    where = row.result or {}
    if where.get("channel") and where.get("ts"):  # the clicked message says it is snoozed, without the button
        blocks = [b for b in row.payload.get("blocks", []) if b.get("block_id") != SNOOZE_BLOCK]
        blocks.append(snooze_block(row.id, snoozes, snoozed_to=when))
        outbox.enqueue(session=session, method="chat.update", now=now, dedupe_key=f"snooze:{row.id}:update",
                       payload={"channel": where["channel"], "ts": where["ts"], "text": row.payload.get("text", ""),
                                "blocks": blocks})
    last = snoozes + 1 >= MAX_SNOOZES
    return Snoozed(render_text("messages/snoozed.md.j2", already=False, when=when, last=last), True)


def snooze_clicked(deps, person: Person, value: str | None) -> str:
    """The click on *Remind me tomorrow*, in one write transaction: what to tell the clicker."""
    with deps.session(write=True) as session:
        result = snooze(session, protocol=deps.protocols.current, person=person, value=value, now=deps.now(),
                        still_due=lambda key: checks.still_due(session, key))
    return result.text
