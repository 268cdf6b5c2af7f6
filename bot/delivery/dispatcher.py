"""The outbox dispatcher: sends claimed rows to the Slack Web API, retries, and gives up visibly.

- HTTP 429: the row (and every other row for that method) waits for Retry-After; the attempt is not held
  against the row, since nothing was wrong with it.
- 5xx, timeouts, connection errors: retried with exponential backoff (5 s, 10 s, 20 s ... capped at 15 min);
  once a call of the same method succeeds again, the rows waiting out such a backoff are sent at once.
- Errors that a retry cannot fix (channel_not_found, invalid_blocks, ...): failed at once.
- Anything still failing `give_up_after` (default 24 h) after it was written: failed.
Failed rows stay in the table, are logged at ERROR and shown to admins on their App Home.

Exactly once, as far as Slack allows. chat.postMessage has no idempotency key, so every message carries Slack
message metadata naming its outbox row (`{"event_type": "cstbot_outbox", "event_payload": {"outbox_id": N}}`).
Before a call that could post a message twice (chat.postMessage, a file share) the row is marked in doubt
(`in_doubt_since`, committed before the call). Slack's answer settles it either way: the message is there
(sent), or Slack said it did nothing (429, an error answer, a refused connection: the mark is taken back).
When the answer is lost (a timeout, a reset connection, a 5xx or internal_error, a dispatcher that died
mid-call, the database gone between sending and recording), the mark stays, and before the row is sent again
the dispatcher reads the channel's recent history (conversations.history with include_all_metadata, from a
little before the first doubtful call) and, if the message is there, records it as sent with its channel and
ts (an item's card is then edited in place as usual). A person's DM is addressed by user id; its history
needs the DM channel id, which the dispatcher keeps from Slack's answers (`slack_dm_channel`) or, for a first
message, asks conversations.open for. chat.update and views.publish set a state and are simply repeated.
chat.postEphemeral cannot be looked up (ephemeral messages are in no history) and is repeated.

Files (the pseudo-method `files.upload`, payload from `files_upload_payload`): the files are uploaded
(files.getUploadURLExternal and the upload URL, harmless to repeat), their ids kept on the row, then shared
into the channel in one message by files.completeUploadExternal; a doubtful share is looked up in the
history by those file ids.

Claims are leases (`store.outbox.DEFAULT_LEASE`, 10 s) that a heartbeat thread renews every few seconds while a
batch is worked, so a dead dispatcher's rows are taken over within seconds, and a live one's never are.

Waiting never sleeps inside a send: a row that must wait is put back with a later `next_attempt_at`, so a
rate limit on one method does not stall the others, and tests drive it with a frozen clock. A database outage
is logged once when it starts and once when it ends, not once a second.
"""

from __future__ import annotations

import base64
import logging
import threading
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.delivery import checks
from bot.slack.client import never_reached_slack
from store import cards
from store import outbox as repo
from store.db import session_scope
from store.models import Outbox
from store.outbox import CARD_META

log = logging.getLogger(__name__)

METADATA_EVENT = "cstbot_outbox"
FILES_UPLOAD = "files.upload"  # pseudo-method: upload the payload's files and share them in one message
# Calls a repeat would show twice: marked in doubt before the call, looked up in history before a repeat.
POSTS = frozenset({"chat.postMessage", FILES_UPLOAD})
HISTORY = "conversations.history"
DOUBT_NOTE = "; it may have been posted: the channel's history is read before it is sent again"
# The history is read from this long before the first doubtful call: Slack's clock and ours may differ.
HISTORY_MARGIN = timedelta(minutes=2)
HISTORY_PAGE = 200  # Slack's advice: no more than 200 messages a page
HISTORY_PAGES = 5  # a DM or a summaries channel holds far fewer messages in a few minutes
WORKER_LANES = 8  # items a `cstbot worker` sends at the same time; each item's messages stay in order
# When a method works again after failures, its rows waiting out a backoff are sent now rather than up to 15 min
# later (at most once per HURRY_EVERY, and not rows that failed more than HURRY_MAX_ATTEMPTS times: a message
# Slack keeps refusing on its own keeps its backoff).
HURRY_EVERY = timedelta(seconds=10)
HURRY_MAX_ATTEMPTS = 6

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
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
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
# Error answers after which the message may still have been posted: Slack's docs say of internal_error and
# fatal_error "it's possible some aspect of the operation succeeded before the error was raised".
MAYBE_DONE_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable"})
# A history lookup that can never work (an install without the history scopes, a channel the app left): the
# row is sent anyway, once, rather than held until it fails: a duplicate is better than a lost request.
CANNOT_LOOK = frozenset({"missing_scope", "not_in_channel", "channel_not_found", "not_allowed_token_type"})


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 15 * 60))


