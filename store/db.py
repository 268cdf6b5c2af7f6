"""Engine and session factory. SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

WRITE_OPTION = "cstbot_write"


def make_engine(url: str, **kw) -> Engine:
    """Build an engine. SQLite gets foreign keys enforced, WAL and a busy timeout (one writer at a time)."""
    if url.startswith("sqlite"):
        kw.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = create_engine(url, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()
            # pysqlite opens its own transactions lazily, at the first write, so a SAVEPOINT issued first
            # would start (and its release commit) the transaction. Let SQLAlchemy issue BEGIN itself.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            # A transaction that will write takes the write lock up front (BEGIN IMMEDIATE), so it waits its
            # turn under busy_timeout. A deferred one that reads, then writes after another writer committed,
            # fails at once with "database is locked" (no busy wait is possible there).
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    kw.setdefault("pool_pre_ping", True)
    return create_engine(url, **kw)


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    `write=True` for a transaction that will write: on SQLite it takes the write lock when it begins.
    """
    with Session(engine, expire_on_commit=False) as session:
        if write:
            session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
