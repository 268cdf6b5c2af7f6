"""What listeners, the dispatcher and the scheduler share: settings, database, Slack client, protocol, clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.settings import Settings
from routing.protocol import ProtocolBook
from store.db import run_transaction, session_scope
from store.directory import DirectoryCache

T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    client: WebClient
    protocols: ProtocolBook
    clock: Callable[[], datetime] = field(default=_utcnow)
    directories: DirectoryCache = field(default_factory=DirectoryCache)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A transaction; `write=True` when it will write (SQLite then takes its write lock up front)."""
        with session_scope(self.engine, write=write) as s:
            yield s

    def transaction(self, work: Callable[[Session], T], *, write: bool = False) -> T:
        """`work(session)` in one transaction, run again once on a new connection if the database dropped the
        connection before the COMMIT (`store.db.run_transaction`)."""
        return run_transaction(self.engine, work, write=write)

    def now(self) -> datetime:
        return self.clock()
