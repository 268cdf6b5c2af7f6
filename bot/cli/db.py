"""`cstbot db upgrade`: create or migrate the schema."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import load_settings
from routing.errors import CstbotError
from store import migrate


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="create the schema or migrate it to the newest version")
    up.set_defaults(func=upgrade)


def upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).parent
        if not folder.is_dir():
            raise CstbotError(f"cannot create the database {url.database}: the folder {folder} does not exist; "
                              "create it, or set DATABASE_URL to a file in a folder that does")
    migrate.upgrade(settings.database_url)
    print(f"database is at schema {migrate.current(settings.database_url)} ({_redact(settings.database_url)})")
    return 0


def _redact(url: str) -> str:
    """Hide a password in a URL before printing it."""

    return make_url(url).render_as_string(hide_password=True)
