"""`cstbot route explain`: who would receive an item, the chain after them with deadlines, and why.

The decision is routing.explain (pure); this module reads the roster from the database, renders the
explanation as text, and is the one place here that reads the clock.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.settings import load_settings
from routing import vocabulary
from routing.directory import Directory
from routing.errors import CstbotError
from routing.explain import Explanation, explain, find_person
from routing.model import ItemKind
from routing.protocol import Protocol
from routing.protocol_file import load_protocol
from store.db import make_engine, session_scope
from store.directory import load_directory
from templates import render_text

KINDS = ("question", "update", "district", "training")


def register(sub: argparse._SubParsersAction) -> None:
    route = sub.add_parser("route", help="routing: who receives an item and why")
    routesub = route.add_subparsers(dest="route_command", metavar="ACTION", required=True)
    ex = routesub.add_parser(
        "explain",
        help="show who would receive an item from someone, the chain after them, deadlines and trainer ranking",
    )
    ex.add_argument("--from", dest="who", required=True, metavar="EMAIL_OR_SLACK_ID", help="the person asking")
    ex.add_argument("--kind", required=True, choices=KINDS, help="what they send")
    ex.add_argument("--topic", action="append", default=[], metavar="TOPIC", help="a topic (repeat for several)")
    ex.add_argument("--district", metavar="NAME", help="the district it is about (district staff: theirs by default)")
    ex.set_defaults(func=explain_cmd)


def explain_cmd(args: argparse.Namespace) -> int:

    settings = load_settings()
    protocol = load_protocol(settings.cstbot_protocol)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            directory = load_directory(session=session)
    finally:
        engine.dispose()
    now = datetime.now(UTC)
    print(
        explain_text(
            directory, protocol, who=args.who, kind=args.kind, now=now, topics=args.topic, district=args.district
        )
    )
    return 0


def explain_text(
    directory: Directory,
    protocol: Protocol,
    *,
    who: str,
    kind: str,
    now: datetime,
    topics: Sequence[str] = (),
    district: str | None = None,
) -> str:
    """The seam the CLI renders through: look names up, explain, render."""
    person = find_person(directory, who)
    district_id = _district_id(directory, district) if district else None
    wanted = tuple(_topic(protocol, t) for t in topics)
    result = explain(
        directory, protocol, asker_id=person.id, kind=ItemKind(kind), now=now, topics=wanted, district_id=district_id
    )
    return render(result)


def _district_id(directory: Directory, name: str) -> int:
    names = {d.name: d.id for d in directory.districts.values() if d.active}
    found = vocabulary.canonical(name, names)
    if found is None:
        raise CstbotError(vocabulary.unknown_message("district", name, sorted(names)))
    return names[found]


def _topic(protocol: Protocol, name: str) -> str:
    found = protocol.canonical_topic(name)
    if found is None:
        raise CstbotError(vocabulary.unknown_message("topic", name, protocol.topics))
    return found


# --- rendering -----------------------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return moment.strftime("%a %d %b %Y %H:%M %Z") if moment else "-"


def render(result: Explanation) -> str:
    return render_text("cli/route_explain.txt.j2", r=result, when=_when, plain=str).rstrip("\n")
