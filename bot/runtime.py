"""Assemble the running pieces from settings: engine, client, protocol, Bolt app, worker."""

from __future__ import annotations

import logging
import os
import socket
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.delivery.dispatcher import WORKER_LANES, Dispatcher
from bot.deps import Deps
from bot.items.cards import Renderer
from bot.settings import Settings
from bot.slack.client import make_client
from routing.protocol import ProtocolBook
from routing.protocol_file import load_protocol, parse_protocol
from store import protocols
from store.db import make_engine
from store.types import utcnow

log = logging.getLogger(__name__)


def load_book(settings: Settings, engine: Engine) -> ProtocolBook:
    """The protocol book: the current protocol file plus every version items were started under.

    Changing the file without changing its `version` is refused at start (ProtocolBook checks the texts)."""
    current = load_protocol(settings.cstbot_protocol)
    with Session(engine) as session:
        stored = protocols.snapshots(session=session)
    book = ProtocolBook(current, [parse_protocol(s.text, f"<snapshot {s.version}>") for s in stored])
    if any(s.version == current.version for s in stored):
        return book
    if not protocols.record(engine=engine, version=current.version, text=current.text, source=current.source,
                            now=utcnow()):
        # Another process (a second gunicorn worker) recorded this version at the same moment: read it back,
        # which also checks that its text is the same as ours.
        return load_book(settings, engine)
    return book


def build_deps(settings: Settings) -> Deps:
    engine = make_engine(settings.database_url)
    client = make_client(settings)
    return Deps(settings=settings, engine=engine, client=client, protocols=load_book(settings, engine))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """The outbox dispatcher and the scheduler, in background threads of this process."""

    def __init__(self, deps: Deps, *, scheduler: bool = True) -> None:
        self.deps = deps
        self.stop_event = threading.Event()
        self.dispatcher = Dispatcher(engine=deps.engine, client=deps.client, clock=deps.clock, worker=worker_name(),
                                     lanes=WORKER_LANES, render=Renderer(deps))
        self._thread: threading.Thread | None = None
        self._scheduler = None
        self._with_scheduler = scheduler

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.dispatcher.run_forever, args=(self.stop_event,), name="cstbot-outbox", daemon=True
        )
        self._thread.start()
        if self._with_scheduler:
            from bot.delivery.scheduler import start_scheduler

            self._scheduler = start_scheduler(self.deps)

    def stop(self) -> None:
        self.stop_event.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._thread is not None:
            self._thread.join(timeout=10)
