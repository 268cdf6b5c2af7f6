"""`cstbot demo`: a month of the protocol against a local stand-in for Slack, printed as a transcript."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser(
        "demo",
        help="play a month end to end against a local stand-in for Slack, printing what everyone saw",
        description="Play a month of the protocol with no Slack and no setup: a temporary SQLite database, "
        "the example roster, a local stand-in for the Slack Web API and the real app over signed HTTP. "
        "Business time is moved by hand, so it takes seconds. The protocol is --protocol FILE, else "
        "CSTBOT_PROTOCOL, else the shipped one; the same month is played under any of them.",
    )
    demo.add_argument("--roster", type=Path, metavar="FILE",
                      help="roster file (default: examples/roster.yaml of this checkout)")
    demo.add_argument("--keep", type=Path, metavar="DB_PATH",
                      help="write the database here (a new SQLite file) and keep it afterwards")
    demo.add_argument("--protocol", type=Path, metavar="FILE",
                      help="protocol file to play the month under (default: CSTBOT_PROTOCOL, else the shipped one)")
    demo.add_argument("--quiet", action="store_true", help="print only the counts at the end")
    demo.add_argument("--json", action="store_true",
                      help="print the transcript as JSON, one object per line (step, actor, action, recipients, "
                           "text), for scripts and tests")
    demo.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.demo.scenario import run_demo, summary_lines
    from routing.errors import CstbotError

    verbose = getattr(args, "verbose", False)
    if not verbose:  # the app's warnings (a person without a Slack id, ...) are part of the story, not noise
        logging.disable(logging.WARNING)
    protocol = args.protocol or (Path(os.environ["CSTBOT_PROTOCOL"]) if os.environ.get("CSTBOT_PROTOCOL") else None)
    try:
        result = run_demo(roster=args.roster, keep=args.keep, out=None if args.quiet or args.json else sys.stdout,
                          protocol=protocol)
    except CstbotError as exc:  # no roster, a roster with problems, a --keep file that exists
        print(f"cstbot demo: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if verbose:
            raise
        print(f"cstbot demo: failed: {type(exc).__name__}: {exc} (run `cstbot -v demo` for details)",
              file=sys.stderr)
        return 1
    finally:
        logging.disable(logging.NOTSET)
    lines = summary_lines(result)
    if args.json:
        done = {"step": None, "actor": None, "action": "done", "recipients": [], "text": " ".join(lines[1:])}
        for event in [*result.events, done]:
            print(json.dumps(event, ensure_ascii=False))
        return 0
    print("\n".join(lines[1:] if args.quiet else lines))
    return 0
