"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from store import migrate
from store.db import make_engine


def test_upgrade_matches_models_and_is_repeatable(db_url):
    migrate.upgrade(db_url)
    migrate.upgrade(db_url)  # a second run is a no-op, not an error
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            assert MigrationContext.configure(conn).get_current_revision() is not None
        tables = set(inspect(engine).get_table_names())
        assert {"person", "team", "district", "item", "item_event", "interaction", "outbox"} <= tables
    finally:
        engine.dispose()
