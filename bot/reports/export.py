"""Writing coaching log entries out: CSV (streamed) and XLSX (openpyxl write-only), with spreadsheet formula
injection neutralised. The rows come from `store.export.iter_log_rows`."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import IO, Any

from store.export import HEADERS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cells(row: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in row]


def write_csv(rows: Iterable[tuple], fp: IO[str], *, headers: tuple[str, ...] = HEADERS) -> int:
    """Write the header and every row to an open text file (opened with newline=""). Returns the row count."""
    writer = csv.writer(fp)
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow([v.isoformat() if isinstance(v, date) else v for v in _cells(row)])
        count += 1
    return count


def write_xlsx(
    rows: Iterable[tuple],
    path: str | Path,
    *,
    headers: tuple[str, ...] = HEADERS,
    title: str = "Coaching interactions",
    widths: Mapping[str, int] | None = None,
) -> int:
    """Write a one-sheet workbook with openpyxl's write-only mode (rows go to disk as they come)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for i, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = (widths or {}).get(header, _width(header))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append(_cells(row))
        count += 1
    workbook.save(str(path))
    return count


def _width(header: str) -> int:
    if header in ("Participants", "Topics covered", "Resources and tools shared/discussed", "Comments"):
        return 40
    if header in ("Date", "Entry id", "Duration (minutes)"):
        return 12
    return max(14, min(30, len(header) + 2))
