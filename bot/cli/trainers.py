"""`cstbot trainers [--year YEAR]`: the state contacts' allocation ledger for a school year.

Per state contact: the allocation (their roster FTE x the protocol's days per FTE), the days committed by their
winning offers, what remains; per trainer they named, the days committed to them; and every offer confirmed past
the remaining allocation. The school year is the protocol's (`calendar.school_year_start`, July 1 by default).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.cli.roster import open_engine
from bot.settings import load_settings
from bot.trainers.service import school_year_ledger, year_of
from routing.errors import CstbotError
from routing.protocol_file import load_protocol
from store.db import session_scope
from store.directory import load_directory
from templates import render_text


def register(sub: argparse._SubParsersAction) -> None:
    trainers = sub.add_parser(
        "trainers",
        help="the state contacts' allocation ledger: allocated, committed and remaining days per contact and trainer",
        description="Trainer matching's state stage commits days of each state contact's allocation (their FTE in "
        "the roster). This prints the ledger of a school year: per contact and per trainer they named, with the "
        "offers confirmed past the remaining allocation.",
    )
    trainers.add_argument("--year", type=int, metavar="YEAR",
                          help="the school year that starts in YEAR (default: the current one)")
    trainers.set_defaults(func=trainers_command)


def trainers_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    protocol = load_protocol(settings.cstbot_protocol)
    if protocol.training is None:
        raise CstbotError(f"the protocol ({protocol.name}) has no trainer matching, so no allocations")
    if args.year is not None and not 2000 <= args.year <= 2100:
        raise CstbotError(f"--year {args.year}: give the year a school year starts in, e.g. 2026")
    today = datetime.now(UTC).astimezone(protocol.timezone).date()
    day = year_of(protocol, args.year, today)
    engine = open_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            directory = load_directory(session=session)
            ledger = school_year_ledger(session, directory, protocol, day)
    finally:
        engine.dispose()
    print(render_text("cli/trainers.txt.j2", ledger=ledger).rstrip("\n"))
    return 0
