"""The outbox repository (store/outbox.py), on SQLite and PostgreSQL; claim concurrency on PostgreSQL only."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from store import outbox as repo
from store.models import Outbox
from store.outbox import FAILED, PENDING, SENDING, SENT

from .helpers import T0, enqueue, get


def require_postgres(engine: Engine, why: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(f"PostgreSQL only: {why}")


def claim_ids(engine: Engine, *, worker: str = "w1", now=T0, **kw) -> list[int]:
    with Session(engine, expire_on_commit=False) as session:
        return [row.id for row in repo.claim(session=session, worker=worker, now=now, **kw)]


def all_rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


# --- enqueue ---------------------------------------------------------------------------------------------


def test_enqueue_writes_a_pending_row_due_now(engine, clock) -> None:
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "hi"})
    later_id = enqueue(engine, clock, "chat.postMessage", {"text": "later"}, not_before=T0 + timedelta(hours=1))

    row = get(engine, row_id)
    assert (row.method, row.payload, row.status, row.attempts) == (
        "chat.postMessage",
        {"channel": "C1", "text": "hi"},
        PENDING,
        0,
    )
    assert row.next_attempt_at == row.created_at == T0
    assert row.dedupe_key is None and row.item_id is None and row.result == {}
    assert get(engine, later_id).next_attempt_at == T0 + timedelta(hours=1)


def test_dedupe_key_keeps_one_row(engine, clock) -> None:
    first = enqueue(engine, clock, "chat.postMessage", {"text": "a"}, dedupe_key="k1")
    assert enqueue(engine, clock, "chat.postMessage", {"text": "again"}, dedupe_key="k1") is None
    other = enqueue(engine, clock, "chat.postMessage", {"text": "b"}, dedupe_key="k2")
    plain = [enqueue(engine, clock, "chat.postMessage", {"text": "c"}) for _ in range(2)]  # no key: no dedupe

    assert [r.id for r in all_rows(engine)] == [first, other, *plain]
    assert get(engine, first).payload == {"text": "a"}


def test_enqueue_is_undone_with_the_callers_transaction(engine) -> None:
    with Session(engine) as session:
        repo.enqueue(session=session, method="chat.postMessage", payload={"text": "a"}, now=T0)
        repo.enqueue(session=session, method="chat.postMessage", payload={"text": "b"}, now=T0, dedupe_key="k")
        session.rollback()
    assert all_rows(engine) == []


def test_deduplicated_enqueue_as_first_write_is_undone_with_the_callers_transaction(engine) -> None:
    """On SQLite this needs store.db to let SQLAlchemy issue BEGIN (pysqlite's lazy transactions would let the
    SAVEPOINT's release commit the row)."""
    with Session(engine) as session:
        repo.enqueue(session=session, method="chat.postMessage", payload={"text": "a"}, now=T0, dedupe_key="k")
        session.rollback()
    assert all_rows(engine) == []


def test_concurrent_enqueue_of_the_same_key_loses_without_breaking_the_caller(engine) -> None:
    """The loser's existence check cannot see the winner's row (its snapshot is older); its insert then hits
    the unique index, and only the savepoint is rolled back: the rest of its transaction commits."""
    require_postgres(engine, "needs a REPEATABLE READ snapshot beside a concurrent writer")
    with Session(engine) as loser:
        loser.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        loser.exec(select(func.count(Outbox.id))).one()  # the snapshot is taken here
        own = repo.enqueue(session=loser, method="chat.postMessage", payload={"text": "own"}, now=T0)
        with Session(engine) as winner:
            assert repo.enqueue(session=winner, method="m", payload={"text": "win"}, now=T0, dedupe_key="k")
            winner.commit()
        assert repo.enqueue(session=loser, method="m", payload={"text": "lose"}, now=T0, dedupe_key="k") is None
        own_id = own.id
        loser.commit()
    assert sorted((r.payload["text"], r.dedupe_key) for r in all_rows(engine)) == [("own", None), ("win", "k")]
    assert get(engine, own_id).status == PENDING


# --- claim -----------------------------------------------------------------------------------------------


def test_claim_takes_due_rows_oldest_first_up_to_the_limit(engine, clock) -> None:
    ids = [enqueue(engine, clock, "chat.postMessage", {"n": n}) for n in range(4)]
    soon = T0 + repo.DEFAULT_LEASE / 2  # due later, while the first claims still hold
    future = enqueue(engine, clock, "chat.postMessage", {"n": "future"}, not_before=soon)

    with Session(engine, expire_on_commit=False) as session:
        rows = repo.claim(session=session, worker="w1", now=T0, limit=3)
    assert [r.id for r in rows] == ids[:3]
    assert {(r.status, r.claimed_by, r.claimed_at, r.attempts) for r in rows} == {(SENDING, "w1", T0, 1)}
    assert get(engine, ids[0]).status == SENDING  # the claim is committed

    assert claim_ids(engine, worker="w2") == [ids[3]]
    assert claim_ids(engine, worker="w2") == []
    assert claim_ids(engine, worker="w2", now=soon) == [future]


def test_sent_and_failed_rows_are_never_claimed(engine, clock) -> None:
    sent, failed = (enqueue(engine, clock, "chat.postMessage", {"n": n}) for n in range(2))
    with Session(engine, expire_on_commit=False) as session:
        a, b = repo.claim(session=session, worker="w1", now=T0)
        repo.mark_sent(session=session, row=a, now=T0, result={"ts": "1.1"})
        repo.mark_failed(session=session, row=b, error="channel_not_found")
        session.commit()
    assert claim_ids(engine, now=T0 + timedelta(days=30)) == []
    assert (get(engine, sent).status, get(engine, failed).status) == (SENT, FAILED)


def test_row_left_sending_is_claimed_again_once_its_lease_runs_out(engine, clock) -> None:
    row_id = enqueue(engine, clock, "chat.postMessage", {"n": 1})
    assert claim_ids(engine, worker="crashed") == [row_id]

    assert claim_ids(engine, worker="w2", now=T0 + repo.DEFAULT_LEASE - timedelta(seconds=1)) == []
    assert claim_ids(engine, worker="w2", now=T0 + repo.DEFAULT_LEASE) == [row_id]
    row = get(engine, row_id)
    assert (row.status, row.claimed_by, row.claimed_at, row.attempts) == (SENDING, "w2", T0 + repo.DEFAULT_LEASE, 2)

    lease = timedelta(seconds=30)
    assert claim_ids(engine, worker="w3", now=row.claimed_at + lease, lease=lease) == [row_id]


# --- marking rows ----------------------------------------------------------------------------------------


def test_mark_retry_sent_and_failed(engine, clock) -> None:
    row_id = enqueue(engine, clock, "chat.postMessage", {"n": 1})
    with Session(engine, expire_on_commit=False) as session:
        [row] = repo.claim(session=session, worker="w1", now=T0)
        repo.mark_retry(session=session, row=row, at=T0 + timedelta(seconds=5), error="HTTP 503")
        session.commit()
    row = get(engine, row_id)
    assert (row.status, row.next_attempt_at, row.attempts, row.last_error) == (
        PENDING,
        T0 + timedelta(seconds=5),
        1,
        "HTTP 503",
    )
    assert (row.claimed_by, row.claimed_at) == (None, None)

    with Session(engine, expire_on_commit=False) as session:
        [row] = repo.claim(session=session, worker="w1", now=T0 + timedelta(seconds=5))
        repo.mark_retry(session=session, row=row, at=T0 + timedelta(seconds=9), error="paused", count_attempt=False)
        session.commit()
    assert get(engine, row_id).attempts == 1  # a deferral is not an attempt

    with Session(engine, expire_on_commit=False) as session:
        [row] = repo.claim(session=session, worker="w1", now=T0 + timedelta(seconds=9))
        repo.mark_sent(session=session, row=row, now=T0 + timedelta(seconds=9), result={"ts": "1.5"})
        session.commit()
    row = get(engine, row_id)
    assert (row.status, row.sent_at, row.result, row.last_error, row.attempts) == (
        SENT,
        T0 + timedelta(seconds=9),
        {"ts": "1.5"},
        None,
        2,
    )


def test_failed_rows_newest_first_and_counts(engine, clock) -> None:
    ids = [enqueue(engine, clock, "chat.postMessage", {"n": n}) for n in range(5)]
    with Session(engine, expire_on_commit=False) as session:
        rows = {r.id: r for r in repo.claim(session=session, worker="w1", now=T0)}
        repo.mark_failed(session=session, row=rows[ids[0]], error="old failure")
        repo.mark_failed(session=session, row=rows[ids[2]], error="new failure")
        repo.mark_sent(session=session, row=rows[ids[1]], now=T0, result={})
        for i in ids[3:]:
            repo.mark_retry(session=session, row=rows[i], at=T0, error="later")
        session.commit()

    with Session(engine) as session:
        assert [(r.id, r.last_error) for r in repo.failed_rows(session=session)] == [
            (ids[2], "new failure"),
            (ids[0], "old failure"),
        ]
        assert [r.id for r in repo.failed_rows(session=session, limit=1)] == [ids[2]]
        assert repo.counts(session=session) == {PENDING: 2, SENT: 1, FAILED: 2}


# --- concurrent dispatchers (PostgreSQL) -----------------------------------------------------------------


def test_claim_skips_rows_locked_by_another_transaction(engine, clock) -> None:
    require_postgres(engine, "SQLite has no row locks (FOR UPDATE SKIP LOCKED)")
    ids = [enqueue(engine, clock, "chat.postMessage", {"n": n}) for n in range(3)]
    with Session(engine) as holder:
        holder.exec(select(Outbox).where(Outbox.id == ids[0]).with_for_update()).one()  # another claim in flight
        with Session(engine, expire_on_commit=False) as session:
            session.execute(text("SET LOCAL lock_timeout = '5s'"))  # a blocking claim fails instead of hanging
            assert [r.id for r in repo.claim(session=session, worker="w2", now=T0)] == ids[1:]
        holder.rollback()
    assert claim_ids(engine, worker="w3") == [ids[0]]


def test_concurrent_claims_never_share_a_row(engine) -> None:
    require_postgres(engine, "SQLite serialises writers; one dispatcher runs there")
    with Session(engine) as session:
        for n in range(200):
            repo.enqueue(session=session, method="chat.postMessage", payload={"n": n}, now=T0)
        session.commit()
    all_ids = {r.id for r in all_rows(engine)}

    barrier = threading.Barrier(2, timeout=20)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    last_batch: dict[str, int] = {"a": -1, "b": -1}
    errors: list[BaseException] = []

    def dispatcher(name: str) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                while True:
                    barrier.wait()  # both claim at the same moment
                    rows = repo.claim(session=session, worker=name, now=T0, limit=50)
                    claimed[name] += [r.id for r in rows]
                    last_batch[name] = len(rows)
                    barrier.wait()  # both batches are in: stop together once both came back empty
                    if last_batch["a"] == last_batch["b"] == 0:
                        return
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=dispatcher, args=(name,)) for name in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    a, b = set(claimed["a"]), set(claimed["b"])
    assert len(a) == len(claimed["a"]) and len(b) == len(claimed["b"])  # no row twice to the same worker
    assert a and b
    assert a & b == set()
    assert a | b == all_ids and len(all_ids) == 200
    by_worker = {r.id: (r.claimed_by, r.attempts, r.status) for r in all_rows(engine)}
    assert all(by_worker[i] == ("a", 1, SENDING) for i in a)
    assert all(by_worker[i] == ("b", 1, SENDING) for i in b)
