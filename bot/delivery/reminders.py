"""A scheduled reminder DM, delivered once per (kind, period, recipient) however often its job runs.

The claim (`store.deliveries`) and the outbox row are written in the caller's transaction: a double fire, a
restart or two scheduler processes race for the key, and one wins. Every feature's reminders go through here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from routing.directory import Person
from store import deliveries, outbox
from templates import render_json, render_text

log = logging.getLogger(__name__)


@dataclass
class ReminderStats:
    sent: int = 0
    already: int = 0


def remind_once(session: Session, *, kind: str, period: str, person: Person, template: str, context: dict[str, Any],
                now: datetime, stats: ReminderStats, scope: str = "", addressed_to: str = "") -> None:
    """DM `person` the reminder `messages/<template>.md.j2` (its first line is the headline), with the button
    `context["button"]` if any, unless this (kind, period, recipient) was delivered already. `addressed_to` names
    the role it is for, when the reader's Slack account stands for several (`bot.slack.format.addressed_to`)."""
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
    row = outbox.enqueue(session=session, method="chat.postMessage", now=now,
                         payload={"channel": person.slack_id, "text": text.split("\n", 1)[0][:300], "blocks": blocks})
    claimed.outbox_id = row.id
    session.add(claimed)
    stats.sent += 1
