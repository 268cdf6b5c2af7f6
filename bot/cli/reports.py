"""`cstbot export logs` and `cstbot summary`: the coaching interaction logs, read side.

    cstbot export logs --month 2026-03 [--format csv|xlsx] [--output FILE] [--team NAME] [--submitted-only]
    cstbot export logs --from 2026-01-01 --to 2026-03-31 --format xlsx --output q1.xlsx
    cstbot summary --month 2026-03 [--xlsx FILE] [--chart FILE] [--html FILE] [--post [--force]]

The export streams (constant memory, any number of entries); CSV goes to stdout when no file is given. The
summary counts submitted logs only (store.summary) and `--post` sends it through the outbox, with the workbook
and chart, to every audience, the summaries channels and the CSTs (bot.reports.summary), once per month and
reader (`--force`: a new revision to everyone).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.cli.roster import open_engine
from bot.reports.export import write_csv, write_xlsx
from bot.settings import load_settings
from routing import vocabulary
from routing.errors import CstbotError
from routing.protocol_file import load_protocol
from store.db import session_scope
from store.directory import load_directory
from store.export import iter_log_rows
from store.models import Team
from store.summary import compile_summary, parse_month
from templates import render_text

FORMATS = ("csv", "xlsx")


def register(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser("export", help="export data (coaching interaction logs)")
    esub = export.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    logs = esub.add_parser(
        "logs",
        help="the coaching interaction log entries of a month or a date range, as CSV or XLSX",
        description="One row per entry that was entered and not deleted (submitted or not, unless "
        "--submitted-only), with the fields of the CST Coaching Interaction Log in its order.",
    )
    logs.add_argument("--month", metavar="YYYY-MM", help="the log month")
    logs.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day (with --to, instead of --month)")
    logs.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day, included")
    logs.add_argument("--format", choices=FORMATS, help="csv (default, or from the --output suffix) or xlsx")
    logs.add_argument("--output", "-o", metavar="FILE", help="write to FILE (CSV: stdout when omitted)")
    logs.add_argument("--team", metavar="NAME", help="one team only")
    logs.add_argument("--submitted-only", action="store_true", help="only months the facilitator submitted")
    logs.set_defaults(func=export_logs)

    summary = sub.add_parser(
        "summary",
        help="the monthly summary of the submitted coaching interaction logs",
        description="Counts and hours by interaction type per team and district, topics and standards covered, "
        "and which facilitators submitted on time, late or not at all. --post sends it with the workbook and "
        "chart to every audience (learning services, RPDC directors, area supervisors), the summaries channels and "
        "the CSTs, once per month and reader.",
    )
    summary.add_argument("--month", required=True, metavar="YYYY-MM", help="the log month")
    summary.add_argument("--xlsx", metavar="FILE", help="also write the workbook (By team, By district, Topics, "
                         "Submissions) to FILE")
    summary.add_argument("--chart", metavar="FILE", help="also write the chart (PNG) to FILE")
    summary.add_argument("--html", metavar="FILE", help="also write the whole summary as one self-contained HTML "
                         "page (chart, tables, communication; prints cleanly to PDF) to FILE")
    summary.add_argument("--post", action="store_true", help="post it to Slack (needs SLACK_BOT_TOKEN)")
    summary.add_argument("--force", action="store_true", help="with --post: a new revision, to everyone again")
    summary.set_defaults(func=summary_command)


# --- arguments -----------------------------------------------------------------------------------------


def parse_month_arg(value: str) -> str:

    try:
        return f"{parse_month(value):%Y-%m}"
    except ValueError as exc:
        raise CstbotError(f"--month: {exc}") from None


def _date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CstbotError(f"{flag}: {value!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-31") from None


def _period(args: argparse.Namespace) -> tuple[str | None, date | None, date | None]:
    if args.month and (args.start or args.end):
        raise CstbotError("use --month or --from/--to, not both")
    if args.month:
        return parse_month_arg(args.month), None, None
    if not (args.start or args.end):
        raise CstbotError("say which entries: --month YYYY-MM, or --from YYYY-MM-DD --to YYYY-MM-DD")
    if not (args.start and args.end):
        raise CstbotError(f"{'--to' if args.start else '--from'} is missing: give both --from and --to")
    start, end = _date(args.start, "--from"), _date(args.end, "--to")
    if start > end:
        raise CstbotError(f"--from {start} is after --to {end}")
    return None, start, end


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    if args.output and Path(args.output).suffix.lower() == ".xlsx":
        return "xlsx"
    return "csv"


def _team_id(engine: Engine, name: str) -> int:

    table = Team.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        teams = dict(conn.execute(select(table.c.name, table.c.id)).all())
    match = vocabulary.canonical(name, teams)
    if match is None:
        raise CstbotError(vocabulary.unknown_message("team", name, sorted(teams)))
    return teams[match]


# --- export logs ---------------------------------------------------------------------------------------


def output_path(args: argparse.Namespace, fmt: str) -> Path | None:
    """`--output` as a path whose folder exists (None: the terminal), refused in one line otherwise."""
    if fmt == "xlsx" and not args.output:
        raise CstbotError("--format xlsx needs --output FILE: a workbook cannot go to the terminal")
    output = Path(args.output) if args.output else None
    if output is not None and not output.parent.is_dir():
        raise CstbotError(f"cannot write {output}: no directory {output.parent}")
    return output


def export_logs(args: argparse.Namespace) -> int:

    month, start, end = _period(args)
    fmt = _format(args)
    output = output_path(args, fmt)
    settings = load_settings()
    protocol = load_protocol(settings.cstbot_protocol)
    engine = open_engine(settings.database_url)
    try:
        team_id = _team_id(engine, args.team) if args.team else None
        with session_scope(engine) as session:
            rows = iter_log_rows(
                session=session,
                month=month,
                start=start,
                end=end,
                team_id=team_id,
                submitted_only=args.submitted_only,
                protocol=protocol,
            )
            if output is None:
                write_csv(rows, sys.stdout)  # `| head` closing the pipe is handled by bot.cli.main
                sys.stdout.flush()
                return 0
            count = _write_atomically(output, fmt, rows, write_csv, write_xlsx)
    finally:
        engine.dispose()
    what = month or f"{start} to {end}"
    print(f"exported {count} entr{'y' if count == 1 else 'ies'} ({what}) to {output}")
    return 0


def _write_atomically(output: Path, fmt: str, rows, write_csv, write_xlsx) -> int:
    """Write next to `output`, then rename: a failed export leaves no half-written file behind."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    tmp = Path(tmp_name)
    try:
        if fmt == "xlsx":
            os.close(fd)
            count = write_xlsx(rows, tmp)
        else:
            # UTF-8 with a byte order mark: Excel then reads names with accents correctly.
            with open(fd, "w", newline="", encoding="utf-8-sig") as fp:
                count = write_csv(rows, fp)
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


