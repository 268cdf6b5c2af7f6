"""The roster as sheets: a directory of CSV files, or one XLSX workbook with the same sheets.

Reading produces the same raw records as the YAML reader; writing (`write_csv`, `write_xlsx`) turns a
validated Roster back into sheets, so the example files are generated from the example YAML.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from routing.vocabulary import suggest
from store.roster.model import OPTIONAL_SHEETS, SHEETS, Cell, Loc, Problem, RawRoster, Record, Roster

# sheet -> (required columns, optional columns). Cells of a required column may still be empty where the
# value is optional (a person's email when they have a Slack id, a district's team).
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "meta": (("key", "value"), ()),
    "people": (("email", "name"), ("slack_id", "away_until")),
    "teams": (("name",), ("zone", "region")),
    "members": (("team", "person", "role"), ("expertise", "fte", "fte_available", "home_center", "fit")),
    "districts": (("name", "team"), ("zone", "region", "center", "staff")),
    # role: lead | management | state_contact | admin | support (the support team: fte_available applies);
    # trainers (state contacts): the people they can assign, separated by ';'
    "roles": (("role", "person"), ("expertise", "fte", "home_center", "fte_available", "trainers")),
    "channels": (("purpose", "channel"), ()),
    # audience: learning_services | rpdc_directors (center) | area_supervisors (one of region, zone, districts);
    # an audience's channels are in `channels` with the audience as their purpose
    "audiences": (("audience", "person"), ("center", "region", "zone", "districts")),
}
HEADER_ALIASES = {"channel_id": "channel", "slack": "slack_id", "e_mail": "email", "organisation": "organization"}
META_KEYS = ("organization",)
LIST_SEPARATOR = ";"


def _header(value: Any) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", str(value or "").strip().lower()).strip("_")
    return HEADER_ALIASES.get(name, name)


def _columns_text(sheet: str) -> str:
    required, optional = COLUMNS[sheet]
    return ", ".join(required) + (f" (optional: {', '.join(optional)})" if optional else "")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(raw: RawRoster, sheet: str, rows: Iterable[Sequence[Any]], loc: Loc) -> list[Record]:
    """Records of one sheet. `loc` locates the sheet; rows are numbered from 1 like a spreadsheet's."""

    def at(row: int | None) -> Loc:
        return Loc(loc.source, form=loc.form, sheet=sheet, row=row)

    required, optional = COLUMNS[sheet]
    columns: list[str | None] | None = None
    records: list[Record] = []
    for number, values in enumerate(rows, start=1):
        if all(_blank(v) for v in values):
            continue
        if columns is None:  # the first non-empty row is the header
            columns = []
            for value in values:
                name = _header(value)
                if not name:
                    columns.append(None)
                elif name in columns:
                    raw.problems.append(Problem(at(number), f"column {name!r} appears twice"))
                    columns.append(None)
                elif name not in required + optional:
                    hint = suggest(name, required + optional)
                    raw.problems.append(
                        Problem(
                            at(number),
                            f"unknown column {str(value).strip()!r}"
                            + (f": did you mean {hint!r}?" if hint else f": the columns are {_columns_text(sheet)}"),
                        )
                    )
                    columns.append(None)
                else:
                    columns.append(name)
            missing = [c for c in required if c not in columns]
            for name in missing:
                raw.problems.append(Problem(at(number), f"missing column {name!r} (columns: {_columns_text(sheet)})"))
            if missing:
                raw.broken.add(sheet)
                return []
            continue
        record = Record(at(number))
        for index, value in enumerate(values):
            name = columns[index] if index < len(columns) else None
            if name is not None:
                text = value.strip() if isinstance(value, str) else value
                record.cells[name] = Cell(None if _blank(text) else text, record.loc)
            elif index >= len(columns) and not _blank(value):
                raw.problems.append(Problem(record.loc, f"a value past the last column: {str(value).strip()!r}"))
        records.append(record)
    if columns is None:
        raw.problems.append(Problem(at(None), f"the sheet is empty: it needs a header row ({_columns_text(sheet)})"))
        raw.broken.add(sheet)
    return records


def _fill(raw: RawRoster, sheet: str, records: list[Record]) -> None:
    if sheet != "meta":
        raw.records[sheet].extend(records)
        return
    for rec in records:
        key_cell = rec.get("key")
        key = _header(key_cell.value)
        if key not in META_KEYS:
            hint = suggest(key, META_KEYS)
            raw.problems.append(
                Problem(rec.loc, f"unknown key {key_cell.value!r}" + (f": did you mean {hint!r}?" if hint else ""))
            )
        elif raw.organization is not None:
            raw.problems.append(Problem(rec.loc, f"organization is given twice (also at {raw.organization.loc.brief})"))
        else:
            raw.organization = rec.get("value")


