"""Is the thing a reminder is about still to do? Evaluated by the dispatcher right before a reminder is sent
(and by *Remind me tomorrow*), not only when the reminder was scheduled: a log submitted at 07:55 stops the
reminder waiting for 08:07.

A check key is "<kind>:<fields>", written with the reminder (`outbox.check_key`):

* `log:<team id>:<YYYY-MM>`: the team's monthly coaching log is not submitted;
* `update:<YYYY-MM>:<lead id>`: no CST update covers the lead for the month (their own, or one sent for all);
* `card:<message card id>`: the reader has not acknowledged the message card (management minutes' *Got it*);
* `item:<item id>:<deadline ISO>`: the item is open and its step's deadline is the one reminded of (an answer,
  an escalation, a reassignment or a new stage all change it).

An unknown kind, or a key that does not parse, counts as still due: better one reminder too many than a lost one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import Session

from routing import monthly_loop as rules
from routing.model import ItemState
from store import coaching_log, updates
from store import items as item_repo
from store.models import MessageCard

log = logging.getLogger(__name__)


def log_key(team_id: int, month: str) -> str:
    return f"log:{team_id}:{month}"


def update_key(month: str, lead_id: int) -> str:
    return f"update:{month}:{lead_id}"


def card_key(card_id: int) -> str:
    return f"card:{card_id}"


def item_key(item_id: int, deadline_iso: str | None) -> str:
    return f"item:{item_id}:{deadline_iso or ''}"


def _log(session: Session, fields: str) -> bool:
    team, month = fields.split(":", 1)
    return not coaching_log.is_locked(session=session, team_id=int(team), month=month)


def _update(session: Session, fields: str) -> bool:
    month, lead = fields.split(":", 1)
    sent = [rules.SentUpdate(u.lead_id, u.for_all) for u in updates.of_month(session=session, month=month)]
    return not rules.update_covers(sent, int(lead))


def _card(session: Session, fields: str) -> bool:
    card = session.get(MessageCard, int(fields))
    return card is not None and card.acked_at is None


def _item(session: Session, fields: str) -> bool:
    item_id, deadline = fields.split(":", 1)
    row = item_repo.get(session=session, item_id=int(item_id))
    if row is None:
        return False
    state = ItemState.from_dict(row.state)
    current = state.deadline_at.isoformat() if state.deadline_at else ""
    return state.is_open and current == deadline


CHECKS: dict[str, Callable[[Session, str], bool]] = {"log": _log, "update": _update, "card": _card, "item": _item}


def still_due(session: Session, key: str | None) -> bool:
    """Whether the reminder with check key `key` is still worth sending."""
    if not key:
        return True
    kind, _, fields = key.partition(":")
    check = CHECKS.get(kind)
    if check is None:
        log.warning("unknown reminder check %r: sent anyway", kind)
        return True
    try:
        return check(session, fields)
    except ValueError:
        log.warning("reminder check %r does not parse: sent anyway", key)
        return True
