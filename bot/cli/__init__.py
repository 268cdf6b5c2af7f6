"""The `cstbot` command line. Each command group lives in its own module with a `register(sub)`."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

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


def run() -> None:  # console-script entry point
    sys.exit(main())
