"""End-to-end fixtures: the real app over signed HTTP, a recording Slack stand-in, SQLite and PostgreSQL.

`app_env` serves the WSGI app (Bolt + /healthz) on 127.0.0.1 with process_before_response=True, so each
request's listener has finished when the response arrives. Outgoing notifications wait in the outbox until a
test calls `env.deliver()`, which runs the dispatcher once against the stand-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.app import build_app
from bot.delivery.dispatcher import Dispatcher, DispatchStats
from bot.deps import Deps
from bot.items.cards import Renderer
from bot.items.service import Service
from bot.runtime import load_book
from bot.settings import Settings
from bot.slack.web import WebApp
from store.roster import import_roster, parse_yaml
from tests.blockkit import check_call
from tests.standin import Call, SignedSlackClient, SlackStandIn, serve_wsgi

SECRET = "test-signing-secret"

# A small network: two teams (A with a member who has Data expertise; B with its own facilitator), two
# districts on team A (one staff person serves both), one district on team B, two leads, management,
# a state contact (who can assign a trainer), a support team member, the director of North Center and an admin.
# Slack ids are U<ROLE>...
ROSTER = """\
organization: Test Network
people:
  - {email: fac.a@x.example, name: Fay Facilitator, slack_id: UFACA0001}
  - {email: mem.a@x.example, name: Max Member, slack_id: UMEMA0001}
  - {email: mem.a2@x.example, name: Mia Member, slack_id: UMEMA0002}
  - {email: fac.b@x.example, name: Bo Facilitator, slack_id: UFACB0001}
  - {email: mem.b@x.example, name: Ben Member, slack_id: UMEMB0001}
  - {email: staff@d1.example, name: Dana Staff, slack_id: USTAFF001}
  - {email: staff@d3.example, name: Dee Staff, slack_id: USTAFF003}
  - {email: lead1@s.example, name: Lee Lead, slack_id: ULEAD0001}
  - {email: lead2@s.example, name: Lou Lead, slack_id: ULEAD0002}
  - {email: mgmt@s.example, name: Meg Manager, slack_id: UMGMT0001}
  - {email: cw@s.example, name: Cal Contact, slack_id: USTATE001}
  - {email: admin@s.example, name: Ada Admin, slack_id: UADMIN001}
  - {email: loner@x.example, name: Lone Person, slack_id: ULONE0001}
  - {email: trainer@s.example, name: Tia Trainer, slack_id: UTRAIN001}
  - {email: support@s.example, name: Sam Support, slack_id: USUPP0001}
  - {email: director@north.example, name: Dora Director, slack_id: UDIRR0001}
teams:
  - name: Team A
    zone: Developing
    region: East
    facilitator: fac.a@x.example
    members:
      - {person: mem.a@x.example, expertise: [Data, Leadership], fte: 0.5, home_center: North Center, fit: 0.9}
      - {person: mem.a2@x.example, expertise: [Technology], fte: 0.2, home_center: South Center}
  - name: Team B
    zone: Early
    region: West
    facilitator: fac.b@x.example
    members:
      - {person: mem.b@x.example, expertise: [Special Education], fte: 0.5, home_center: West Center}
districts:
  - {name: District One, team: Team A, zone: Developing, region: East, center: North Center, staff: [staff@d1.example]}
  - {name: District Two, team: Team A, zone: Developing, region: East, center: North Center, staff: [staff@d1.example]}
  - {name: District Three, team: Team B, zone: Early, region: West, center: West Center, staff: [staff@d3.example]}
leads: [lead1@s.example, lead2@s.example]
state_contacts:
  - {person: cw@s.example, expertise: [Special Education, Early Childhood], fte: 1.0, trainers: [trainer@s.example]}
support_team:
  - {person: support@s.example, expertise: [Social-Behavioral, Early Childhood], fte: 0.5, fte_available: 0.3}
management_team: [mgmt@s.example]
admins: [admin@s.example]
channels:
  summaries: [C0SUMMARY1]
audiences:
  rpdc_directors:
    - {person: director@north.example, center: North Center}
"""

# Monday 2026-11-16, 10:00 in Chicago: a business day, well inside business hours.
MONDAY_10AM = datetime(2026, 11, 16, 16, 0, tzinfo=UTC)


@dataclass
class AppEnv:
    deps: Deps
    slack: SlackStandIn
    client: SignedSlackClient
    dispatcher: Dispatcher
    engine: Engine

    def deliver(self) -> DispatchStats:
        """Send everything due in the outbox to the stand-in."""
        total = DispatchStats()
        while stats := self.dispatcher.run_once():
            total.sent += stats.sent
            total.retried += stats.retried
            total.failed += stats.failed
            total.deferred += stats.deferred
            total.dropped += stats.dropped
            if not (stats.sent or stats.dropped):
                break
        return total

    def dms(self, slack_id: str) -> list[Call]:
        return [c for c in self.slack.calls_to("chat.postMessage") if c.args.get("channel") == slack_id]

    def service(self) -> Service:
        return Service(self.deps)

    def person_id(self, slack_id: str) -> int:
        with self.deps.session() as s:
            return self.service().directory(s).by_slack_id(slack_id).id


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


def make_deps(engine: Engine, slack: SlackStandIn, **settings) -> Deps:
    settings = Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=slack.base_url,
        database_url="sqlite://",  # unused: the engine is given
        **settings,
    )
    client = WebClient(token="xoxb-test-token", base_url=slack.base_url, timeout=2)
    return Deps(settings=settings, engine=engine, client=client, protocols=load_book(settings, engine))


@contextmanager
def running_app(engine, slack, roster: str = ROSTER) -> Iterator[AppEnv]:
    """The app over signed HTTP on `engine` with `roster` imported, talking to the stand-in `slack`."""
    import_roster(parse_yaml(roster, source="roster.yaml"), engine=engine)
    deps = make_deps(engine, slack)
    web = WebApp(build_app(deps), engine, SECRET)
    with serve_wsgi(web) as url:
        client = SignedSlackClient(url, SECRET, response_url_base=slack.hooks_url)
        dispatcher = Dispatcher(engine=engine, client=deps.client, clock=deps.clock, worker="test",
                                render=Renderer(deps))
        yield AppEnv(deps=deps, slack=slack, client=client, dispatcher=dispatcher, engine=engine)
    # Every message, modal and Home view the app sent in the test is valid Block Kit within Slack's limits.
    for call in slack.calls:
        check_call(call.method, call.args)


@pytest.fixture
def app_env(engine, slack) -> Iterator[AppEnv]:
    with running_app(engine, slack) as env:
        yield env