def outbox_metadata(row_id: int) -> dict[str, Any]:
    """The Slack message metadata that names the outbox row a message was sent for."""
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": row_id}}


def files_upload_payload(channel: str, files: list[tuple[str, str, bytes]], comment: str = "") -> dict[str, Any]:
    """The payload of a `files.upload` row: (filename, title, content) per file, shared into `channel` (a
    channel id, or a user id for the person's DM) in one message with `comment`."""
    return {
        "channel": channel,
        "initial_comment": comment,
        "files": [
            {"filename": name, "title": title, "content": base64.b64encode(content).decode("ascii")}
            for name, title, content in files
        ],
    }


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    found: int = 0  # of `sent`: already in Slack after an unclear answer, recorded without sending again
    dropped: int = 0  # reminders no longer due when their turn came (the thing got done): not sent

    def __bool__(self) -> bool:
        return bool(self.sent or self.retried or self.failed or self.deferred or self.dropped)


@dataclass
class _Attempt:
    """What one row is about to do, read in the prepare transaction and used outside any transaction."""

    row_id: int
    method: str
    payload: dict[str, Any]
    card: dict[str, Any] | None
    doubt: datetime | None  # in_doubt_since before this attempt: the message may already be in Slack
    uploaded: list[dict[str, str]] | None = None  # files.upload: ids of files already uploaded
    channel_id: str | None = None  # the conversation id (a DM's D...), once known

    @property
    def target(self) -> str:
        return str(self.payload.get("channel") or "")


class _LookupFailed(Exception):
    """The history lookup could not be done now; the row waits and tries again."""


@dataclass
class _History:
    """One batch's reads of channel histories: outbox id or file id -> (channel, ts)."""

    oldest: dict[str, float] = field(default_factory=dict)
    by_row: dict[int, tuple[str, str]] = field(default_factory=dict)
    by_file: dict[str, tuple[str, str]] = field(default_factory=dict)


class Heartbeat:
    """Renews the dispatcher's claims every `every` seconds, in a thread, while a batch is worked."""

    def __init__(self, beat: Callable[[], object], every: float) -> None:
        self.beat, self.every = beat, every
        self.beats = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="cstbot-outbox-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def beat_now(self, timeout: float = 10.0) -> bool:
        """Beat at once and wait for it (tests move a frozen clock instead of waiting `every` seconds)."""
        with self._done:
            before = self.beats
            self._wake.set()
            return self._done.wait_for(lambda: self.beats > before, timeout=timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.every)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.beat()
            except Exception:  # the database is away: the batch itself will say so; the lease may lapse
                log.debug("outbox heartbeat failed", exc_info=True)
            with self._done:
                self.beats += 1
                self._done.notify_all()


class _Health:
    """Logs a failing dispatcher loop once when it starts failing and once when it works again."""

    def __init__(self, worker: str, clock: Callable[[], datetime]) -> None:
        self.worker, self.clock = worker, clock
        self.since: datetime | None = None
        self.kind: str | None = None
        self.failures = 0

    def failed(self, exc: Exception) -> None:
        outage = _database_unreachable(exc)
        kind = "database" if outage else f"{type(exc).__module__}.{type(exc).__name__}"
        self.failures += 1
        if self.since is None:
            self.since = self.clock()
        if kind == self.kind:
            log.debug("outbox dispatcher %s: still failing (%s)", self.worker, _one_line(exc))
            return
        self.kind = kind
        if outage:
            log.error("outbox dispatcher %s: database unreachable (%s); retrying every second, nothing is lost",
                      self.worker, _one_line(exc))
        else:  # a bug, not an outage: its traceback once
            log.exception("outbox dispatcher %s: batch failed; retrying every second", self.worker)

    def ok(self) -> None:
        if self.since is None:
            return
        seconds = round((self.clock() - self.since).total_seconds())
        if self.kind == "database":
            log.warning("outbox dispatcher %s: database back after %d s", self.worker, seconds)
        else:
            log.warning("outbox dispatcher %s: batches work again after %d s (%d failed)", self.worker, seconds,
                        self.failures)
        self.since, self.kind, self.failures = None, None, 0


