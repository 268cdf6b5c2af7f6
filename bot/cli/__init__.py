"""The `cstbot` command line. Each command group lives in its own module with a `register(sub)`."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback

from routing.errors import CstbotError

# Command groups, in the order `cstbot --help` lists them. A module registers its subcommands and sets
# `func` on each parser; `func(args) -> int` returns the exit code.
GROUPS = (
    "bot.cli.db", "bot.cli.roster", "bot.cli.route", "bot.cli.serve", "bot.cli.reports", "bot.cli.communication",
    "bot.cli.trainers",
    "bot.cli.demo",
)

log = logging.getLogger("cstbot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cstbot",
        description="Slack app for a coaching network's communication protocol and monthly coaching logs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CstbotError as exc:
        print(f"cstbot: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `cstbot roster show | head`: the reader left; not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # every other failure: one line saying what and what to do, never a traceback
        if args.verbose:  # asked for the details
            traceback.print_exc()
        print(one_line(exc), file=sys.stderr)
        return 1


def one_line(exc: Exception) -> str:
    """A command's failure in one line: what went wrong and what to do."""
    from sqlalchemy import exc as db

    from templates import render_text

    cause = getattr(exc, "orig", None) if isinstance(exc, db.DBAPIError) else None
    detail = _first_line(cause or exc)
    if isinstance(exc, db.ArgumentError | db.NoSuchModuleError):
        kind = "url"
    elif isinstance(exc, db.OperationalError | db.InterfaceError):
        kind = "unreachable"
    elif isinstance(exc, db.ProgrammingError):
        kind = "schema"
    elif isinstance(exc, db.SQLAlchemyError):
        kind = "database"
    elif isinstance(exc, OSError):
        kind = "file"
        detail = f"{exc.strerror or detail}: {exc.filename}" if exc.filename else (exc.strerror or detail)
    else:
        kind, detail = "other", f"{type(exc).__name__}: {detail}"
    return render_text("cli/error.txt.j2", kind=kind, detail=detail).strip()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    line = lines[0] if lines else type(exc).__name__
    return line if len(line) <= 200 else line[:199] + "…"


def run() -> None:  # console-script entry point
    sys.exit(main())
