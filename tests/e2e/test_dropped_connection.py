"""The database drops the app's connections between two requests (a restart, an administrator): the next ask is
still stored and answered "Sent", once."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlalchemy import event, func, select

from store.models import Item
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import submit_ask
from tests.store.test_dropped_connection import terminate


def test_an_ask_after_the_database_dropped_the_connections_is_stored_once(app_env):
    env = app_env
    if env.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    pooled: set[int] = set()
    event.listen(env.engine, "checkin", lambda dbapi_conn, _record: pooled.add(dbapi_conn.info.backend_pid))
    with freeze_time(MONDAY_10AM):
        assert submit_ask(env, "USTAFF001", "First question", district=1).json()["response_action"] == "update"
        assert pooled
        for pid in pooled:  # every connection the app holds, idle in its pool
            terminate(pid)
        r = submit_ask(env, "USTAFF001", "Second question", district=1)
        assert r.status == 200
        assert "Sent" in str(r.json()["view"])
    with env.deps.session() as s:
        texts = s.execute(select(Item.text).order_by(Item.id)).scalars().all()
        assert list(texts) == ["First question", "Second question"]
        assert s.execute(select(func.count()).select_from(Item)).scalar_one() == 2