def _database_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


def _one_line(exc: BaseException) -> str:
    """The error's first line (the driver's message, never the statement or its parameters)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


@dataclass
class Dispatcher:
    engine: Engine
    client: WebClient
    clock: Callable[[], datetime]
    worker: str = "dispatcher"
    batch: int = 50
    give_up_after: timedelta = timedelta(hours=24)
    lease: timedelta = repo.DEFAULT_LEASE
    heartbeat_every: float = 3.0  # seconds; well inside the lease
    lanes: int = 1  # items sent at the same time (`cstbot worker`: WORKER_LANES)
    _paused: dict[str, datetime] = field(default_factory=dict)
    _failing: dict[str, datetime] = field(default_factory=dict)  # method -> last retryable failure
    _hurried: dict[str, datetime] = field(default_factory=dict)  # method -> last time its waiting rows were hurried
    _history: _History = field(default_factory=_History)
    heartbeat: Heartbeat | None = None  # the running one, while a batch is worked
    # Renders a row that holds a notice (`Outbox.notice`): (notice, recipient id, context) -> {"text", "blocks"}
    # (`bot.items.cards.Renderer`). A row it cannot render fails visibly, like any failed delivery.
    render: Callable[[str, int | None, dict[str, Any]], dict[str, Any]] | None = None

    def run_once(self) -> DispatchStats:
        """Claim one batch of due rows and send them. Returns what happened.

        The batch is split into lanes, one per item (a row without an item is a lane of its own); each lane
        is sent in order, oldest first, so an item's earlier messages are settled before its later ones, and
        up to `lanes` lanes are sent at the same time (Slack answers in ~100 ms: one at a time, a worker would
        send 10 messages a second)."""
        with session_scope(self.engine, write=True) as session:
            rows = repo.claim(session=session, worker=self.worker, now=self.clock(), limit=self.batch,
                              lease=self.lease)
            by_item: dict[object, list[int]] = {}
            for row in rows:
                by_item.setdefault(row.item_id if row.item_id is not None else ("row", row.id), []).append(row.id)
        stats = DispatchStats()
        if not by_item:
            return stats
        self._history = _History()  # histories are read at most once per channel and batch
        with Heartbeat(self.renew_claims, self.heartbeat_every) as self.heartbeat:
            try:
                if self.lanes <= 1 or len(by_item) == 1:
                    for lane in by_item.values():
                        self._lane(lane, stats)
                else:
                    self._lanes(list(by_item.values()), stats)
            finally:
                self.heartbeat = None
        return stats

    def _lane(self, row_ids: list[int], stats: DispatchStats) -> DispatchStats:
        for row_id in row_ids:
            self._handle(row_id, stats)
        return stats

    def _lanes(self, lanes: list[list[int]], stats: DispatchStats) -> None:
        """Send the lanes `self.lanes` at a time; every lane runs to its end even if another fails (the
        database went away), and the first failure is raised afterwards."""
        with ThreadPoolExecutor(max_workers=min(self.lanes, len(lanes)), thread_name_prefix="cstbot-outbox") as pool:
            futures = [pool.submit(self._lane, lane, DispatchStats()) for lane in lanes]
        failure = None
        for future in futures:
            if future.exception() is not None:
                failure = failure or future.exception()
                continue
            part = future.result()
            for name in ("sent", "retried", "failed", "deferred", "found", "dropped"):
                setattr(stats, name, getattr(stats, name) + getattr(part, name))
        if failure is not None:
            raise failure

    def renew_claims(self) -> int:
        """Extend every claim this dispatcher holds (the heartbeat)."""
        with session_scope(self.engine, write=True) as session:
            return repo.renew(session=session, worker=self.worker, now=self.clock())

    def run_forever(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        log.info("outbox dispatcher %s started", self.worker)
        health = _Health(self.worker, self.clock)
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception as exc:  # keep the loop alive through a database outage; logged once
                health.failed(exc)
                busy = False
            else:
                health.ok()
            if not busy:
                stop.wait(idle_seconds)
        log.info("outbox dispatcher %s stopped", self.worker)

    # --- one row ---------------------------------------------------------------------------------------

    def _handle(self, row_id: int, stats: DispatchStats) -> None:
        """Prepare (or defer) the row, look it up if it may be in Slack already, call Slack outside any
        transaction, then record the outcome.

        Each step re-reads the row and acts only while this dispatcher still holds its claim, so a row whose
        lease ran out (and was taken over) is not sent or recorded twice. Every database step is a write
        transaction: on SQLite they wait their turn instead of failing after the Slack call.
        """
        now = self.clock()
        with session_scope(self.engine, write=True) as session:
            row = self._held(session, row_id)
            if row is None:
                return
            row.claimed_at = now  # renew the lease for the calls below
            payload = self._prepare(session, row, now, stats)
            if payload is None:
                return
            attempt = _Attempt(row.id, row.method, payload, row.payload.get(CARD_META), row.in_doubt_since,
                               uploaded=(row.result or {}).get("uploaded"),
                               channel_id=(row.result or {}).get("channel"))
            if row.method in POSTS and row.in_doubt_since is None and row.method != FILES_UPLOAD:
                row.in_doubt_since = now  # committed before the call: a crash after it leaves the mark
        if attempt.method in POSTS and attempt.doubt is not None:
            try:
                if self._already_in_slack(attempt, stats):
                    return
            except _LookupFailed as exc:
                self._record_wait(attempt, str(exc), stats)
                return
        if attempt.method == FILES_UPLOAD:
            try:
                if not self._upload(attempt):
                    return
            except Exception as exc:  # nothing was shared yet: an ordinary failure of this attempt
                self._record(attempt, None, exc, stats, shared=False)
                return
        try:
            response, error = self._call(attempt), None
        except Exception as exc:  # SlackApiError, timeouts, refused connections after the client's own retry
            response, error = None, exc
        self._record(attempt, response, error, stats)

    def _held(self, session: Session, row_id: int) -> Outbox | None:
        return repo.held(session=session, row_id=row_id, worker=self.worker)

    def _prepare(self, session: Session, row: Outbox, now: datetime, stats: DispatchStats) -> dict | None:
        """The payload to send now, or None when the row waits (order, rate limit, card not posted yet) or has
        nothing to do (an edit of a card that was never posted, a reminder whose thing got done meanwhile)."""
        if row.check_key and not checks.still_due(session, row.check_key):
            repo.discard(session=session, row=row, now=now, why=f"no longer due ({row.check_key})")
            stats.dropped += 1
            return None
        earlier_due = repo.earlier_due(session=session, row=row, now=now)
        if earlier_due is not None:  # keep each item's messages in order: one waits, its later ones wait
            self._defer(session, row, max(earlier_due, now + timedelta(seconds=1)), "waiting for an earlier message",
                        stats)
            return None
        for method in (row.method, HISTORY if row.in_doubt_since is not None else None):
            paused_until = self._paused.get(method) if method else None
            if paused_until and paused_until > now:
                self._defer(session, row, paused_until, f"{method} rate limited", stats)
                return None
        payload = {k: v for k, v in row.payload.items() if not k.startswith("_")}
        if row.method == "chat.postMessage":
            payload["metadata"] = outbox_metadata(row.id)
        card = row.payload.get(CARD_META)
        if card and row.method == "chat.update":
            if cards.superseded(session=session, meta=card):  # a newer edit of the same message follows
                repo.mark_sent(session=session, row=row, now=now, result={"skipped": "a newer edit follows"})
                stats.sent += 1
                return None
            where = cards.location(session=session, meta=card)
            if where is None:
                post_due = cards.post_pending(session=session, meta=card)
                if post_due is not None:  # a post waiting for working hours: its edits wait as long
                    self._defer(session, row, max(post_due, now + timedelta(seconds=2)), "card not posted yet",
                                stats)
                else:  # the card was never posted (it failed): nothing to edit
                    repo.mark_sent(session=session, row=row, now=now, result={"skipped": "no card to update"})
                    stats.sent += 1
                return None
            payload.update(where)
        if row.notice:
            return self._render(session, row, payload, stats)
        return payload

    def _render(self, session: Session, row: Outbox, payload: dict[str, Any], stats: DispatchStats) -> dict | None:
        """The notice's text and blocks, rendered now. A failure is the row's failure (admins' Home), never lost."""
        try:
            if self.render is None:
                raise LookupError("this dispatcher has no renderer for notices")
            message = self.render(row.notice, row.recipient_id, row.context or {})
        except Exception as exc:  # a template or a missing person: say so on the row, send nothing broken
            log.exception("outbox row %s: the %s message could not be rendered", row.id, row.notice)
            self._fail(session, row, f"could not render the {row.notice} message: {_one_line(exc)}", stats)
            return None
        return {**payload, "text": message["text"], "blocks": message["blocks"]}

    def _defer(self, session: Session, row: Outbox, at: datetime, why: str, stats: DispatchStats) -> None:
        repo.mark_retry(session=session, row=row, at=at, error=why, count_attempt=False)
        stats.deferred += 1

    # --- Slack calls -------------------------------------------------------------------------------------

    def _call(self, attempt: _Attempt) -> Any:
        if attempt.method != FILES_UPLOAD:
            return self.client.api_call(attempt.method, json=attempt.payload)
        return self.client.files_completeUploadExternal(
            files=[{"id": f["id"], "title": f["title"]} for f in attempt.uploaded or []],
            channel_id=attempt.channel_id,
            initial_comment=attempt.payload.get("initial_comment") or None,
        )

    def _upload(self, attempt: _Attempt) -> bool:
        """files.upload, before the share: the conversation id and the uploaded files' ids, kept on the row
        (with the in-doubt mark, since the share comes next). False when the claim was lost meanwhile."""
        if attempt.channel_id is None:
            attempt.channel_id = self._conversation(attempt)
        if not attempt.uploaded:
            uploaded = []
            for f in attempt.payload.get("files") or []:
                content = base64.b64decode(f["content"])
                ticket = self.client.files_getUploadURLExternal(filename=f["filename"], length=len(content))
                request = urllib.request.Request(ticket["upload_url"], data=content, method="POST")
                with urllib.request.urlopen(request, timeout=self.client.timeout) as answer:  # noqa: S310 - Slack's URL
                    answer.read()
                uploaded.append({"id": ticket["file_id"], "title": f.get("title") or f["filename"]})
            attempt.uploaded = uploaded
        now = self.clock()
        with session_scope(self.engine, write=True) as session:
            row = self._held(session, attempt.row_id)
            if row is None:
                return False
            row.result = {"uploaded": attempt.uploaded, "channel": attempt.channel_id}
            row.in_doubt_since = row.in_doubt_since or now
        return True

    def _conversation(self, attempt: _Attempt) -> str:
        """The conversation id of the row's target: a channel id as is; a user id's DM channel (D...), from
        what Slack answered before, or else from conversations.open (which opens nothing new the person
        sees: the app's DM with them exists, or is created silently)."""
        target = attempt.target
        if not target.startswith(("U", "W")):
            return target
        with session_scope(self.engine) as session:
            known = repo.dm_channel(session=session, user_id=target)
        if known:
            return known
        answer = self.client.conversations_open(users=target)
        channel_id = str(answer["channel"]["id"])
        with session_scope(self.engine, write=True) as session:
            repo.remember_dm_channel(session=session, user_id=target, channel_id=channel_id, now=self.clock())
        return channel_id

    def _already_in_slack(self, attempt: _Attempt, stats: DispatchStats) -> bool:
        """Look for the row's message in its channel's history; record it as sent if it is there."""
        try:
            channel = attempt.channel_id or self._conversation(attempt)
            found = self._look_up(attempt, channel)
        except SlackApiError as exc:
            error = _error_code(exc)
            if exc.response.status_code == 429:
                retry_after = _retry_after(exc.response.headers)
                self._paused[HISTORY] = self.clock() + timedelta(seconds=retry_after)
                raise _LookupFailed(f"{HISTORY} rate limited (Retry-After {retry_after}s)") from None
            if error not in CANNOT_LOOK:
                raise _LookupFailed(f"could not look in the channel's history: HTTP {exc.response.status_code} "
                                    f"{error}".strip()) from None
            log.warning("outbox row %s: cannot look in %s's history (%s%s); sending it again, it may show twice",
                        attempt.row_id, attempt.target, error, _needed(exc))
            return False
        except Exception as exc:  # timeouts, connection errors: try again later, never send blind
            raise _LookupFailed(f"could not look in the channel's history: {type(exc).__name__}: {exc}") from None
        if found is None:
            return False
        channel, ts = found
        with session_scope(self.engine, write=True) as session:
            row = self._held(session, attempt.row_id)
            if row is None:
                return True
            result = {"channel": channel, "ts": ts, "found_in_history": True}
            if attempt.uploaded:
                result["files"] = [f["id"] for f in attempt.uploaded]
            self._sent(session, row, attempt, result)
        stats.sent += 1
        stats.found += 1
        log.info("outbox row %s (%s) was already in Slack (%s %s): recorded as sent, not sent again",
                 attempt.row_id, attempt.method, channel, ts)
        return True

    def _look_up(self, attempt: _Attempt, channel: str) -> tuple[str, str] | None:
        """(channel, ts) of the row's message in `channel`, read from a little before the first doubtful
        call; once per channel and batch."""
        assert attempt.doubt is not None
        oldest = (attempt.doubt - HISTORY_MARGIN).timestamp()
        history = self._history
        if history.oldest.get(channel, float("inf")) > oldest:
            cursor = None
            for _ in range(HISTORY_PAGES):
                answer = self.client.conversations_history(channel=channel, oldest=f"{oldest:.6f}", limit=HISTORY_PAGE,
                                                           include_all_metadata=True, cursor=cursor)
                for message in answer.get("messages") or []:
                    ts = str(message.get("ts", ""))
                    meta = message.get("metadata") or {}
                    if meta.get("event_type") == METADATA_EVENT:
                        row_id = (meta.get("event_payload") or {}).get("outbox_id")
                        if isinstance(row_id, int | str) and str(row_id).isdigit():
                            history.by_row.setdefault(int(row_id), (channel, ts))
                    for f in message.get("files") or []:
                        if isinstance(f, dict) and f.get("id"):
                            history.by_file.setdefault(str(f["id"]), (channel, ts))
                cursor = (answer.get("response_metadata") or {}).get("next_cursor")
                if not answer.get("has_more") or not cursor:
                    break
            history.oldest[channel] = oldest
        found = history.by_row.get(attempt.row_id)
        if found is None and attempt.uploaded:
            found = next((history.by_file[f["id"]] for f in attempt.uploaded if f["id"] in history.by_file), None)
        return found

    # --- outcomes ----------------------------------------------------------------------------------------

    def _record(self, attempt: _Attempt, response: Any, error: Exception | None, stats: DispatchStats,
                shared: bool = True) -> None:
        """Record Slack's answer. `shared=False`: a files.upload failed before its share was called."""
        now = self.clock()
        with session_scope(self.engine, write=True) as session:
            row = self._held(session, attempt.row_id)
            if row is None:
                log.warning("outbox row %s: claim lost while sending; another dispatcher owns it now",
                            attempt.row_id)
                return
            if error is None:
                data = response.data if isinstance(response.data, dict) else {}
                result = {k: data[k] for k in ("channel", "ts", "message_ts") if k in data}
                if attempt.method == FILES_UPLOAD:
                    result = {"channel": attempt.channel_id, "files": [f["id"] for f in attempt.uploaded or []]}
                self._sent(session, row, attempt, result)
                stats.sent += 1
                self._hurry(session, attempt.method, now)
                return
            doubtful = shared and attempt.method in POSTS and _maybe_done(error)
            if attempt.method in POSTS and not doubtful:
                row.in_doubt_since = attempt.doubt  # Slack did nothing: this call leaves no doubt behind
                if attempt.method == FILES_UPLOAD and attempt.doubt is None:
                    row.result = {}  # the uploads may have expired by the retry: upload them again
            if isinstance(error, SlackApiError):
                self._on_slack_error(session, row, now, error, stats, doubtful=doubtful)
            else:
                self._retry_or_fail(session, row, now, _describe(error, doubtful), stats)

    def _record_wait(self, attempt: _Attempt, why: str, stats: DispatchStats) -> None:
        now = self.clock()
        with session_scope(self.engine, write=True) as session:
            row = self._held(session, attempt.row_id)
            if row is None:
                return
            paused_until = self._paused.get(HISTORY)
            if paused_until and paused_until > now:
                self._defer(session, row, paused_until, why, stats)
            else:
                self._retry_or_fail(session, row, now, why, stats)

    def _sent(self, session: Session, row: Outbox, attempt: _Attempt, result: dict[str, Any]) -> None:
        repo.mark_sent(session=session, row=row, now=self.clock(), result=result)
        channel, ts = result.get("channel"), result.get("ts")
        if attempt.card and attempt.method == "chat.postMessage" and ts:
            cards.remember_location(session=session, meta=attempt.card, channel=channel, ts=ts)
        if attempt.target.startswith(("U", "W")) and isinstance(channel, str) and channel.startswith("D"):
            repo.remember_dm_channel(session=session, user_id=attempt.target, channel_id=channel, now=self.clock())

    def _on_slack_error(
        self, session: Session, row: Outbox, now: datetime, exc: SlackApiError, stats: DispatchStats,
        doubtful: bool = False,
    ) -> None:
        status = exc.response.status_code
        error = _error_code(exc)
        if status == 429:
            retry_after = _retry_after(exc.response.headers)
            until = now + timedelta(seconds=retry_after)
            self._paused[row.method] = until
            log.warning("outbox: %s rate limited for %ss", row.method, retry_after)
            self._defer(session, row, until, f"rate limited (Retry-After {retry_after}s)", stats)
        elif error in PERMANENT_ERRORS:
            self._fail(session, row, f"Slack refused {row.method}: {error}", stats)
        else:
            why = f"HTTP {status} {error}".strip() + (DOUBT_NOTE if doubtful else "")
            self._retry_or_fail(session, row, now, why, stats)

    def _hurry(self, session: Session, method: str, now: datetime) -> None:
        """`method` works again after failing: its rows waiting out a backoff need not wait any longer."""
        if method not in self._failing or self._paused.get(method, now) > now:
            return
        if now - self._hurried.get(method, datetime.min.replace(tzinfo=now.tzinfo)) < HURRY_EVERY:
            return
        self._hurried[method] = now
        del self._failing[method]
        hurried = repo.hurry(session=session, method=method, now=now, max_attempts=HURRY_MAX_ATTEMPTS)
        if hurried:
            log.warning("outbox: %s works again; %d rows waiting to be retried are sent now", method, hurried)

    def _retry_or_fail(self, session: Session, row: Outbox, now: datetime, error: str, stats: DispatchStats):
        self._failing[row.method] = now
        if now - max(row.created_at, row.held_until or row.created_at) >= self.give_up_after:
            self._fail(session, row, f"gave up after {row.attempts} attempts: {error}", stats)
            return
        repo.mark_retry(session=session, row=row, at=now + _backoff(row.attempts), error=error)
        stats.retried += 1
        log.warning("outbox row %s (%s) will be retried: %s", row.id, row.method, error)

    def _fail(self, session: Session, row: Outbox, error: str, stats: DispatchStats) -> None:
        repo.mark_failed(session=session, row=row, error=error)
        stats.failed += 1
        log.error("outbox row %s (%s) failed: %s", row.id, row.method, error)


def _maybe_done(error: Exception) -> bool:
    """Whether Slack may have carried the call out although the caller saw an error."""
    if isinstance(error, SlackApiError):
        return error.response.status_code >= 500 or _error_code(error) in MAYBE_DONE_ERRORS
    return not never_reached_slack(error)  # a timeout or a reset may come after Slack did the work


def _describe(error: Exception, doubtful: bool) -> str:
    return f"{type(error).__name__}: {error}" + (DOUBT_NOTE if doubtful else "")


def _error_code(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def _needed(exc: SlackApiError) -> str:
    data = exc.response.data
    needed = data.get("needed") if isinstance(data, dict) else None
    return f", needs {needed}" if needed else ""


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
