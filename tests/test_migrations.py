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


def test_a_summary_posted_before_editions_counts_as_sent(db_url):
    """0009: a month the earlier code posted (scheduled_delivery rows) gets revision 0, so it is not sent again."""
    from sqlalchemy import text

    migrate.upgrade(db_url, "0008")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for recipient in ("C0SUMMARY1", "UFAC00001"):
                conn.execute(text("INSERT INTO scheduled_delivery (kind, period, recipient, created_at) "
                                  "VALUES ('monthly_summary', '2026-10', :r, CURRENT_TIMESTAMP)"), {"r": recipient})
        migrate.upgrade(db_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT month, revision FROM summary_edition")).all()
        assert [tuple(r) for r in rows] == [("2026-10", 0)]
    finally:
        engine.dispose()
