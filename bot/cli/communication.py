"""`cstbot report communication`: how well the network communicates, from the items' audit trail.

    cstbot report communication --month 2026-03 [--format text|csv|xlsx] [--output FILE]
    cstbot report communication --from 2026-01-01 --to 2026-03-31 --format csv --output q1.csv

Per chain tier and per team: items received, answered there, escalated by hand, moved on by a deadline, business
hours to the first action (median, 90th percentile), the share answered within the deadline; district requests
passed on by members; training requests by stage (routing/communication.py says exactly what counts).
"""

from __future__ import annotations

import argparse
import sys
from calendar import monthrange
from datetime import date
from pathlib import Path

from bot.cli.reports import _date, _write_atomically, output_path, parse_month_arg
from bot.cli.roster import open_engine
from bot.settings import load_settings
from routing.errors import CstbotError
from routing.protocol_file import load_protocol
from store.db import session_scope
from store.directory import load_directory
from templates import render_text

FORMATS = ("text", "csv", "xlsx")


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="reports on how the protocol works (communication)")
    rsub = report.add_subparsers(dest="report_command", metavar="WHAT", required=True)
    comm = rsub.add_parser(
        "communication",
        help="answer times per chain tier and team, deadlines, redirects and trainer matches, from the audit trail",
        description="The items asked in a month or a date range, each followed to its latest step: per chain "
        "tier and per team, items received, answered there, escalated by hand, moved on by a deadline, business "
        "hours to the first action (median, 90th percentile) and the share answered within the deadline; "
        "district requests passed on by members; training requests by stage reached and matched.",
    )
    comm.add_argument("--month", metavar="YYYY-MM", help="the month the items were asked in")
    comm.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day (with --to, instead of --month)")
    comm.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day, included")
    comm.add_argument("--format", choices=FORMATS, help="text (default; csv or xlsx from the --output suffix)")
    comm.add_argument("--output", "-o", metavar="FILE", help="write to FILE (text and CSV: stdout when omitted)")
    comm.set_defaults(func=communication_command)


def _period(args: argparse.Namespace) -> tuple[date, date, str]:
    if args.month and (args.start or args.end):
        raise CstbotError("use --month or --from/--to, not both")
    if args.month:
        month = parse_month_arg(args.month)
        first = date.fromisoformat(f"{month}-01")
        return first, first.replace(day=monthrange(first.year, first.month)[1]), f"{first:%B %Y}"
    if not (args.start or args.end):
        raise CstbotError("say which items: --month YYYY-MM, or --from YYYY-MM-DD --to YYYY-MM-DD")
    if not (args.start and args.end):
        raise CstbotError(f"{'--to' if args.start else '--from'} is missing: give both --from and --to")
    start, end = _date(args.start, "--from"), _date(args.end, "--to")
    if start > end:
        raise CstbotError(f"--from {start} is after --to {end}")
    return start, end, f"{start.isoformat()} to {end.isoformat()}"


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower() if args.output else ""
    return {".csv": "csv", ".xlsx": "xlsx"}.get(suffix, "text")


def communication_command(args: argparse.Namespace) -> int:
    from bot.reports.communication import SHEET, communication_rows
    from bot.reports.export import write_csv
    from bot.reports.workbook import write_workbook
    from store.communication import compile_communication

    start, end, label = _period(args)
    fmt = _format(args)
    output = output_path(args, fmt)
    settings = load_settings()
    protocol = load_protocol(settings.cstbot_protocol)
    engine = open_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            directory = load_directory(session=session)
            report = compile_communication(
                session=session, start=start, end=end, protocol=protocol, directory=directory, label=label
            )
    finally:
        engine.dispose()
    if fmt == "text":
        text = render_text("reports/communication.txt.j2", c=report).rstrip() + "\n"
        if output is None:
            sys.stdout.write(text)
            return 0
        output.write_text(text, encoding="utf-8")
    else:
        header, rows = communication_rows(report)
        if output is None:
            write_csv(rows, sys.stdout, headers=tuple(header))
            return 0

        def xlsx(rows, path) -> int:
            write_workbook({SHEET: (header, rows)}, path)
            return report.items

        def as_csv(rows, fp) -> int:
            write_csv(rows, fp, headers=tuple(header))
            return report.items

        _write_atomically(output, fmt, rows, as_csv, xlsx)
    print(f"wrote the communication report ({label}, {report.items} item{'' if report.items == 1 else 's'}) "
          f"to {output}")
    return 0

