"""The log export: every live entry field for field, CSV and XLSX alike, formulas made inert, streamed."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import date, datetime

from openpyxl import load_workbook
from sqlalchemy import event, insert

from bot.reports.export import neutralise, write_csv, write_xlsx
from store import models
from store.db import session_scope
from store.export import HEADERS, iter_log_rows
from tests.reports.conftest import MONTH


def rows(fx, protocol, **kw) -> list[tuple]:
    with session_scope(fx.engine) as s:
        return list(iter_log_rows(session=s, protocol=protocol, **kw))


def test_headers_follow_the_log_form():
    assert HEADERS == (
        "Team",
        "Entered by",
        # the nine fields of the CST Coaching Interaction Log (CST Implementation Guide), in its order
        "District name",
        "Date",
        "Duration (minutes)",
        "Interaction type",
        "Participants",
        "CST members present",
        "Topics covered",
        "Resources and tools shared/discussed",
        "Comments",
        "Description (unsure)",
        "Entry id",
    )


def test_month_rows_field_for_field(month, protocol):
    got = rows(month, protocol, month=MONTH)
    ids = month.ids
    assert got == [
        ("Team A", "Mo Member", "Dist One", date(2026, 3, 2), 60, "Planning", "Principal, 2 coaches",
         "Ann Facil; Mo Member", "Data; Learning Communities", "DBDM worksheet", "Good start", "", ids["a1"]),
        ("Team B", "Bob Facil", "Dist Three", date(2026, 3, 3), 120, "Providing feedback", "", "Bob Facil",
         "Leadership", "", "", "", ids["b1"]),
        ("Team C", "Cat Facil", "Dist Four", date(2026, 3, 4), 30, "Sharing ideas and resources",
         "=cmd|' /C calc'!A0", "", "+Other", "-2+3", "@SUM(1,2)", "", ids["c1"]),
        ("Team A", "Ann Facil", "Dist One", date(2026, 3, 5), 30, "Discussing data", "Data team", "Ann Facil",
         "data", "", "", "", ids["a2"]),
        ("Team A", "Ann Facil", "Dist Two", date(2026, 3, 10), 90,
         "Other (not sure it is coaching): describe the event", "Board", "", "Budget", "", "",
         "School board work session", ids["a3"]),
        ("Team B", "Bob Facil", "Dist Three", date(2026, 3, 20), 60, "Providing feedback", "", "",
         "Leadership; Implementation; Special Education; leadership", "", "", "", ids["b2"]),
    ]  # the deleted entry and April's are not there; C's unsubmitted entry is


def test_filters(month, protocol):
    ids = month.ids
    assert [r[-1] for r in rows(month, protocol, month=MONTH, submitted_only=True)] == [
        ids["a1"], ids["b1"], ids["a2"], ids["a3"], ids["b2"]]
    assert [r[-1] for r in rows(month, protocol, month=MONTH, team_id=ids["B"])] == [ids["b1"], ids["b2"]]
    ranged = rows(month, protocol, start=date(2026, 3, 4), end=date(2026, 4, 30))
    assert [r[-1] for r in ranged] == [ids["c1"], ids["a2"], ids["a3"], ids["b2"], ids["a_april"]]
    assert rows(month, protocol, start=date(2026, 3, 11), end=date(2026, 3, 19)) == []


def test_csv_round_trip_with_formulas_neutralised(month, protocol):
    entered = rows(month, protocol, month=MONTH)
    buf = io.StringIO(newline="")
    assert write_csv(iter(entered), buf) == len(entered)
    parsed = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert tuple(parsed[0]) == HEADERS
    expected = [[_text(neutralise(v)) for v in r] for r in entered]
    assert parsed[1:] == expected
    c1 = next(r for r in parsed if r[-1] == str(month.ids["c1"]))
    assert (c1[6], c1[8], c1[9], c1[10]) == ("'=cmd|' /C calc'!A0", "'+Other", "'-2+3", "'@SUM(1,2)")


def _text(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def test_xlsx_has_the_same_rows(month, protocol, tmp_path):
    entered = rows(month, protocol, month=MONTH)
    path = tmp_path / "logs.xlsx"
    assert write_xlsx(iter(entered), path) == len(entered)
    sheet = load_workbook(path).active
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(got[0]) == HEADERS
    expected = [[neutralise(v) if v != "" else None for v in r] for r in entered]
    for row in got[1:]:
        row[3] = row[3].date() if isinstance(row[3], datetime) else row[3]
    assert got[1:] == expected
    # Nothing in the workbook is a formula: C's "=cmd|..." is text.
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)
    assert sheet.cell(row=2, column=4).number_format.lower().startswith("yyyy-mm-dd")


def test_neutralise():
    for value in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert neutralise(value) == "'" + value
    for value in ("plain", "", "a=b", 5, None, date(2026, 1, 1)):
        assert neutralise(value) == value


# --- streaming ---------------------------------------------------------------------------------------------


def test_export_streams_from_the_database(month, protocol):
    seen = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        if "FROM interaction" in statement:
            seen.append((context.execution_options, type(cursor).__name__))

    event.listen(month.engine, "before_cursor_execute", spy)
    try:
        assert len(rows(month, protocol, month=MONTH, yield_per=2)) == 6
    finally:
        event.remove(month.engine, "before_cursor_execute", spy)
    (options, cursor_type), = seen
    assert options.get("stream_results") is True and options.get("yield_per") == 2
    if month.engine.dialect.name == "postgresql":
        assert cursor_type == "ServerCursor"  # a named cursor: the server holds the rows, we fetch batches


def _fill(engine, ids, count: int) -> None:
    table = models.Interaction.__table__
    batch = [
        {
            "team_id": ids["A"], "month": "2025-11", "district_id": ids["Dist One"],
            "occurred_on": date(2025, 11, 1 + i % 28), "duration_minutes": 30 + i % 90,
            "interaction_type": "planning", "description": "", "participants": f"Principal and {i % 7} teachers",
            "members_present": [ids["fa"], ids["mem"]], "topics": ["Data", "Leadership"],
            "resources": "Worksheet " * 5, "comments": "Comment text " * 8, "no_student_data": True,
            "author_id": ids["fa"], "created_at": datetime(2025, 11, 30).astimezone(),
            "updated_at": datetime(2025, 11, 30).astimezone(),
        }
        for i in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(table), batch)


def _peak(engine, protocol, month_key: str) -> tuple[int, int]:
    class Sink:
        size = 0

        def write(self, text):
            self.size += len(text)

    with session_scope(engine) as s:
        tracemalloc.start()
        try:
            count = write_csv(iter_log_rows(session=s, protocol=protocol, month=month_key), Sink())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return count, peak


def test_export_memory_is_flat(month, protocol):
    _fill(month.engine, month.ids, 2_000)
    count_small, small = _peak(month.engine, protocol, "2025-11")
    _fill(month.engine, month.ids, 18_000)
    count_big, big = _peak(month.engine, protocol, "2025-11")
    assert (count_small, count_big) == (2_000, 20_000)
    # Ten times the rows, about the same peak (one batch of rows); holding 20k rows would take ~20 MB.
    assert big < small * 1.5 + 256 * 1024, (small, big)
