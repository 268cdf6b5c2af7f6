"""Protocol snapshots: the text of every protocol version items were started under.

Each version's text is kept the first time it is used, so an item keeps its rules when the file changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import ProtocolSnapshot


def snapshots(*, session: Session) -> list[ProtocolSnapshot]:
    return list(session.exec(select(ProtocolSnapshot)))


def record(*, engine: Engine, version: str, text: str, source: str, now: datetime) -> bool:
    """Keep this version's text, in its own transaction. False: another process recorded it at the same moment."""
    try:
        with Session(engine) as session:
            session.add(ProtocolSnapshot(version=version, text=text, source=source, created_at=now))
            session.commit()
    except IntegrityError:
        return False
    return True
