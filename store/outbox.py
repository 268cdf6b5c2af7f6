"""The outbox: outgoing Slack calls written in the caller's transaction, claimed and sent by a dispatcher.

Life of a row: pending -> sending (claimed by one dispatcher, with a lease) -> sent | pending again (retry
later) | failed (gave up; visible to admins). The lease is short (`DEFAULT_LEASE`) and the dispatcher renews it
while it works a batch (`renew`, its heartbeat), so a dispatcher that dies mid-send leaves its rows in
`sending` only until the lease runs out; then another dispatcher claims them again, and nothing is lost.
Nothing is sent twice either: a row whose earlier call may have reached Slack (`in_doubt_since`) is looked up
in the channel's history before it is sent again. On PostgreSQL, claims use FOR UPDATE SKIP LOCKED so any
number of dispatchers can run; SQLite serialises writers, so run one there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from store.models import Outbox, SlackDmChannel

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# A claim lasts this long unless renewed. A live dispatcher renews its claims every few seconds (a heartbeat),
# so the lease only bounds how long a dead dispatcher's rows wait: about 10 s plus the next poll.
DEFAULT_LEASE = timedelta(seconds=10)
# Payload key (stripped before sending) marking a message as an item's card: {"item_id": int, "key": str}, or as
# a message card {"card": int, "rev": int} (store.cards). The dispatcher records where Slack put a posted card,
# and a chat.update of the card is sent there.
CARD_META = "_card"


def enqueue(
    *,
    session: Session,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
    item_id: int | None = None,
    not_before: datetime | None = None,
    held_until: datetime | None = None,
    check_key: str | None = None,
) -> Outbox | None:
    """Add a call to the outbox in the caller's transaction. With `dedupe_key`, a second enqueue of the
    same key is a no-op and returns None (scheduled deliveries use this to never send twice).

    `held_until` (later than `now`): the recipient's working morning, which the row waits for
    (`bot.delivery.hours`). `check_key`: what must still be due when it is sent (`bot.delivery.checks`)."""
    held = held_until if held_until is not None and held_until > now else None
    row = Outbox(
        method=method,
        payload=payload,
        dedupe_key=dedupe_key,
        item_id=item_id,
        status=PENDING,
        next_attempt_at=max(filter(None, (not_before, held, now))),
        created_at=now,
        held_until=held,
        check_key=check_key,
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
        return row
    if session.exec(select(Outbox.id).where(Outbox.dedupe_key == dedupe_key)).first() is not None:
        return None
    try:
        with session.begin_nested():  # a concurrent insert of the same key loses here, not the caller
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


# Core (no ORM), built once, `inline`: no implicit RETURNING; `enqueue_many` sends its rows as one executemany.
OUTBOX_INSERT = insert(Outbox.__table__).inline()


def enqueue_many(rows: list[dict[str, Any]], *, session: Session, now: datetime,
                 not_before: datetime | None = None) -> int:
    """Calls in order, as one INSERT statement run for every row (no ORM object, no flush; their ids are not
    read back), in the caller's transaction. Each row: {"method", "payload"} and optionally "item_id",
    "dedupe_key" (a key already in the outbox leaves its row out), "held_until" and "check_key" (as in
    `enqueue`: the recipient's working morning, which the row waits for; what must still be due when it is
    sent), "failed": a row that cannot be sent (nobody to send it to), stored as failed at once with that error
    so admins see it on their Home tab; "notice", "recipient_id" and "context": a notice the dispatcher renders
    when it sends (see `Outbox.notice`). Returns how many rows were added."""
    keys = [r["dedupe_key"] for r in rows if r.get("dedupe_key") is not None]
    existing: set[str] = set()
    for start in range(0, len(keys), 500):  # bounded IN lists (SQLite's bound-parameter limit)
        chunk = keys[start:start + 500]
        existing.update(session.exec(select(Outbox.dedupe_key).where(Outbox.dedupe_key.in_(chunk))).all())
    values = []
    for r in rows:
        if r.get("dedupe_key") is not None and r["dedupe_key"] in existing:
            continue
        held = r.get("held_until")
        held = held if held is not None and held > now else None
        values.append({
            "method": r["method"], "payload": r["payload"], "dedupe_key": r.get("dedupe_key"),
            "item_id": r.get("item_id"), "status": FAILED if r.get("failed") else PENDING, "attempts": 0,
            "next_attempt_at": max(filter(None, (not_before, held, now))), "last_error": r.get("failed"),
            "result": {}, "created_at": now, "held_until": held, "check_key": r.get("check_key"),
            "notice": r.get("notice"), "recipient_id": r.get("recipient_id"), "context": r.get("context") or {},
        })
    if values:
        session.execute(OUTBOX_INSERT, values)
    return len(values)


def claim(
    *,
    session: Session,
    worker: str,
    now: datetime,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
) -> list[Outbox]:
    """Claim up to `limit` due rows, oldest first, for `worker`. Commits the claim."""
    due = or_(
        (Outbox.status == PENDING) & (Outbox.next_attempt_at <= now),
        (Outbox.status == SENDING) & (Outbox.claimed_at <= now - lease),  # a dispatcher died mid-send
    )
    stmt = select(Outbox).where(due).order_by(Outbox.id).limit(limit).with_for_update(skip_locked=True)
    rows = list(session.exec(stmt))
    for row in rows:
        row.status = SENDING
        row.claimed_by = worker
        row.claimed_at = now
        row.attempts += 1
    session.commit()
    return rows


def renew(*, session: Session, worker: str, now: datetime) -> int:
    """Extend every claim `worker` holds to `now` (its heartbeat). Returns how many rows it holds."""
    stmt = (
        update(Outbox)
        .where(Outbox.status == SENDING, Outbox.claimed_by == worker)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount or 0


def hurry(*, session: Session, method: str, now: datetime, max_attempts: int) -> int:
    """Make `method`'s rows waiting out a retry backoff due now (Slack works again: no reason to wait), except
    rows that failed more than `max_attempts` times, which keep their backoff. Returns how many."""
    stmt = (
        update(Outbox)
        .where(
            Outbox.status == PENDING,
            Outbox.method == method,
            Outbox.next_attempt_at > now,
            Outbox.attempts > 0,
            Outbox.attempts <= max_attempts,
        )
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount or 0


def held(*, session: Session, row_id: int, worker: str) -> Outbox | None:
    """The row, if `worker` still holds its claim (a row whose lease ran out may have been taken over)."""
    row = session.get(Outbox, row_id)
    if row is None or row.status != SENDING or row.claimed_by != worker:
        return None
    return row


def earlier_due(*, session: Session, row: Outbox, now: datetime) -> datetime | None:
    """When the item's unsent messages written before `row` are due (in whichever batch), or None. A message
    waiting for its recipient's working hours does not hold back the others (another person's card goes at
    once); an edit of it waits for its post (`card_post_due`)."""
    if row.item_id is None:
        return None
    stmt = select(func.max(Outbox.next_attempt_at)).where(
        Outbox.item_id == row.item_id,
        Outbox.id < row.id,
        Outbox.status.in_([PENDING, SENDING]),
        or_(Outbox.held_until.is_(None), Outbox.held_until <= now),
    )
    return session.exec(stmt).first()


def discard(*, session: Session, row: Outbox, now: datetime, why: str) -> None:
    """A reminder no longer due (the thing got done before it went out): recorded as sent, with nothing sent."""
    row.status = SENT
    row.sent_at = now
    row.result = {"skipped": why}
    row.last_error = None
    row.in_doubt_since = None
    session.add(row)


def waiting_for_hours(*, session: Session, now: datetime, upcoming: int = 200) -> tuple[int, list[datetime]]:
    """How many pushes wait for their recipients' working hours, and when the next `upcoming` of them go."""
    waiting = (Outbox.status == PENDING) & (Outbox.held_until > now) & (Outbox.next_attempt_at > now)
    count = session.exec(select(func.count()).select_from(Outbox).where(waiting)).one()
    times = session.exec(select(Outbox.next_attempt_at).where(waiting).order_by(Outbox.next_attempt_at)
                         .limit(upcoming)).all()
    return int(count), list(times)


