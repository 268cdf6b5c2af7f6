"""A database connection the server dropped costs no request: found at checkout (no round trip), or else the
transaction runs again once on a new connection. PostgreSQL only (SQLite has no server to drop anything)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from store.db import make_engine, run_transaction, scratch_schema
from tests.conftest import PG_URL, skip_without_postgres

pytestmark = pytest.mark.postgres


def terminate(pid: int) -> None:
    """End one backend (ours) and wait until it is gone (PostgreSQL 14+: the timeout makes it wait)."""
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            assert conn.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


@pytest.mark.parametrize("check_on_checkout", [True, False], ids=["found-at-checkout", "retried"])
def test_a_dropped_connection_is_replaced_and_the_transaction_done_once(check_on_checkout):
    skip_without_postgres()
    with scratch_schema(PG_URL, "t") as url:
        engine = make_engine(url, check_on_checkout=check_on_checkout, pool_size=1)
        try:
            with engine.begin() as conn:
                conn.execute(text("create table t (pid int not null)"))
            runs: list[int | None] = []

            def work(session) -> int:
                runs.append(None)  # a run that fails at its first statement stays None
                pid = session.execute(text("select pg_backend_pid()")).scalar_one()
                runs[-1] = pid
                session.execute(text("insert into t values (:pid)"), {"pid": pid})
                return pid

            first = run_transaction(engine, work, write=True)
            terminate(first)  # the pool's only connection, idle in the pool, between two transactions
            second = run_transaction(engine, work, write=True)

            assert second != first
            with engine.connect() as conn:
                stored = conn.execute(text("select pid from t order by pid")).scalars().all()
            assert sorted(stored) == sorted([first, second])  # each transaction committed once
            if check_on_checkout:
                assert runs == [first, second]  # the dropped connection was never used
            else:
                assert runs == [first, None, second]  # used, failed, and the transaction ran again
        finally:
            engine.dispose()


def test_a_transaction_that_fails_for_another_reason_is_not_run_again():
    skip_without_postgres()
    with scratch_schema(PG_URL, "t") as url:
        engine = make_engine(url)
        runs = []

        def work(session):
            runs.append(1)
            session.execute(text("select * from no_such_table"))

        try:
            with pytest.raises(DBAPIError):
                run_transaction(engine, work)
            assert runs == [1]
        finally:
            engine.dispose()
