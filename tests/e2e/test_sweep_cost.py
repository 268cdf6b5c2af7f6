"""The deadline sweep reads every due item in one query (and their cards in one more), not one query each."""

from __future__ import annotations

import re
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import event

from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import submit_ask


def test_the_sweep_reads_every_due_item_at_once(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM) as clock:
        for n in range(3):
            assert submit_ask(env, "USTAFF001", f"Question {n}", district=1).status == 200
        clock.tick(timedelta(days=30))  # every deadline has passed
        statements: list[str] = []

        def seen(conn, cursor, statement, params, context, executemany):
            statements.append(statement)

        event.listen(env.engine, "before_cursor_execute", seen)
        try:
            stats = env.service().sweep(now=env.deps.now())
        finally:
            event.remove(env.engine, "before_cursor_execute", seen)
        assert stats.moved == 3
        reads_items = [s for s in statements if re.match(r"\s*SELECT\b.*\bFROM item\b", s, re.S)]
        reads_cards = [s for s in statements if re.match(r"\s*SELECT\b.*\bFROM item_card\b", s, re.S)]
        assert len(reads_items) == 1 and len(reads_cards) == 1
        assert sum(1 for s in statements if s.lstrip().startswith("UPDATE item ")) == 3  # one write each