def card_pending(*, session: Session, item_id: int, key: str) -> datetime | None:
    """When the card's first post, still waiting to be sent, is due; None if it is not waiting."""
    rows = session.exec(
        select(Outbox).where(
            Outbox.item_id == item_id,
            Outbox.method == "chat.postMessage",
            Outbox.status.in_([PENDING, SENDING]),
        )
    )
    return next((r.next_attempt_at for r in rows if (r.payload.get(CARD_META) or {}).get("key") == key), None)


def mark_sent(*, session: Session, row: Outbox, now: datetime, result: dict[str, Any]) -> None:
    row.status = SENT
    row.sent_at = now
    row.result = result
    row.last_error = None
    row.in_doubt_since = None
    session.add(row)


def mark_retry(*, session: Session, row: Outbox, at: datetime, error: str, count_attempt: bool = True) -> None:
    row.status = PENDING
    row.next_attempt_at = at
    row.last_error = error
    row.claimed_by = None
    row.claimed_at = None
    if not count_attempt:
        row.attempts -= 1
    session.add(row)


def mark_failed(*, session: Session, row: Outbox, error: str) -> None:
    row.status = FAILED
    row.last_error = error
    session.add(row)


def dm_channel(*, session: Session, user_id: str) -> str | None:
    """The app's DM channel with `user_id`, if Slack has told us (see `remember_dm_channel`)."""
    row = session.get(SlackDmChannel, user_id)
    return row.channel_id if row is not None else None


def remember_dm_channel(*, session: Session, user_id: str, channel_id: str, now: datetime) -> None:
    """Keep the DM channel id Slack answered for a post to `user_id` (history lookups need the D... id)."""
    row = session.get(SlackDmChannel, user_id)
    if row is not None:
        if row.channel_id != channel_id:
            row.channel_id, row.updated_at = channel_id, now
            session.add(row)
        return
    try:
        with session.begin_nested():  # two dispatchers learning the same DM at once: the second is a no-op
            session.add(SlackDmChannel(user_id=user_id, channel_id=channel_id, updated_at=now))
            session.flush()
    except IntegrityError:
        pass


def failed_rows(*, session: Session, limit: int = 50) -> list[Outbox]:
    stmt = select(Outbox).where(Outbox.status == FAILED).order_by(Outbox.id.desc()).limit(limit)
    return list(session.exec(stmt))


def counts(*, session: Session) -> dict[str, int]:
    rows = session.exec(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    return {status: n for status, n in rows}


def states(*, session: Session, dedupe_keys: list[str]) -> dict[str, str]:
    """The status of each of these rows, by dedupe key (rows never written are absent)."""
    found: dict[str, str] = {}
    for start in range(0, len(dedupe_keys), 1000):  # bounded IN lists (SQLite's bound-parameter limit)
        chunk = dedupe_keys[start:start + 1000]
        found.update(session.exec(select(Outbox.dedupe_key, Outbox.status).where(Outbox.dedupe_key.in_(chunk))).all())
    return found
