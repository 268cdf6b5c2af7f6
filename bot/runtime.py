"""Assemble the running pieces from settings: engine, client, protocol, Bolt app, worker."""

from __future__ import annotations

import logging
import os
import socket
import threading

from bot.deps import Deps
from bot.settings import Settings
from bot.slack.client import make_client
from store.db import make_engine

log = logging.getLogger(__name__)


def build_deps(settings: Settings) -> Deps:
    from store.protocols import load_book

    engine = make_engine(settings.database_url)
    client = make_client(settings)
    return Deps(settings=settings, engine=engine, client=client, protocols=load_book(settings, engine))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """The outbox dispatcher and the scheduler, in background threads of this process."""

    def __init__(self, deps: Deps, *, scheduler: bool = True) -> None:
        from bot.delivery.dispatcher import Dispatcher

        self.deps = deps
        self.stop_event = threading.Event()
        self.dispatcher = Dispatcher(engine=deps.engine, client=deps.client, clock=deps.clock, worker=worker_name())
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
