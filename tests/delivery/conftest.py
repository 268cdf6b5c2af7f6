"""Outbox fixtures: the hand-driven clock, the Slack stand-in, a WebClient on it, and a dispatcher.

Store fixtures (`engine`, `db_url`) come from tests/conftest.py and run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.delivery.dispatcher import Dispatcher
from tests.standin import SlackStandIn

from .helpers import TOKEN, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(base_url=slack.base_url, token=TOKEN, timeout=1)


@pytest.fixture
def dispatcher(engine: Engine, client: WebClient, clock: Clock) -> Dispatcher:
    return Dispatcher(engine=engine, client=client, clock=clock, worker="test-dispatcher")
