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

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from store.models import Outbox, OutboxPause, SlackDmChannel

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# A claim lasts this long unless renewed. A live dispatcher renews its claims every few seconds (a heartbeat),
# so the lease only bounds how long a dead dispatcher's rows wait: about 10 s plus the next poll.
DEFAULT_LEASE = timedelta(seconds=10)
# Payload key (stripped before sending) marking a message as an item's card: {"item_id": int, "key": str}, or as
# a message card {"card": int, "rev": int} (store.cards). The dispatcher records where Slack put a posted card,
# and a chat.update of the card is sent there.
CARD_META = "_card"
# Pseudo-method of a fan-out row ("ask these N"): its payload holds N rows (`new_row`), which the dispatcher
# writes as N outbox rows (`expand`); written instead of the N rows when a request would write more than
# `FANOUT_THRESHOLD` of them, so the request answers in the same time whatever N is.
FANOUT = "outbox.fanout"
FANOUT_THRESHOLD = 50


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


def new_row(
    *,
    method: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    item_id: int | None = None,
    failed: str | None = None,
    held_until: datetime | None = None,
    check_key: str | None = None,
) -> dict[str, Any]:
    """A row for `enqueue_many` (or a fan-out row's payload): plain JSON (`held_until` as ISO text), no other
    times (set when it is written). `failed`: the row is written failed with this error (nobody to deliver to),
    so admins see it. `held_until` / `check_key`: as for `enqueue`."""
    row: dict[str, Any] = {"method": method, "payload": payload}
    if dedupe_key is not None:
        row["dedupe_key"] = dedupe_key
    if item_id is not None:
        row["item_id"] = item_id
    if held_until is not None:
        row["held_until"] = held_until.isoformat()
    if check_key is not None:
        row["check_key"] = check_key
    if failed is not None:
        row["failed"] = failed
    return row


def enqueue_many(rows: list[dict[str, Any]], *, session: Session, now: datetime,
                 not_before: datetime | None = None) -> int:
    """Add `rows` (`new_row`) to the outbox in the caller's transaction, in one INSERT statement (an
    executemany: no flush and no round trip per row). A row whose `dedupe_key` is already in the table is
    skipped, as `enqueue` skips it. A row's `held_until` later than `now` makes it wait for its recipient's
    working morning, as in `enqueue`. Returns how many rows were given (not how many were new: see `expand`).
    (`/cst share` calls it with `rows=` too: its rows carry `dedupe_key` and a datetime `held_until`.)"""
    if not rows:
        return 0
    values = []
    for r in rows:
        held = _held(r.get("held_until"), now)
        values.append({
            "method": r["method"],
            "payload": r["payload"],
            "dedupe_key": r.get("dedupe_key"),
            "item_id": r.get("item_id"),
            "status": FAILED if r.get("failed") else PENDING,
            "last_error": r.get("failed"),
            "attempts": 0,
            "next_attempt_at": max(filter(None, (not_before, held, now))),
            "created_at": now,
            "result": {},
            "held_until": held,
            "check_key": r.get("check_key"),
        })
    session.execute(_insert_skipping_duplicates(session, Outbox.__table__), values)
    return len(values)


def _held(value: datetime | str | None, now: datetime) -> datetime | None:
    """A `new_row`'s `held_until` (ISO text or a datetime) if it is still ahead of `now`, else None."""
    if value is None:
        return None
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at > now else None


def _insert_skipping_duplicates(session: Session, table):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return insert(table)  # pragma: no cover - the two supported databases are above


def enqueue_fanout(rows: list[dict[str, Any]], *, session: Session, now: datetime,
                   item_id: int | None = None, render: dict[str, Any] | None = None) -> Outbox:
    """One "ask these N" row carrying `rows` (`new_row`), which the dispatcher expands into N outbox rows
    (`expand`). The caller's transaction writes one row whatever N is. `render`: instead of rows, what the
    dispatcher's renderer turns into them (an item's notices, `bot.items.service.Service.render_fan_out`), so
    the caller does not even render the N messages."""
    payload: dict[str, Any] = {"render": render} if render is not None else {"rows": rows}
    row = Outbox(method=FANOUT, payload=payload, item_id=item_id, status=PENDING, next_attempt_at=now,
                 created_at=now)
    session.add(row)
    return row


