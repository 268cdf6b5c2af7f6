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


def _pg_admin_engine() -> Engine | None:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return engine
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is required under CI and is unreachable: {exc}")
        return None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """A URL to an empty database (no tables) of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cstbot.db'}"
        return
    admin = _pg_admin_engine()
    if admin is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    admin.dispose()
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
