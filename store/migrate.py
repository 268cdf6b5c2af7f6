"""Run Alembic migrations without an alembic.ini: the script location ships inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from routing.errors import CstbotError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def require_current(url: str) -> None:
    """Refuse to run against a database that is missing the schema or is behind the code."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    try:
        here = current(url)
    except Exception as exc:
        raise CstbotError(f"cannot open the database ({type(exc).__name__}): check DATABASE_URL") from None
    if here is None:
        raise CstbotError("the database has no schema yet: run `cstbot db upgrade` first")
    if here != head:
        raise CstbotError(f"the database schema is at {here}, the code needs {head}: run `cstbot db upgrade`")