# --- CSV -------------------------------------------------------------------------------------------------


def read_csv_dir(path: Path) -> RawRoster:
    """A directory of `<sheet>.csv` files (UTF-8, a header row, lists in a cell separated by ';')."""
    directory = path if path.is_dir() else path.parent
    raw = RawRoster(source=str(directory), form="csv")
    for sheet in SHEETS:
        file = directory / f"{sheet}.csv"
        loc = Loc(str(file), form="csv", sheet=sheet)
        if not file.is_file() and sheet in OPTIONAL_SHEETS:
            continue
        if not file.is_file():
            raw.problems.append(Problem(loc, f"missing file (columns: {_columns_text(sheet)})"))
            raw.broken.add(sheet)
            continue
        try:
            with file.open(newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.reader(handle))
        except (UnicodeDecodeError, csv.Error) as exc:
            raw.problems.append(Problem(loc, f"cannot read the file as UTF-8 CSV: {exc}"))
            raw.broken.add(sheet)
            continue
        _fill(raw, sheet, _read_sheet(raw, sheet, rows, loc))
    return raw


# --- XLSX ------------------------------------------------------------------------------------------------


def read_xlsx(path: Path) -> RawRoster:
    """One workbook whose worksheets are the sheets (names matched ignoring case)."""
    from openpyxl import load_workbook

    raw = RawRoster(source=str(path), form="xlsx")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zip, XML and key errors for a bad file
        raw.problems.append(Problem(raw.loc, f"cannot read the workbook: {exc or type(exc).__name__}"))
        return raw
    try:
        by_name = {_header(name): name for name in workbook.sheetnames}
        for sheet in SHEETS:
            loc = Loc(str(path), form="xlsx", sheet=sheet)
            if sheet not in by_name and sheet in OPTIONAL_SHEETS:
                continue
            if sheet not in by_name:
                raw.problems.append(Problem(loc, f"missing sheet (columns: {_columns_text(sheet)})"))
                raw.broken.add(sheet)
                continue
            rows = workbook[by_name[sheet]].iter_rows(values_only=True)
            _fill(raw, sheet, _read_sheet(raw, sheet, rows, loc))
    finally:
        workbook.close()
    return raw


# --- writing ---------------------------------------------------------------------------------------------


def roster_rows(roster: Roster) -> dict[str, list[list[Any]]]:
    """Each sheet as a header row and value rows (str, float or None; lists joined with '; ')."""

    def listed(values: Iterable[str]) -> str | None:
        return f"{LIST_SEPARATOR} ".join(values) or None

    sheets: dict[str, list[list[Any]]] = {s: [list(COLUMNS[s][0] + COLUMNS[s][1])] for s in SHEETS}
    sheets["meta"].append(["organization", roster.organization])
    for p in roster.people:
        sheets["people"].append([p.email, p.name, p.slack_id, p.away_until.isoformat() if p.away_until else None])
    for t in roster.teams:
        sheets["teams"].append([t.name, t.zone, t.region])
    for m in roster.memberships:
        sheets["members"].append(
            [m.team, m.person, m.role.value, listed(m.expertise), m.fte, m.fte_available, m.home_center, m.fit]
        )
    for d in roster.districts:
        sheets["districts"].append([d.name, d.team, d.zone, d.region, d.center, listed(d.staff)])
    for r in (*roster.roles, *roster.support):
        sheets["roles"].append(
            [r.role.value, r.person, listed(r.expertise), r.fte or None, r.home_center, r.fte_available,
             listed(r.trainers)]
        )
    for c in roster.channels:
        sheets["channels"].append([c.purpose, c.channel_id])
    for a in roster.audiences:
        sheets["audiences"].append([a.audience, a.person, a.center, a.region, a.zone, listed(a.districts)])
    return sheets


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def write_csv(roster: Roster, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet, rows in roster_rows(roster).items():
        file = directory / f"{sheet}.csv"
        with file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerows([_csv_value(v) for v in row] for row in rows)
        written.append(file)
    return written


# A fixed timestamp for the workbook's properties and zip entries: regenerating an unchanged roster gives
# the same bytes, so the committed example only changes when the roster does.
_FIXED_TIME = datetime(2020, 1, 1)


def write_xlsx(roster: Roster, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet, rows in roster_rows(roster).items():
        ws = workbook.create_sheet(sheet)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for index, column in enumerate(zip(*rows, strict=True), start=1):
            width = max(len(_csv_value(v)) for v in column)
            ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    workbook.properties.creator = "cstbot"
    workbook.properties.created = workbook.properties.modified = _FIXED_TIME

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    path.write_bytes(out.getvalue())
    return path
