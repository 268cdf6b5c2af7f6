"""The outbox dispatcher: sends claimed rows to the Slack Web API, retries, and gives up visibly.

- HTTP 429: the row (and every other row for that method) waits for Retry-After; the attempt is not held
  against the row, since nothing was wrong with it.
- 5xx, timeouts, connection errors: retried with exponential backoff (5 s, 10 s, 20 s ... capped at 15 min).
  slack_sdk's ConnectionErrorRetryHandler absorbs a single dropped connection inside the call itself.
- Errors that a retry cannot fix (channel_not_found, invalid_blocks, ...): failed at once.
- Anything still failing `give_up_after` (default 24 h) after it was written: failed.
Failed rows stay in the table, are logged at ERROR and shown to admins on their App Home.

Waiting never sleeps inside a send: a row that must wait is put back with a later `next_attempt_at`, so a
rate limit on one method does not stall the others, and tests drive it with a frozen clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store import cards
from store import outbox as repo
from store.db import session_scope
from store.models import Outbox
from store.outbox import CARD_META

log = logging.getLogger(__name__)

# Slack errors no retry will fix: the payload or its target is wrong.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "invalid_arg_name",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "view_too_large",
        "not_enabled",
        "invalid_json",
        "json_not_object",
        "missing_scope",
    }
)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 15 * 60))


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0

    def __bool__(self) -> bool:
        return bool(self.sent or self.retried or self.failed or self.deferred)


@dataclass
class Dispatcher:
    engine: Engine
    client: WebClient
    clock: Callable[[], datetime]
    worker: str = "dispatcher"
    batch: int = 50
    give_up_after: timedelta = timedelta(hours=24)
    _paused: dict[str, datetime] = field(default_factory=dict)

    def run_once(self) -> DispatchStats:
        """Claim one batch of due rows and send them. Returns what happened."""
        with session_scope(self.engine, write=True) as session:
            rows = repo.claim(session=session, worker=self.worker, now=self.clock(), limit=self.batch)
        stats = DispatchStats()
        for row in rows:  # oldest first, so an item's earlier messages are settled before its later ones
            self._handle(row.id, stats)
        return stats

    def run_forever(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        log.info("outbox dispatcher %s started", self.worker)
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # keep the loop alive through a database hiccup; it is logged
                log.exception("outbox dispatcher %s: batch failed", self.worker)
                busy = False
            if not busy:
                stop.wait(idle_seconds)
        log.info("outbox dispatcher %s stopped", self.worker)

    # --- one row ---------------------------------------------------------------------------------------

    def _handle(self, row_id: int, stats: DispatchStats) -> None:
        """Prepare (or defer) the row, call Slack outside any transaction, then record the outcome.

        Each step re-reads the row and acts only while this dispatcher still holds its claim, so a row whose
        lease ran out during a slow batch (and was taken over) is not sent or recorded twice. Both database
        steps are write transactions: on SQLite they wait their turn instead of failing after the Slack call.
        """
        now = self.clock()
        with session_scope(self.engine, write=True) as session:
            row = self._held(session, row_id)
            if row is None:
                return
            row.claimed_at = now  # renew the lease for the call below
            payload = self._prepare(session, row, now, stats)
            if payload is None:
                return
            method, card = row.method, row.payload.get(CARD_META)
        try:
            response, error = self.client.api_call(method, json=payload), None
        except Exception as exc:  # SlackApiError, timeouts, refused connections after the client's own retry
            response, error = None, exc
        now = self.clock()
        with session_scope(self.engine, write=True) as session:
            row = self._held(session, row_id)
            if row is None:
                log.warning("outbox row %s: claim lost while sending; another dispatcher owns it now", row_id)
                return
            if isinstance(error, SlackApiError):
                self._on_slack_error(session, row, now, error, stats)
            elif error is not None:
                self._retry_or_fail(session, row, now, f"{type(error).__name__}: {error}", stats)
            else:
                data = response.data if isinstance(response.data, dict) else {}
                result = {k: data[k] for k in ("channel", "ts", "message_ts") if k in data}
                repo.mark_sent(session=session, row=row, now=now, result=result)
                if card and method == "chat.postMessage" and "ts" in data:
                    cards.remember_location(session=session, meta=card, channel=data.get("channel"), ts=data["ts"])
                stats.sent += 1

    def _held(self, session: Session, row_id: int) -> Outbox | None:
        return repo.held(session=session, row_id=row_id, worker=self.worker)

    def _prepare(self, session: Session, row: Outbox, now: datetime, stats: DispatchStats) -> dict | None:
        """The payload to send now, or None when the row waits (order, rate limit, card not posted yet) or has
        nothing to do (an edit of a card that was never posted)."""
        earlier_due = repo.earlier_due(session=session, row=row)
        paused_until = self._paused.get(row.method)
        if earlier_due is not None:  # keep each item's messages in order: one waits, its later ones wait
            self._defer(session, row, max(earlier_due, now + timedelta(seconds=1)), "waiting for an earlier message",
                        stats)
            return None
        if paused_until and paused_until > now:
            self._defer(session, row, paused_until, f"{row.method} rate limited", stats)
            return None
        payload = {k: v for k, v in row.payload.items() if not k.startswith("_")}
        card = row.payload.get(CARD_META)
        if card and row.method == "chat.update":
            if cards.superseded(session=session, meta=card):  # a newer edit of the same message follows
                repo.mark_sent(session=session, row=row, now=now, result={"skipped": "a newer edit follows"})
                stats.sent += 1
                return None
            where = cards.location(session=session, meta=card)
            if where is None:
                if cards.post_pending(session=session, meta=card):
                    self._defer(session, row, now + timedelta(seconds=2), "card not posted yet", stats)
                else:  # the card was never posted (it failed): nothing to edit
                    repo.mark_sent(session=session, row=row, now=now, result={"skipped": "no card to update"})
                    stats.sent += 1
                return None
            payload.update(where)
        return payload

    def _defer(self, session: Session, row: Outbox, at: datetime, why: str, stats: DispatchStats) -> None:
        repo.mark_retry(session=session, row=row, at=at, error=why, count_attempt=False)
        stats.deferred += 1

    def _on_slack_error(
        self, session: Session, row: Outbox, now: datetime, exc: SlackApiError, stats: DispatchStats
    ) -> None:
        status = exc.response.status_code
        error = (exc.response.data or {}).get("error", "") if isinstance(exc.response.data, dict) else ""
        if status == 429:
            retry_after = _retry_after(exc.response.headers)
            until = now + timedelta(seconds=retry_after)
            self._paused[row.method] = until
            log.warning("outbox: %s rate limited for %ss", row.method, retry_after)
            self._defer(session, row, until, f"rate limited (Retry-After {retry_after}s)", stats)
        elif error in PERMANENT_ERRORS:
            self._fail(session, row, f"Slack refused {row.method}: {error}", stats)
        else:
            self._retry_or_fail(session, row, now, f"HTTP {status} {error}".strip(), stats)

    def _retry_or_fail(self, session: Session, row: Outbox, now: datetime, error: str, stats: DispatchStats):
        if now - row.created_at >= self.give_up_after:
            self._fail(session, row, f"gave up after {row.attempts} attempts: {error}", stats)
            return
        repo.mark_retry(session=session, row=row, at=now + _backoff(row.attempts), error=error)
        stats.retried += 1
        log.warning("outbox row %s (%s) will be retried: %s", row.id, row.method, error)

    def _fail(self, session: Session, row: Outbox, error: str, stats: DispatchStats) -> None:
        repo.mark_failed(session=session, row=row, error=error)
        stats.failed += 1
        log.error("outbox row %s (%s) failed: %s", row.id, row.method, error)


def _retry_after(headers: Any) -> int:
    value = None
    if headers:
        value = headers.get("Retry-After") or headers.get("retry-after")
        if isinstance(value, list):
            value = value[0] if value else None
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 30
