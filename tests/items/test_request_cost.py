"""What a request does with the roster costs the same on one state's roster as on one 100 times larger.

Each request-path function is run against a one-state directory and a 100x one whose roster counts every entry
an iteration walks (tests/routing/scaled.py): the help text, the ask and train modals' choices, the Home tab's
roles line, the offer and coaching log choices, a refusal's admins, routing a question and a training request,
and passing that request on to every other facilitator with each recipient's card rendered (its buttons
included). None of them may walk the roster; the answers may grow (100x more facilitators are asked), the
walking may not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bot.coaching_log.modals import choices as log_choices
from bot.handlers.middleware import stranger_text
from bot.home.service import _roles_text, help_text
from bot.items import cards
from bot.items.modals import ask_choices, offer_options
from routing.engine import decide
from routing.model import Event, EventKind, ItemKind
from routing.protocol_file import load_protocol
from tests.routing.scaled import ADMIN, FACILITATOR, LEAD, MEMBER, STAFF, counted, scaled_directory, walked

PROTOCOL = load_protocol()
NOW = datetime(2026, 11, 16, 16, 0, tzinfo=UTC)
DEPS = SimpleNamespace(protocols=SimpleNamespace(current=PROTOCOL),
                       settings=SimpleNamespace(timezone=ZoneInfo("America/Chicago")))


def requests(directory) -> int:
    """Run every request path once; returns how many people the training request was passed to."""
    ctx = cards.RenderContext(directory, PROTOCOL, ZoneInfo("America/Chicago"))
    decide(None, Event(EventKind.ASKED, STAFF, NOW, item_kind=ItemKind.DISTRICT, text="Where do we start?",
                       district_id=1), directory, PROTOCOL)
    training = decide(None, Event(EventKind.ASKED, STAFF, NOW, item_kind=ItemKind.TRAINING, text="IEP goals",
                                  topics=("Data",), district_id=1), directory, PROTOCOL).state
    passed = decide(training, Event(EventKind.ESCALATED, FACILITATOR, NOW, reason="no one free"), directory, PROTOCOL)
    unlisted = decide(None, Event(EventKind.ASKED, STAFF, NOW, item_kind=ItemKind.TRAINING, text="Assessment",
                                  topics=("Assessment",), district_id=1), directory, PROTOCOL)  # who in the network
    assert unlisted.state.elsewhere == ()  # lists it: nobody, found from the expertise index
    for pid in (STAFF, MEMBER, FACILITATOR, LEAD, ADMIN):
        person = directory.person(pid)
        help_text(DEPS, directory, person)
        _roles_text(directory, person, ctx)
        ask_choices(directory, person, training=False)
        ask_choices(directory, person, training=True)
        offer_options(directory, passed.state, person)
        log_choices(directory, person)
    stranger_text(directory, PROTOCOL.words())
    for notice in passed.notices:
        cards.notice(notice.template, notice.context, state=passed.state, recipient_id=notice.recipient_id, ctx=ctx)
    return len(passed.state.asked)


def test_no_request_walks_the_roster_whatever_its_size():
    small, large = counted(scaled_directory(1)), counted(scaled_directory(100))
    assert small.index and large.index  # built once per roster version, as the directory cache loads it
    asked: list[int] = []
    costs = [walked(lambda d=d: asked.append(requests(d))) for d in (small, large)]
    assert asked == [5, 599]  # every other facilitator: the answer grows ...
    assert costs == [0, 0]  # ... the roster is not walked
