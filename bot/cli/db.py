"""`cstbot db upgrade`: create or migrate the schema."""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url

from bot.settings import load_settings
from store import migrate


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="create the schema or migrate it to the newest version")
    up.set_defaults(func=upgrade)


def upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    migrate.upgrade(settings.database_url)
    print(f"database is at schema {migrate.current(settings.database_url)} ({_redact(settings.database_url)})")
    return 0


def _redact(url: str) -> str:
    """Hide a password in a URL before printing it."""

    return make_url(url).render_as_string(hide_password=True)
