"""Engine and session factory. SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import select
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

WRITE_OPTION = "cstbot_write"
T = TypeVar("T")


def make_engine(url: str, *, check_on_checkout: bool = True, **kw) -> Engine:
    """Build an engine. SQLite gets foreign keys enforced, WAL and a busy timeout (one writer at a time).

    PostgreSQL: no `SELECT 1` pre-ping on every checkout (a round trip per transaction). A pooled connection
    the server dropped (a terminated backend, a restart) has told its socket so: at checkout, a socket with
    something to read while idle, or closed, is discarded and another connection taken, at no round trip
    (`check_on_checkout`). A drop this does not see (the network, or a drop during the transaction) fails the
    transaction with a disconnect, which `run_transaction` runs again once on a new connection.

    Bound parameters are kept out of error messages: they hold what people wrote (questions, coaching notes),
    which must not reach the logs."""
    kw.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kw.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = create_engine(url, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: commits survive a crash of the process; only a power loss can lose the last
                # ones. FULL would fsync on every commit, which serialised writers wait on.
                cur.execute("PRAGMA synchronous=NORMAL")
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
    engine = create_engine(url, **kw)
    if check_on_checkout:
        event.listen(engine, "checkout", _dropped_while_idle)
    return engine


def _dropped_while_idle(dbapi_conn, _record, _proxy) -> None:
    """An idle pooled connection has nothing to read: data (the server's "terminating connection" notice) or
    end-of-file means the server dropped it. One select() with no wait: no round trip."""
    if getattr(dbapi_conn, "closed", False):
        raise DisconnectionError("connection closed while idle in the pool")
    pgconn = getattr(dbapi_conn, "pgconn", None)
    if pgconn is None:
        return
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except (OSError, ValueError) as exc:  # the socket is gone
        raise DisconnectionError("connection's socket is gone") from exc
    if readable:
        raise DisconnectionError("the server dropped the connection while it was idle in the pool")


def is_disconnect(exc: BaseException) -> bool:
    """The database connection went away under a statement (SQLAlchemy has invalidated it)."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def run_transaction(engine: Engine, work: Callable[[Session], T], *, write: bool = False) -> T:
    """`work(session)` in one transaction (`session_scope`); if the connection turns out to be dropped before
    the COMMIT was sent, the transaction is run once more on a new connection (nothing of the first one was
    committed). A drop during the COMMIT is raised: the first run may have committed, and running it again could
    write it twice."""
    for attempt in (1, 2):
        try:
            with session_scope(engine, write=write) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == 2 or not is_disconnect(exc) or getattr(exc, COMMITTING, False):
                raise
            log.warning("the database connection was dropped; running the transaction again on a new one")
    raise AssertionError("unreachable")


COMMITTING = "_cstbot_at_commit"  # set on an error raised by the COMMIT itself


@contextmanager
def pipelined(session: Session) -> Iterator[None]:
    """On PostgreSQL (psycopg), the statements run inside are sent without waiting for each answer, and their
    answers read together at the end: one round trip for a change's INSERTs instead of one each. Only for
    statements whose results nobody reads inside (INSERTs, or a query whose result is fetched: that syncs).
    Elsewhere a no-op. An error surfaces at the end, as SQLAlchemy's (a dropped connection as a disconnect)."""
    conn = session.connection()
    dbapi_conn = conn.connection.driver_connection
    if conn.dialect.name != "postgresql" or not hasattr(dbapi_conn, "pipeline"):
        yield
        return
    try:
        with dbapi_conn.pipeline():
            yield
    except conn.dialect.loaded_dbapi.Error as exc:
        dropped = conn.dialect.is_disconnect(exc, dbapi_conn, None)
        if dropped:
            conn.invalidate(exc)
        raise DBAPIError.instance(None, None, exc, conn.dialect.loaded_dbapi.Error,
                                  hide_parameters=True, connection_invalidated=dropped) from exc


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    `write=True` for a transaction that will write: on SQLite it takes the write lock when it begins, and
    the threads of one process queue for it on a lock (woken in turn) rather than in SQLite's busy handler,
    which polls with growing sleeps and lets an unlucky writer wait far longer than the queue ahead of it.
    """
    lock = _sqlite_write_lock(engine) if write else None
    if lock is not None:
        with lock, _session(engine, write) as session:
            yield session
        return
    with _session(engine, write) as session:
        yield session


_write_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_write_locks_guard = threading.Lock()


def _sqlite_write_lock(engine: Engine) -> threading.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    with _write_locks_guard:
        return _write_locks.setdefault(engine, threading.Lock())


@contextmanager
def _session(engine: Engine, write: bool) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        if write:
            session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        try:
            session.commit()
        except BaseException as exc:
            setattr(exc, COMMITTING, True)
            session.rollback()
            raise


@contextmanager
def scratch_schema(url: str, prefix: str = "scratch") -> Iterator[str]:
    """A URL to a new, empty PostgreSQL schema on the server at `url`, dropped afterwards (tests, benchmarks)."""
    admin = make_engine(url)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()