def enqueue_all(rows: list[dict[str, Any]], *, session: Session, now: datetime, item_id: int | None = None,
                threshold: int = FANOUT_THRESHOLD) -> int:
    """`rows` as they should be written by a request: up to `threshold` in one INSERT (`enqueue_many`), more as
    one fan-out row the dispatcher expands. Returns how many outbox rows were written now."""
    if len(rows) > threshold:
        enqueue_fanout(rows, session=session, now=now, item_id=item_id)
        return 1
    return enqueue_many(rows, session=session, now=now)


def fanout_key(fanout_id: int, index: int) -> str:
    """The delivery key of a fan-out row's `index`-th row: expanding twice writes it once."""
    return f"fanout:{fanout_id}:{index}"


@dataclass(frozen=True)
class Fanout:
    """A fan-out row's rows, read once for its expansion (`render`: what a renderer turns into them)."""

    id: int
    item_id: int | None
    created_at: datetime
    rows: list[dict[str, Any]]
    render: dict[str, Any] | None = None


def fanout_rows(row: Outbox) -> Fanout:
    return Fanout(row.id, row.item_id, row.created_at, list(row.payload.get("rows") or []),
                  row.payload.get("render"))


def holds(*, session: Session, row_id: int, worker: str, now: datetime) -> bool:
    """Whether `worker` still holds its claim on the row; renews the lease if so (without loading the row)."""
    stmt = (
        update(Outbox)
        .where(Outbox.id == row_id, Outbox.status == SENDING, Outbox.claimed_by == worker)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(stmt).rowcount)


def expand(*, session: Session, fanout: Fanout, now: datetime, start: int = 0, limit: int | None = None) -> int:
    """Write rows `start` to `start + limit` of a fan-out as outbox rows (each with its own delivery key, or one
    naming the fan-out and the row's place in it), in the caller's transaction. A row already written (an
    expansion that died half way and is done again) is skipped by its key. They are due now, and counted from
    the fan-out's creation for giving up. Returns how many rows were in the range."""
    part = fanout.rows[start:] if limit is None else fanout.rows[start : start + limit]
    keyed = [
        {**r, "dedupe_key": r.get("dedupe_key") or fanout_key(fanout.id, start + i),
         "item_id": r.get("item_id", fanout.item_id)}
        for i, r in enumerate(part)
    ]
    enqueue_many(keyed, session=session, now=fanout.created_at, not_before=now)
    return len(part)


def claim(
    *,
    session: Session,
    worker: str,
    now: datetime,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    skip_methods: Collection[str] = (),
) -> list[Outbox]:
    """Claim up to `limit` due rows, oldest first, for `worker`, leaving out `skip_methods` (paused). Commits
    the claim."""
    due = or_(
        (Outbox.status == PENDING) & (Outbox.next_attempt_at <= now),
        (Outbox.status == SENDING) & (Outbox.claimed_at <= now - lease),  # a dispatcher died mid-send
    )
    if skip_methods:
        due = due & Outbox.method.not_in(list(skip_methods))
    stmt = select(Outbox).where(due).order_by(Outbox.id).limit(limit).with_for_update(skip_locked=True)
    rows = list(session.exec(stmt))
    for row in rows:
        row.status = SENDING
        row.claimed_by = worker
        row.claimed_at = now
        row.attempts += 1
    session.commit()
    return rows


def pause(*, session: Session, method: str, until: datetime) -> None:
    """Record that `method` waits until `until` (Slack's Retry-After), for every dispatcher; a later pause
    already recorded stands."""
    table = OutboxPause.__table__
    if session.get_bind().dialect.name == "postgresql":
        stmt = postgresql.insert(table).values(method=method, until=until)
        stmt = stmt.on_conflict_do_update(index_elements=["method"],
                                          set_={"until": func.greatest(table.c.until, stmt.excluded.until)})
    else:
        stmt = sqlite.insert(table).values(method=method, until=until)
        stmt = stmt.on_conflict_do_update(index_elements=["method"],
                                          set_={"until": func.max(table.c.until, stmt.excluded.until)})
    session.execute(stmt)


def pauses(*, session: Session, now: datetime) -> dict[str, datetime]:
    """The methods waiting out a 429 now, and until when."""
    rows = session.exec(select(OutboxPause).where(OutboxPause.until > now)).all()
    return {row.method: row.until for row in rows}


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
    """Keep the DM channel id Slack answered for a post to `user_id` (history lookups need the D... id). One
    statement (an upsert): the dispatcher calls this for every message it sends to a person."""
    table = SlackDmChannel.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(user_id=user_id, channel_id=channel_id, updated_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id"],
                                      set_={"channel_id": stmt.excluded.channel_id, "updated_at": now},
                                      where=table.c.channel_id != stmt.excluded.channel_id)
    session.execute(stmt)


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
