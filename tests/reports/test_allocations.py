"""The allocation ledger from the database: `cstbot trainers` and the summary workbook's sheet, exact on a fixture.

A state contact with 0.5 FTE (110 days at 220 per FTE) and one trainer; commitments before, inside and after the
2026-27 school year (July 1 to June 30, Chicago), one of them confirmed past the remaining allocation.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.reports.workbook import ALLOCATIONS_SHEET, summary_xlsx
from store import migrate, models
from store.db import make_engine, session_scope
from store.directory import load_directory
from store.summary import compile_summary
from tests.reports.conftest import MONTH

# (days, over allocation, committed at): the first is the last day of 2025-26 in Chicago, the last 2027-28.
COMMITMENTS = [
    (3.0, False, datetime(2026, 7, 1, 4, 59, tzinfo=UTC)),  # June 30, 23:59 in Chicago: the year before
    (2.0, False, datetime(2026, 7, 1, 5, 0, tzinfo=UTC)),  # July 1, 00:00 in Chicago
    (100.0, False, datetime(2026, 11, 13, 17, 0, tzinfo=UTC)),
    (9.5, True, datetime(2027, 2, 1, 15, 0, tzinfo=UTC)),  # past what remained (8): confirmed, flagged
    (4.0, False, datetime(2027, 7, 2, 15, 0, tzinfo=UTC)),
]


@pytest.fixture
def ledger_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_scope(engine, write=True) as s:
        s.add(models.Meta(key="organization", value="Ledger Test"))
        people = {}
        for key, name in (("zora", "Zora Contact"), ("tia", "Tia Trainer"), ("dee", "Dee Staff")):
            row = models.Person(name=name, email=f"{key}@example.org")
            s.add(row)
            s.flush()
            people[key] = row.id
        s.add(models.PersonRole(person_id=people["zora"], role="state_contact", fte=0.5))
        s.add(models.ContactTrainer(contact_id=people["zora"], trainer_id=people["tia"]))
        for i, (days, over, at) in enumerate(COMMITMENTS):
            item = models.Item(kind="training", status="matched", protocol_version="x", asker_id=people["dee"],
                               text="training", state={})
            s.add(item)
            s.flush()
            trainer = people["tia"] if i % 2 else people["zora"]
            s.add(models.TrainerCommitment(item_id=item.id, contact_id=people["zora"], trainer_id=trainer,
                                           days=days, over_allocation=over, committed_at=at))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("CSTBOT_PROTOCOL", raising=False)
    yield engine
    engine.dispose()


def test_cstbot_trainers_prints_the_school_years_ledger(ledger_db, capsys):
    assert main(["trainers", "--year", "2026"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Collaborative Work FTE, school year 2026-27 (2026-07-01 to 2027-06-30); 1 FTE = 220 days"
    rows = [line.split() for line in out[3:]]
    assert rows[0] == ["Zora", "Contact", "0.5", "110", "111.5", "-1.5", "3", "OVER", "ALLOCATION"]
    assert rows[1] == ["trainer", "Zora", "Contact", "100", "1"]
    assert rows[2] == ["trainer", "Tia", "Trainer", "11.5", "2", "(1", "past", "the", "allocation)"]
    assert rows[3] == ["All", "state", "contacts", "110", "111.5", "-1.5", "3"]
    assert out[-2] == "Offers confirmed past the remaining allocation (1):"
    assert out[-1].endswith("on 2027-02-01: Zora Contact committed 9.5 day(s) to Tia Trainer")
    assert main(["trainers", "--year", "2025"]) == 0
    assert "0.5        110          3        107          1" in capsys.readouterr().out


def test_the_summary_workbook_has_the_ledger_of_the_months_school_year(ledger_db, tmp_path):
    from routing.protocol_file import load_protocol

    with session_scope(ledger_db) as s:
        summary = compile_summary(session=s, month="2026-11", protocol=load_protocol(),
                                  directory=load_directory(session=s))
    assert MONTH  # the hand-made month of the other summary tests is not needed here
    wb = load_workbook(summary_xlsx(summary, tmp_path / "s.xlsx"), read_only=True)
    rows = [list(r) for r in wb[ALLOCATIONS_SHEET].iter_rows(values_only=True)]
    assert rows[0] == ["School year 2026-27 to 2026-11-30", "Trainer", "FTE", "Allocated (days)", "Committed (days)",
                       "Remaining (days)", "Trainings", "Flag"]
    # As of November 30: the February offer is not made yet.
    assert rows[1] == ["Zora Contact", None, 0.5, 110, 102, 8, 2, None]
    assert rows[2] == ["Zora Contact", "Zora Contact", None, None, 100, None, 1, None]
    assert rows[3] == ["Zora Contact", "Tia Trainer", None, None, 2, None, 1, None]
    assert rows[4][:7] == ["All state contacts", None, None, 110, 102, 8, 2]
    assert len(rows) == 5
