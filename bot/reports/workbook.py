"""The monthly summary as a workbook: By team, By district, Topics, Submissions, Trainer allocations (the state
contacts' allocation ledger of the month's school year) and Communication (bot/reports/communication.py),
openpyxl write-only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.reports import communication
from bot.reports.export import neutralise
from routing.allocation import Ledger
from store.summary import KIND_LABELS, Summary, Tally


def _type_headers(summary: Summary) -> list[str]:
    headers = []
    for _key, label in summary.types:
        headers += [f"{label}: interactions", f"{label}: hours"]
    return headers


def _type_cells(summary: Summary, tally: Tally) -> list[Any]:
    cells: list[Any] = []
    for key, _label in summary.types:
        cells += [tally.count(key), round(tally.hours_of(key), 2)]
    return cells


def summary_rows(summary: Summary) -> dict[str, tuple[list[str], Iterable[list[Any]]]]:
    """Each sheet's header and rows (also what a CSV export of the summary would hold)."""
    tz_name = str(summary.due_at.tzinfo)
    by_team_header = ["Team", "Facilitator(s)", "Interactions", "Hours", "Districts", *_type_headers(summary)]

    def by_team() -> Iterable[list[Any]]:
        for t in summary.teams:
            yield [
                t.name,
                "; ".join(t.facilitators),
                t.tally.total,
                round(t.tally.hours, 2),
                len(t.districts),
                *_type_cells(summary, t.tally),
            ]
        yield [
            "All teams",
            "",
            summary.totals.total,
            round(summary.totals.hours, 2),
            summary.districts_served,
            *_type_cells(summary, summary.totals),
        ]

    by_district_header = ["Team", "District", "Interactions", "Hours", *_type_headers(summary)]

    def by_district() -> Iterable[list[Any]]:
        for d in summary.districts:
            yield [d.team, d.name, d.tally.total, round(d.tally.hours, 2), *_type_cells(summary, d.tally)]
        yield ["All teams", "All districts", summary.totals.total, round(summary.totals.hours, 2),
               *_type_cells(summary, summary.totals)]

    topics_header = ["Team", "Kind", "Topic", "Interactions"]

    def topics() -> Iterable[list[Any]]:
        for t in (*summary.standards, *summary.expertise, *summary.other_topics):
            yield ["All teams", KIND_LABELS[t.kind], t.name, t.count]
        for team in summary.teams:
            for t in summary.topics_of_team(team.team_id):
                yield [team.name, KIND_LABELS[t.kind], t.name, t.count]

    submissions_header = [
        "Team",
        "Facilitator(s)",
        "Status",
        "Log",
        f"Submitted at ({tz_name})",
        "Submitted by",
        f"Due ({tz_name})",
        "Entries entered",
        "Team active",
    ]
    due = summary.due_at.replace(tzinfo=None)

    def submissions() -> Iterable[list[Any]]:
        for s in summary.submissions:
            yield [
                s.team,
                "; ".join(s.facilitators),
                s.status_label,
                s.log_status,
                s.submitted_at.replace(tzinfo=None) if s.submitted_at else None,
                s.submitted_by or "",
                due,
                s.entered,
                "yes" if s.active else "no",
            ]

    sheets = {
        "By team": (by_team_header, by_team()),
        "By district": (by_district_header, by_district()),
        "Topics": (topics_header, topics()),
        "Submissions": (submissions_header, submissions()),
    }
    if summary.allocations is not None:
        sheets[ALLOCATIONS_SHEET] = allocation_rows(summary.allocations)
    if summary.communication is not None:
        sheets[communication.SHEET] = communication.communication_rows(summary.communication)
    return sheets


ALLOCATIONS_SHEET = "Trainer allocations"


def allocation_rows(ledger: Ledger) -> tuple[list[str], Iterable[list[Any]]]:
    """The allocation ledger: a line per state contact, one per trainer they named under it, the total, and every
    offer confirmed past the remaining allocation (flagged)."""
    header = [f"School year {ledger.year_label} to {ledger.end.isoformat()}", "Trainer", "FTE", "Allocated (days)",
              "Committed (days)", "Remaining (days)", "Trainings", "Flag"]

    def rows() -> Iterable[list[Any]]:
        for c in ledger.contacts:
            flag = "over allocation" if c.over else ("" if c.active else "no longer a state contact")
            yield [c.name, "", c.fte, c.allocated, c.committed, c.remaining, c.trainings, flag]
            for t in c.trainers:
                over = f"{t.over_allocation} past the allocation" if t.over_allocation else ""
                yield [c.name, t.name, None, None, t.days, None, t.trainings, over]
        yield ["All state contacts", "", None, ledger.allocated, ledger.committed, ledger.remaining,
               sum(c.trainings for c in ledger.contacts), f"{ledger.label}; 1 FTE = {ledger.days_per_fte:g} days"]
        for f in ledger.flagged:
            yield [ledger.name_of(f.contact_id), ledger.name_of(f.trainer_id), None, None, f.days, None, 1,
                   f"over allocation: item #{f.item_id}, confirmed {f.day.isoformat()}"]

    return header, rows()


def summary_xlsx(summary: Summary, path: str | Path) -> Path:
    """The summary as a workbook: sheets By team, By district, Topics, Submissions, Trainer allocations,
    Communication."""
    return write_workbook(summary_rows(summary), path)


def write_workbook(sheets: dict[str, tuple[list[str], Iterable[list[Any]]]], path: str | Path) -> Path:
    """Sheets of a header and rows, write-only, header bold and frozen, formula-looking text neutralised."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for i, name in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = 28 if i <= 2 else max(12, min(24, len(name)))
        cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for row in rows:
            sheet.append([neutralise(v) for v in row])
    path = Path(path)
    workbook.save(str(path))
    return path


# --- chart ---------------------------------------------------------------------------------------------
