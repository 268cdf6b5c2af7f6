"""A database outage is logged by the dispatcher once when it starts and once when it ends, not every second.

The loop runs for real against a database that refuses connections (a PostgreSQL URL on a closed local port:
the driver's own error), then against the test's database (SQLite and PostgreSQL). Its idle wait moves the
dispatcher's clock by the second it would have waited; nothing sleeps.
"""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from slack_sdk import WebClient

from bot.delivery.dispatcher import Dispatcher
from store.db import make_engine
from tests.delivery.helpers import Clock, enqueue
from tests.standin import SlackStandIn

DOWN_FOR = 42  # seconds, one failed batch per second


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


class Seconds(threading.Event):
    """The loop's stop event: each idle wait is one second on `clock`; `on_wait(n)` runs at the n-th wait."""

    def __init__(self, clock: Clock, on_wait) -> None:
        super().__init__()
        self.clock, self.on_wait, self.waits = clock, on_wait, 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        self.clock.advance(seconds=timeout or 0)
        self.on_wait(self.waits)
        return self.is_set()


def dispatcher_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.delivery.dispatcher" and r.levelno >= logging.WARNING]


def test_outage_is_logged_once_when_it_starts_and_once_when_it_ends(engine, caplog) -> None:
    pytest.importorskip("psycopg")
    clock = Clock()
    down = make_engine(f"postgresql+psycopg://cstbot@127.0.0.1:{closed_port()}/gone?connect_timeout=2")
    with SlackStandIn() as slack:
        dispatcher = Dispatcher(engine=down, client=WebClient(base_url=slack.base_url, token="xoxb-t"), clock=clock,
                                worker="w1")
        enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "queued during the outage"})

        def timeline(waits: int) -> None:
            if waits == DOWN_FOR:
                dispatcher.engine = engine  # the database is back
            if waits == DOWN_FOR + 3:
                stop.set()

        stop = Seconds(clock, timeline)
        with caplog.at_level(logging.DEBUG, logger="bot.delivery.dispatcher"):
            dispatcher.run_forever(stop)
        down.dispose()

    logged = dispatcher_logs(caplog)
    assert [r.levelname for r in logged] == ["ERROR", "WARNING"], [r.getMessage() for r in logged]
    unreachable, back = (r.getMessage() for r in logged)
    assert unreachable.startswith("outbox dispatcher w1: database unreachable (OperationalError: ")
    assert "\n" not in unreachable and logged[0].exc_info is None  # one line, no traceback
    assert back == f"outbox dispatcher w1: database back after {DOWN_FOR} s"
    still = [r for r in caplog.records if "still failing" in r.getMessage()]
    assert len(still) == DOWN_FOR - 1 and {r.levelname for r in still} == {"DEBUG"}
    assert [c.args["text"] for c in slack.calls_to("chat.postMessage")] == ["queued during the outage"]


def test_a_bug_in_a_batch_is_logged_with_its_traceback_once(engine, caplog, monkeypatch) -> None:
    clock = Clock()
    with SlackStandIn() as slack:
        dispatcher = Dispatcher(engine=engine, client=WebClient(base_url=slack.base_url, token="xoxb-t"), clock=clock)
        real_run_once, runs = dispatcher.run_once, []

        def broken_then_fixed():
            runs.append(1)
            if len(runs) <= 5:
                raise KeyError("payload")
            return real_run_once()

        monkeypatch.setattr(dispatcher, "run_once", broken_then_fixed)
        stop = Seconds(clock, lambda waits: stop.set() if waits == 7 else None)
        with caplog.at_level(logging.INFO, logger="bot.delivery.dispatcher"):
            dispatcher.run_forever(stop)

    logged = dispatcher_logs(caplog)
    assert [r.levelname for r in logged] == ["ERROR", "WARNING"]
    assert "batch failed" in logged[0].getMessage() and logged[0].exc_info is not None
    assert logged[1].getMessage() == "outbox dispatcher dispatcher: batches work again after 5 s (5 failed)"

