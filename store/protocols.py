"""The protocol book: the current protocol file plus every version items were started under.

Each version's text is kept in the protocol_snapshot table the first time it is used, so an item keeps its
rules when the file changes. Changing the file without changing `version` is refused at start.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.settings import Settings
from routing.protocol import ProtocolBook, load_protocol, parse_protocol
from store.models import ProtocolSnapshot
from store.types import utcnow


def load_book(settings: Settings, engine: Engine) -> ProtocolBook:
    current = load_protocol(settings.cstbot_protocol)
    with Session(engine) as session:
        stored = list(session.exec(select(ProtocolSnapshot)))
    book = ProtocolBook(current, [parse_protocol(s.text, f"<snapshot {s.version}>") for s in stored])
    if any(s.version == current.version for s in stored):
        return book
    try:
        with Session(engine) as session:
            session.add(
                ProtocolSnapshot(version=current.version, text=current.text, source=current.source, created_at=utcnow())
            )
            session.commit()
    except IntegrityError:
        # Another process (a second gunicorn worker) recorded this version at the same moment: read it back,
        # which also checks that its text is the same as ours.
        return load_book(settings, engine)
    return book
