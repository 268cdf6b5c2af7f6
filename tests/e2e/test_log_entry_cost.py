"""A coaching log entry is stored with the statements it needs: the team's locked months once, one INSERT, the
month's count for the reply."""

from __future__ import annotations

from freezegun import freeze_time
from sqlalchemy import event

from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.test_logs_flow import PLANNING, open_log, rows, submit_log


def test_a_log_entry_costs_three_statements(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        view = open_log(env, "UMEMA0001")
        statements: list[str] = []

        def seen(conn, cursor, statement, params, context, executemany):
            statements.append(" ".join(statement.split()))

        event.listen(env.engine, "before_cursor_execute", seen)
        try:
            r = submit_log(env, "UMEMA0001", view, kind=PLANNING, no_student_data=True)
        finally:
            event.remove(env.engine, "before_cursor_execute", seen)
        assert r.status == 200 and r.json()["view"]["title"]["text"] == "Logged"
        assert len(rows(env)) == 1
        # The submission's own bookkeeping (the view_submission replay guard's rows) is not the entry's cost.
        work = [s for s in statements if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE"))
                and "view_submission" not in s]
        assert [s.split(" ")[0] for s in work] == ["SELECT", "INSERT", "SELECT"], work
        assert "FROM log_month" in work[0] and work[1].startswith("INSERT INTO interaction ")
        assert "RETURNING" not in work[1]  # a Core INSERT: nothing read back