# --- summary -------------------------------------------------------------------------------------------


def summary_command(args: argparse.Namespace) -> int:
    from bot.reports.chart import summary_chart
    from bot.reports.html import summary_html
    from bot.reports.workbook import summary_xlsx

    month = parse_month_arg(args.month)
    if args.force and not args.post:
        raise CstbotError("--force only makes sense with --post")
    settings = load_settings()
    if args.post:
        settings.require("slack_bot_token")
    protocol = load_protocol(settings.cstbot_protocol)
    engine = open_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            directory = load_directory(session=session)
            summary = compile_summary(session=session, month=month, protocol=protocol, directory=directory)
        print(render_text("reports/summary.txt.j2", s=summary).rstrip())
        for flag, path, write in (("--xlsx", args.xlsx, summary_xlsx), ("--chart", args.chart, summary_chart),
                                  ("--html", args.html, summary_html)):
            if path:
                if not Path(path).parent.is_dir():
                    raise CstbotError(f"{flag}: cannot write {path}: no directory {Path(path).parent}")
                write(summary, path)
                print(f"wrote {path}")
        if not args.post:
            return 0
        return _post(settings, engine, protocol, directory, month, force=args.force)
    finally:
        engine.dispose()


def _post(settings, engine: Engine, protocol, directory, month: str, *, force: bool) -> int:
    """Queue the summary for everyone (once; --force: a new revision), then send it through the outbox as the
    worker does, and say per reader what happened (what Slack refused for now, `cstbot worker` sends later)."""
    from bot.delivery.dispatcher import Dispatcher
    from bot.reports.summary import ALREADY, FAILED, share_summary
    from bot.slack.client import make_client
    from store import outbox
    from store.types import utcnow

    edition = share_summary(engine=engine, protocol=protocol, directory=directory, month=month, now=utcnow(),
                            force=force)
    if not edition.outcomes:
        print("nobody to post to: the roster has no summaries channel, no audience and no active team")
        return 0
    dispatcher = Dispatcher(engine=engine, client=make_client(settings, timeout=30), clock=utcnow,
                            worker="cstbot-summary")
    while dispatcher.run_once().sent:  # until nothing more can be sent now
        pass
    with session_scope(engine) as session:
        rows = {r.dedupe_key: r for r in outbox.by_key_prefix(session=session,
                                                               prefix=f"summary:{month}:r{edition.revision}:")}
    print()
    failed = False
    for o in edition.outcomes:
        who = o.recipient.label
        if o.status == FAILED:
            print(f"cstbot: error: not posted to {who}: {o.detail}", file=sys.stderr)
            failed = True
            continue
        if o.status == ALREADY:
            print(f"already posted to {who} (--force posts again)")
            continue
        key = f"summary:{month}:r{edition.revision}:{o.recipient.key}"
        parts = [rows.get(key), rows.get(f"{key}:files")]
        states = {p.status for p in parts if p is not None}
        if states <= {outbox.SENT}:
            print(f"posted to {who}")
            continue
        errors = "; ".join(f"{p.method}: {p.last_error}" for p in parts if p is not None and p.status != outbox.SENT)
        if outbox.FAILED in states:
            print(f"cstbot: error: not posted to {who}: {errors}", file=sys.stderr)
            failed = True
        else:
            print(f"queued for {who}: {errors}; `cstbot worker` sends it when Slack answers")
    return 1 if failed else 0
