"""Shared fixtures. Store tests take `engine`, which runs once on SQLite and once on PostgreSQL.

PostgreSQL: `CSTBOT_TEST_PG_URL` (default the local server, database `test`). Each test gets its own
schema, dropped afterwards, so tests never see each other's rows. When the server is unreachable the
PostgreSQL half is skipped locally and fails under CI (CI=true), where it must run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.db import make_engine, scratch_schema

PG_URL = os.environ.get("CSTBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# Every PostgreSQL test skipped for want of a server carries this reason and is reported at one place, so pytest's
# summary shows ONE line saying how to run that half (not one line per test).
PG_SKIP_HINT = (
    "the PostgreSQL half of the suite is skipped: {why}. To run it: pip install -e '.[dev,postgres]' and start "
    "PostgreSQL at {url} (or point CSTBOT_TEST_PG_URL at one); under CI=true this is a failure"
)
_pg_problem: list[str] = []  # why the server is unusable, found once per session


def _pg_admin_engine() -> Engine | None:
    if _pg_problem:
        return None
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return engine
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is required under CI and is unreachable: {exc}")
        missing_driver = isinstance(exc, ModuleNotFoundError)
        why = "the psycopg driver is not installed" if missing_driver else "no server answers"
        _pg_problem.append(PG_SKIP_HINT.format(why=why, url=PG_URL))
        return None


def skip_without_postgres() -> None:
    """Skip the calling PostgreSQL test when there is no server (fail under CI=true)."""
    admin = _pg_admin_engine()
    if admin is None:
        pytest.skip(_pg_problem[0])
    admin.dispose()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Report every 'no PostgreSQL' skip at this file's skip line, so `-ra` folds them into one summary line."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and _pg_problem:
        _path, _line, reason = report.longrepr
        if reason.removeprefix("Skipped: ") == _pg_problem[0]:
            report.longrepr = (__file__, _SKIP_LINE, reason)
    return report


_SKIP_LINE = skip_without_postgres.__code__.co_firstlineno + 4  # the pytest.skip line above


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """A URL to an empty database (no tables) of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cstbot.db'}"
        return
    skip_without_postgres()
    with scratch_schema(PG_URL, "t") as url:
        yield url


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    """An engine on a database holding the current schema (created from the models)."""
    eng = make_engine(db_url)
    SQLModel.metadata.create_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()
